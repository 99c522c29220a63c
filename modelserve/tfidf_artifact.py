"""Storing fitted TF-IDF vectorisers without pickle, and loading small models once per process.

The crisis model and the role classifier keep their vocabularies and idf weights in .npz files
(loaded with allow_pickle=False), so an artifact in the repository can never run code.
"""

import threading

import numpy as np


def vocabulary_terms(vec):
    """The vectoriser's terms in column order, for saving."""
    return np.array(sorted(vec.vocabulary_, key=vec.vocabulary_.get))


def rebuild_vectoriser(params, terms, idf):
    """A TfidfVectorizer that transforms exactly as the saved one did."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(**{k: v for k, v in params.items() if k not in ("min_df", "max_features")},
                          vocabulary={t: i for i, t in enumerate(terms)})
    vec.idf_ = idf
    return vec


class PerProcess:
    """load(path) at most once per process and path, safe to call from several threads."""

    def __init__(self, load):
        self._load = load
        self._lock = threading.Lock()
        self._loaded = {}

    def get(self, path):
        model = self._loaded.get(path)
        if model is None:
            with self._lock:
                model = self._loaded.get(path)
                if model is None:
                    model = self._loaded[path] = self._load(path)
        return model
