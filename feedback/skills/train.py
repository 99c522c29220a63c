"""The training recipe for every skill model (`manage.py train_skills`), and their evaluation on the
held-out conversations (`manage.py skills_eval`). docs/feedback.md explains each figure.

Deterministic: the splits are hashes, the vectorisers and lbfgs have no randomness, and the SVD of
the suggestion index has a fixed seed; the same data gives the same artifacts and figures.
"""

import json
from pathlib import Path

import numpy as np

from feedback.skills import data, recipes
from feedback.skills.model import ARTIFACT_DIR, LinearTextModel
from modelserve import sklearn_artifact

EMPATHY_DIMENSIONS = list(data.EPITOME_FILES)
MAIN_CLASSES = ["reflection", "question", "therapist_input", "other"]
FINE_UNDER_MAIN = {
    "question": ["open_question", "closed_question"],
    "reflection": ["simple_reflection", "complex_reflection"],
    "therapist_input": ["giving_information", "advice"],
    "other": ["other"],
}
FIGURES_FILE = "skills_eval.json"

# Published or measured-here reference figures shown beside ours. Where a figure could not be
# checked against the paper, "verified" says so (docs/feedback.md, "Reference figures").
REFERENCES = {
    "behaviour": [
        {
            "what": "TF-IDF + logistic regression, utterance only, same transcript split (measured in Pixel's brief)",
            "macro_f1": 0.727,
            "kappa": 0.65,
            "verified": True,
        },
        {
            "what": "Two human annotators, 216 doubly-annotated therapist utterances (AnnoMI, Wu et al. 2023)",
            "kappa": 0.70,
            "agreement": 0.778,
            "verified": True,
        },
    ],
    "empathy": [
        {
            "what": "EPITOME RoBERTa bi-encoder, Sharma et al. EMNLP 2020, identification results table (accuracy / macro-F1, %)",
            "emotional_reactions": {"accuracy": 0.7943, "macro_f1": 0.7446},
            "interpretations": {"accuracy": 0.8404, "macro_f1": 0.6260},
            "explorations": {"accuracy": 0.9261, "macro_f1": 0.7258},
            "verified": False,
            "note": "quoted from memory of the paper; their split is random, not ours, so compare loosely",
        },
    ],
}


def metrics(gold, pred, classes):
    from sklearn.metrics import accuracy_score, cohen_kappa_score, precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=classes, zero_division=0)
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(np.mean(f)), 4),
        "kappa": round(float(cohen_kappa_score(gold, pred)), 4),
        "classes": {
            c: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(n[i]),
            }
            for i, c in enumerate(classes)
        },
    }


def fine_within_main(main_pred, fine_proba, fine_classes):
    """The fine code: the likeliest subcode of the predicted main behaviour."""
    out = []
    for main, probs in zip(main_pred, fine_proba):
        allowed = FINE_UNDER_MAIN[main]
        out.append(max(allowed, key=lambda c: probs[fine_classes.index(c)]))
    return out


def train_all(out: Path = ARTIFACT_DIR, log=print):
    """Fit every model on the training conversations, save them under OUT, and return (and save)
    their held-out figures."""
    turns = data.annomi_therapist_turns()
    train = [t for t in turns if not t["test"]]
    log(f"AnnoMI: {len(train)} training therapist turns from {len({t['transcript_id'] for t in train})} transcripts")
    LinearTextModel(recipes.BEHAVIOUR).fit(train, [t["main"] for t in train]).save("behaviour", out)
    log("  behaviour: saved")
    fine_train = [t for t in train if t["fine"]]
    LinearTextModel(recipes.BEHAVIOUR_FINE).fit(fine_train, [t["fine"] for t in fine_train]).save("behaviour_fine", out)
    log("  behaviour_fine: saved")
    es = data.esconv_supporter_turns("train")
    LinearTextModel(recipes.AFFIRMATION).fit(es, [r["label"] for r in es]).save("affirmation", out)
    log(f"  affirmation: saved ({len(es)} ESConv supporter turns)")
    for dim in EMPATHY_DIMENSIONS:
        pairs = [
            {"text": p["text"], "prev": p["seeker"], "level": p["level"]}
            for p in data.epitome_pairs(dim)
            if not p["test"]
        ]
        LinearTextModel(recipes.EMPATHY).fit(pairs, [p["level"] for p in pairs]).save(f"empathy_{dim}", out)
        log(f"  empathy_{dim}: saved ({len(pairs)} pairs)")
    build_suggestion_index(train, out)
    log("  suggestions: saved")
    figures = evaluate(out)
    (out / FIGURES_FILE).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return figures


def evaluate(path: Path = ARTIFACT_DIR):
    """Held-out figures of the models saved under PATH."""
    turns = [t for t in data.annomi_therapist_turns() if t["test"]]
    behaviour = LinearTextModel.load("behaviour", path)
    fine = LinearTextModel.load("behaviour_fine", path)
    main_pred = behaviour.predict(turns)
    fine_pred = fine_within_main(main_pred, fine.predict_proba(turns), fine.classes)
    fine_classes = [c for group in FINE_UNDER_MAIN.values() for c in group]
    figures = {
        "split": {"annomi_test_transcripts": len({t["transcript_id"] for t in turns}), "annomi_test_turns": len(turns)},
        "behaviour": metrics([t["main"] for t in turns], main_pred, MAIN_CLASSES),
        "behaviour_fine": metrics(
            [t["fine"] for t in turns if t["fine"]], [p for p, t in zip(fine_pred, turns) if t["fine"]], fine_classes
        ),
        "empathy": {},
        "references": REFERENCES,
    }
    es = data.esconv_supporter_turns("test")
    aff = LinearTextModel.load("affirmation", path)
    figures["affirmation"] = metrics([r["label"] for r in es], aff.predict(es), ["1", "0"])
    figures["affirmation"]["note"] = (
        "ESConv test split: 'Affirmation and Reassurance' (1) against all other strategies (0)"
    )
    for dim in EMPATHY_DIMENSIONS:
        pairs = [
            {"text": p["text"], "prev": p["seeker"], "level": p["level"]} for p in data.epitome_pairs(dim) if p["test"]
        ]
        model = LinearTextModel.load(f"empathy_{dim}", path)
        figures["empathy"][dim] = metrics([p["level"] for p in pairs], model.predict(pairs), ["0", "1", "2"])
    return figures


# Candidates for "a skilled counsellor here might have said": complex reflections and open
# questions from high-quality MI transcripts, answering a client turn long enough to match on.
SUGGESTION_CODES = ("complex_reflection", "open_question")


def build_suggestion_index(train_turns, out: Path = ARTIFACT_DIR):
    from sklearn.decomposition import TruncatedSVD

    params = recipes.SUGGESTIONS
    candidates = [
        t for t in train_turns
        if t["mi_quality"] == "high" and t["fine"] in SUGGESTION_CODES
        and len(t["prev"].split()) >= 6 and 5 <= len(t["text"].split()) <= 60
    ]  # fmt: skip
    vec = sklearn_artifact.vectoriser(params["tfidf"])
    X = vec.fit_transform([t["prev"] for t in candidates])
    svd = TruncatedSVD(n_components=params["svd_dims"], random_state=params["seed"], algorithm="arpack")
    V = svd.fit_transform(X)
    V /= np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-9)
    quotes = [
        {"text": t["text"], "client": t["prev"], "code": t["fine"], "transcript_id": t["transcript_id"],
         "utterance_id": t["utterance_id"], "title": t["title"]}
        for t in candidates
    ]  # fmt: skip
    meta = {"recipe": params, "source": "AnnoMI (Wu et al. 2022/2023), public domain", "quotes": quotes}
    sklearn_artifact.save(
        out,
        "suggestions",
        meta,
        arrays={"components": svd.components_.astype(np.float32), "vectors": V.astype(np.float32)},
        vectorisers={"": vec},
        idf_dtype=np.float32,
        indent=1,
        sort_keys=False,
    )
