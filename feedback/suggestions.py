"""Nearest AnnoMI moments for "a skilled counsellor here might have said" (index built by
`manage.py train_skills` from training transcripts of high MI quality; feedback/skills/train.py)."""

import numpy as np

from feedback.skills import recipes
from feedback.skills.model import ARTIFACT_DIR
from modelserve import sklearn_artifact


def _read(path):
    stored = sklearn_artifact.load(path, "suggestions")
    return {
        "vec": stored.vectoriser(recipes.SUGGESTIONS["tfidf"]),
        "components": stored.arrays["components"],
        "vectors": stored.arrays["vectors"],
        "quotes": stored.meta["quotes"],
    }


_index = sklearn_artifact.PerProcess(_read)


def similar(client_text, k=2):
    """Up to K quotes whose client turn is most like CLIENT_TEXT, best first, each with its score."""
    index = _index.get(ARTIFACT_DIR)
    v = index["vec"].transform([client_text]) @ index["components"].T
    norm = np.linalg.norm(v)
    if norm == 0:
        return []
    sims = index["vectors"] @ (np.asarray(v).ravel() / norm)
    out, seen = [], set()
    for i in np.argsort(-sims, kind="stable"):
        quote = index["quotes"][int(i)]
        if quote["text"] in seen:
            continue
        seen.add(quote["text"])
        out.append({**quote, "similarity": round(float(sims[i]), 3)})
        if len(out) == k:
            break
    return out
