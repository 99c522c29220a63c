"""Role classifier: does an utterance read like the client or like the counsellor?

Trained on the interlocutor labels of AnnoMI (therapist/client) and ESConv (supporter/help-seeker),
split by conversation. Word 1-2-grams and character 2-4-grams, TF-IDF, logistic regression;
deterministic (lbfgs, fixed data order), so retraining on the same data gives the same artifact.

Used to measure mode consistency (the share of a model's client-mode replies that read as the
client) in training.evaluation, and as one quality signal in the dataset pipeline. It is a style
classifier: a client who asks a question or a counsellor who self-discloses can be misread, so a
single prediction is weak evidence; rates over many replies are what it is for.

The artifact (modelserve/roleclf/) is stored without pickle, like the crisis model: a NumPy .npz
read with allow_pickle=False and a JSON file. Retrain with `manage.py train_role_classifier`.
"""

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from modelserve import sklearn_artifact

ARTIFACT_DIR = Path(__file__).resolve().parent / "roleclf"
CLIENT, COUNSELLOR = "client", "counsellor"
WORD_PARAMS = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "max_features": 12000}
CHAR_PARAMS = {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 3, "sublinear_tf": True, "max_features": 12000}
LR_PARAMS = {"C": 2.0, "max_iter": 2000, "solver": "lbfgs"}


def prepare(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


class RoleClassifier:
    def __init__(self, word, char, coef, intercept, meta):
        self.word, self.char, self.coef, self.intercept, self.meta = word, char, coef, intercept, meta

    def client_probability(self, texts: Sequence[str]) -> np.ndarray:
        from scipy.sparse import hstack

        prepared = [prepare(t) for t in texts]
        X = hstack([self.word.transform(prepared), self.char.transform(prepared)]).tocsr()
        z = X @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def predict_roles(self, texts: Sequence[str]) -> list[str]:
        if not texts:
            return []
        return [CLIENT if p >= 0.5 else COUNSELLOR for p in self.client_probability(texts)]


def fit(texts: Sequence[str], roles: Sequence[str]):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    prepared = [prepare(t) for t in texts]
    y = np.array([r == CLIENT for r in roles], dtype=int)
    word = TfidfVectorizer(**WORD_PARAMS)
    char = TfidfVectorizer(**CHAR_PARAMS)
    X = hstack([word.fit_transform(prepared), char.fit_transform(prepared)]).tocsr()
    lr = LogisticRegression(**LR_PARAMS).fit(X, y)
    return word, char, lr


def accuracy(model: RoleClassifier, texts, roles) -> dict:
    predicted = model.predict_roles(list(texts))
    roles = list(roles)
    result = {"n": len(roles), "accuracy": round(float(np.mean([p == r for p, r in zip(predicted, roles)])), 4)}
    for role in (CLIENT, COUNSELLOR):
        idx = [i for i, r in enumerate(roles) if r == role]
        if idx:
            result[f"recall_{role}"] = round(float(np.mean([predicted[i] == role for i in idx])), 4)
    return result


# A reply counts as out of role only when the classifier is confident: at these thresholds at most
# this share of real, held-out utterances of a role would be counted out of it.
FALSE_BREAK_RATE = 0.03


def out_of_role_thresholds(model: RoleClassifier, rows) -> dict:
    texts, roles = zip(*rows)
    p = model.client_probability(list(texts))
    roles = np.array(roles)
    client_p, counsellor_p = p[roles == CLIENT], p[roles == COUNSELLOR]
    low = float(np.quantile(client_p, FALSE_BREAK_RATE)) if len(client_p) else 0.5
    high = float(np.quantile(counsellor_p, 1 - FALSE_BREAK_RATE)) if len(counsellor_p) else 0.5
    return {"false_break_rate": FALSE_BREAK_RATE, "client_below": round(low, 4), "counsellor_above": round(high, 4),
            "counsellor_caught": round(float(np.mean(counsellor_p < low)), 4) if len(counsellor_p) else None,
            "client_caught": round(float(np.mean(client_p > high)), 4) if len(client_p) else None}


def train(train_rows, eval_sets: dict, out: Path | None = None, meta: dict | None = None) -> RoleClassifier:
    """TRAIN_ROWS: [(text, role)]; EVAL_SETS: {name: [(text, role)]} reported in the artifact."""
    texts, roles = zip(*train_rows)
    word, char, lr = fit(texts, roles)
    model = RoleClassifier(word, char, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), dict(meta or {}))
    model.meta["train_utterances"] = len(texts)
    model.meta["evaluation"] = {name: accuracy(model, *zip(*rows)) for name, rows in eval_sets.items() if rows}
    calibration = eval_sets.get("held_out") or train_rows
    model.meta["out_of_role"] = out_of_role_thresholds(model, calibration)
    if out is not None:
        save(out, model)
    return model


def save(path: Path, model: RoleClassifier) -> None:
    sklearn_artifact.save(
        path,
        "roleclf",
        model.meta,
        vectorisers={"word": model.word, "char": model.char},
        arrays={"coef": model.coef, "intercept": np.array([model.intercept], dtype=np.float64)},
    )


def load(path: Path = ARTIFACT_DIR) -> RoleClassifier:
    stored = sklearn_artifact.load(path, "roleclf")
    word, char = stored.vectoriser(WORD_PARAMS, "word"), stored.vectoriser(CHAR_PARAMS, "char")
    return RoleClassifier(word, char, stored.arrays["coef"], float(stored.arrays["intercept"][0]), stored.meta)


def artifact_exists(path: Path = ARTIFACT_DIR) -> bool:
    return sklearn_artifact.exists(path, "roleclf")


_models = sklearn_artifact.PerProcess(lambda path: load(path))  # looked up when called, so load can be replaced


def get(path: Path = ARTIFACT_DIR) -> RoleClassifier:
    """The model at PATH, loaded once per process."""
    return _models.get(path)


def out_of_role(texts: Sequence[str], intended: str = CLIENT, model: RoleClassifier | None = None) -> list[bool]:
    """For each text, whether the classifier is confident it is NOT in the INTENDED role."""
    model = model or get()
    if not texts:
        return []
    limits = model.meta.get("out_of_role") or {"client_below": 0.5, "counsellor_above": 0.5}
    p = model.client_probability(list(texts))
    if intended == CLIENT:
        return [bool(x < limits["client_below"]) for x in p]
    return [bool(x > limits["counsellor_above"]) for x in p]


def mode_consistency(texts: Sequence[str], intended: str = CLIENT, model: RoleClassifier | None = None) -> float | None:
    """Share of TEXTS not confidently out of the INTENDED role; None for no texts.

    Calibrated so that real held-out utterances of the role score about 1 - FALSE_BREAK_RATE (0.97).
    """
    texts = [t for t in texts if t and t.strip()]
    if not texts:
        return None
    flags = out_of_role(texts, intended, model)
    return round(1 - sum(flags) / len(flags), 4)
