"""A linear text classifier: TF-IDF blocks over named fields, a few dense context features, and a
logistic regression on top. One class serves every skill model (recipes.py says which blocks).

Artifacts are our own, written by `manage.py train_skills` into feedback/artifacts/. They are
stored without pickle: a NumPy `.npz` read with `allow_pickle=False` (vocabularies, IDF weights,
float32 coefficients) and a JSON file (the recipe and classes). Loading one cannot execute code.
"""

import re
from pathlib import Path

import numpy as np

from modelserve import sklearn_artifact

ARTIFACT_DIR = Path(__file__).resolve().parent.parent / "artifacts"

_WORD = re.compile(r"[a-z']+")
# Words too common to say whether an utterance echoes the client's.
_STOP = frozenset(
    "i you a an the to and of it that is in was for on so be have do are with this what not but just me my "
    "your at like or if it's i'm you're um uh well yeah know about really think mm hmm okay ok right".split()
)


def overlap_features(text: str, prev: str) -> list[float]:
    """Why: reflections echo the client's words, questions end in '?', and a turn with no client
    turn before it (an opening) is rarely a reflection. Each value is scaled to about 0..1."""
    words = _WORD.findall(text.lower())
    prev_words = _WORD.findall(prev.lower())
    content = [w for w in words if w not in _STOP]
    prev_content = {w for w in prev_words if w not in _STOP}
    echoed = sum(w in prev_content for w in content) / max(len(content), 1)
    union = set(content) | prev_content
    jaccard = len(set(content) & prev_content) / max(len(union), 1)
    stripped = text.strip()
    return [
        echoed,
        jaccard,
        1.0 if stripped.endswith("?") else 0.0,
        min(stripped.count("?"), 3) / 3,
        float(np.log1p(len(words)) / 5),
        float(np.log1p(len(prev_words)) / 5),
        0.0 if prev.strip() else 1.0,
    ]


DENSE = {"overlap": overlap_features}


class LinearTextModel:
    """recipe: {"blocks": [{"name", "field", "weight", "params"}], "dense": name|None,
    "dense_weight": float, "lr": {...}}. Rows are dicts with the blocks' fields."""

    def __init__(self, recipe, vectorisers=None, coef=None, intercept=None, classes=None):
        self.recipe = recipe
        self.vectorisers = vectorisers or {}
        self.coef, self.intercept, self.classes = coef, intercept, classes

    def _matrix(self, rows, fit=False):
        from scipy.sparse import csr_matrix, hstack

        blocks = []
        for block in self.recipe["blocks"]:
            texts = [r.get(block["field"]) or "" for r in rows]
            if fit:
                self.vectorisers[block["name"]] = sklearn_artifact.vectoriser(block["params"])
                m = self.vectorisers[block["name"]].fit_transform(texts)
            else:
                m = self.vectorisers[block["name"]].transform(texts)
            blocks.append(m * block.get("weight", 1.0))
        if self.recipe.get("dense"):
            fn = DENSE[self.recipe["dense"]]
            dense = np.array([fn(r.get("text") or "", r.get("prev") or "") for r in rows], dtype=float)
            blocks.append(csr_matrix(dense * self.recipe.get("dense_weight", 1.0)))
        return hstack(blocks).tocsr()

    def fit(self, rows, labels):
        from sklearn.linear_model import LogisticRegression

        X = self._matrix(rows, fit=True)
        lr = LogisticRegression(**self.recipe["lr"]).fit(X, labels)
        self.classes = [str(c) for c in lr.classes_]
        # Binary LR keeps one row of weights; store it as two (0 and the positive class) so that
        # prediction is the same softmax for every model.
        coef = lr.coef_ if len(self.classes) > 2 else np.vstack([np.zeros_like(lr.coef_[0]), lr.coef_[0]])
        intercept = lr.intercept_ if len(self.classes) > 2 else np.array([0.0, lr.intercept_[0]])
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)
        return self

    def predict_proba(self, rows) -> np.ndarray:
        z = np.asarray(self._matrix(rows) @ self.coef.T.astype(np.float64)) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, rows) -> list[str]:
        return [self.classes[i] for i in self.predict_proba(rows).argmax(axis=1)]

    def save(self, name, path: Path = ARTIFACT_DIR):
        sklearn_artifact.save(
            path,
            name,
            {"recipe": self.recipe, "classes": self.classes},
            arrays={"coef": self.coef, "intercept": self.intercept},
            vectorisers=self.vectorisers,
            idf_dtype=np.float32,
        )

    @classmethod
    def load(cls, name, path: Path = ARTIFACT_DIR):
        stored = sklearn_artifact.load(path, name)
        recipe = stored.meta["recipe"]
        vectorisers = {b["name"]: stored.vectoriser(b["params"], b["name"]) for b in recipe["blocks"]}
        return cls(recipe, vectorisers, stored.arrays["coef"], stored.arrays["intercept"], stored.meta["classes"])


_models = sklearn_artifact.PerProcess(lambda name, path: LinearTextModel.load(name, path))


def get(name, path: Path = ARTIFACT_DIR) -> LinearTextModel:
    """The model NAME, loaded once per process."""
    return _models.get(name, path)
