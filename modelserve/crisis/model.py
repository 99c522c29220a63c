"""The ML half of the crisis detector: TF-IDF word and character n-grams plus a few dense
features (features.py), scored by a logistic regression.

The artifact is our own, written by `manage.py train_crisis_model` and loaded only from this
package's directory (or a path a caller passes explicitly). It is stored without pickle: a NumPy
`.npz` read with `allow_pickle=False` (vocabularies, IDF weights, coefficients) and a JSON file
(settings, thresholds, cross-validated figures). Loading it cannot execute code.
"""

import json
from pathlib import Path

import numpy as np

from modelserve.tfidf_artifact import PerProcess, rebuild_vectoriser, vocabulary_terms

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
    path.mkdir(parents=True, exist_ok=True)

    np.savez_compressed(path / "crisis_model.npz", word_terms=vocabulary_terms(word_vec), word_idf=word_vec.idf_,
                        char_terms=vocabulary_terms(char_vec), char_idf=char_vec.idf_,
                        coef=lr.coef_[0].astype(np.float64), intercept=np.array([lr.intercept_[0]], dtype=np.float64))
    (path / "crisis_model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def load(path: Path = ARTIFACT_DIR) -> CrisisModel:
    meta = json.loads((path / "crisis_model.json").read_text())
    with np.load(path / "crisis_model.npz", allow_pickle=False) as z:
        word = rebuild_vectoriser(WORD_PARAMS, z["word_terms"].tolist(), z["word_idf"])
        char = rebuild_vectoriser(CHAR_PARAMS, z["char_terms"].tolist(), z["char_idf"])
        return CrisisModel(word, char, z["coef"], float(z["intercept"][0]), meta)


_models = PerProcess(lambda path: load(path))  # looked up when called, so load can be replaced


def get(path: Path = ARTIFACT_DIR) -> CrisisModel:
    """The model at PATH, loaded once per process."""
    return _models.get(path)
