"""The ML half of the crisis detector: TF-IDF word and character n-grams plus a few dense
features (features.py), scored by a logistic regression.

The artifact is our own, written by `manage.py train_crisis_model` and loaded only from this
package's directory (or a path a caller passes explicitly). It is stored without pickle: a NumPy
`.npz` read with `allow_pickle=False` (vocabularies, IDF weights, coefficients) and a JSON file
(settings, thresholds, cross-validated figures). Loading it cannot execute code.
"""

from pathlib import Path

import numpy as np

from modelserve import sklearn_artifact

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifact"
WORD_PARAMS = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "max_features": 30000}
CHAR_PARAMS = {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 3, "sublinear_tf": True, "max_features": 30000}
LR_PARAMS = {"C": 1.0, "class_weight": "balanced", "max_iter": 3000, "solver": "lbfgs"}


class CrisisModel:
    def __init__(self, word, char, coef, intercept, meta):
        self.word, self.char, self.coef, self.intercept, self.meta = word, char, coef, intercept, meta
        self.threshold = meta["threshold"]
        self.threshold_moderate = meta["threshold_moderate"]

    def matrix(self, texts, dense_rows):
        from scipy.sparse import csr_matrix, hstack

        return hstack([self.word.transform(texts), self.char.transform(texts), csr_matrix(np.asarray(dense_rows, dtype=float))]).tocsr()

    def predict(self, texts, dense_rows) -> np.ndarray:
        z = self.matrix(texts, dense_rows) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def save(path: Path, word_vec, char_vec, lr, meta: dict) -> None:
    sklearn_artifact.save(
        path,
        "crisis_model",
        meta,
        vectorisers={"word": word_vec, "char": char_vec},
        arrays={"coef": lr.coef_[0].astype(np.float64), "intercept": np.array([lr.intercept_[0]], dtype=np.float64)},
    )


def load(path: Path = ARTIFACT_DIR) -> CrisisModel:
    stored = sklearn_artifact.load(path, "crisis_model")
    word, char = stored.vectoriser(WORD_PARAMS, "word"), stored.vectoriser(CHAR_PARAMS, "char")
    return CrisisModel(word, char, stored.arrays["coef"], float(stored.arrays["intercept"][0]), stored.meta)


_models = sklearn_artifact.PerProcess(lambda path: load(path))  # looked up when called, so load can be replaced


def get(path: Path = ARTIFACT_DIR) -> CrisisModel:
    """The model at PATH, loaded once per process."""
    return _models.get(path)
