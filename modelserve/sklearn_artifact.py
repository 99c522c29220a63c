"""Saving and loading Pixel's small scikit-learn models without pickle, once per process.

Every such model (the crisis model, the role classifier, the feedback skill models and the
suggestion index) is TF-IDF vectorisers plus arrays of weights, stored as NAME.npz (read with
allow_pickle=False) and NAME.json (settings, classes, figures). An artifact in the repository can
therefore never run code, and each model keeps only the arithmetic that uses the weights.

A vectoriser is stored as its terms in column order and its idf weights, under "<name>_terms" and
"<name>_idf" ("terms" and "idf" for a model's only, unnamed one). Its settings are not stored
with it: they come from the code or the model's JSON.
"""

import json
import threading
from pathlib import Path

import numpy as np

# Settings that only choose the vocabulary while fitting; a rebuilt vectoriser is given its vocabulary.
FIT_ONLY = ("min_df", "max_features")


def vectoriser(params: dict, vocabulary: dict | None = None, idf: np.ndarray | None = None):
    """A TfidfVectorizer from PARAMS as written in code or read back from JSON (lists for tuples).

    With VOCABULARY and IDF, one that transforms exactly as the saved one did, without fitting.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items()}
    if vocabulary is None:
        return TfidfVectorizer(**params)
    vec = TfidfVectorizer(**{k: v for k, v in params.items() if k not in FIT_ONLY}, vocabulary=vocabulary)
    vec.idf_ = idf
    return vec


def _key(name: str, what: str) -> str:
    return f"{name}_{what}" if name else what


def save(
    path: Path,
    name: str,
    meta: dict,
    arrays: dict | None = None,
    vectorisers: dict | None = None,
    *,
    idf_dtype=None,
    **json_options,
) -> None:
    """Write NAME.npz (ARRAYS and each of VECTORISERS, by name) and NAME.json (META) under PATH.

    IDF_DTYPE: float32 halves a large vocabulary's share of the file; None keeps float64.
    JSON_OPTIONS: for json.dumps, to keep an existing file's layout (indent 2, sorted keys by default).
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    arrays = dict(arrays or {})
    for vec_name, vec in (vectorisers or {}).items():
        arrays[_key(vec_name, "terms")] = np.array(sorted(vec.vocabulary_, key=vec.vocabulary_.get))
        arrays[_key(vec_name, "idf")] = vec.idf_ if idf_dtype is None else vec.idf_.astype(idf_dtype)
    # The zip's timestamps differ between writes; the arrays (what reproducibility tests compare) do not.
    np.savez_compressed(path / f"{name}.npz", **arrays)
    options = {"indent": 2, "sort_keys": True, **json_options}
    (path / f"{name}.json").write_text(json.dumps(meta, **options) + "\n")


class Stored:
    """One artifact read back: its META, its ARRAYS, and vectoriser() to rebuild a vectoriser."""

    def __init__(self, meta: dict, arrays: dict):
        self.meta, self.arrays = meta, arrays

    def vectoriser(self, params: dict, name: str = ""):
        terms = self.arrays[_key(name, "terms")].tolist()
        idf = self.arrays[_key(name, "idf")].astype(np.float64)
        return vectoriser(params, {t: i for i, t in enumerate(terms)}, idf)


def load(path: Path, name: str) -> Stored:
    path = Path(path)
    meta = json.loads((path / f"{name}.json").read_text())
    with np.load(path / f"{name}.npz", allow_pickle=False) as z:
        return Stored(meta, {k: z[k] for k in z.files})


def exists(path: Path, name: str) -> bool:
    return (Path(path) / f"{name}.npz").is_file() and (Path(path) / f"{name}.json").is_file()


class PerProcess:
    """load(*key) at most once per process and key, safe to call from several threads."""

    def __init__(self, load):
        self._load = load
        self._lock = threading.Lock()
        self._loaded = {}

    def get(self, *key):
        model = self._loaded.get(key)
        if model is None:
            with self._lock:
                model = self._loaded.get(key)
                if model is None:
                    model = self._loaded[key] = self._load(*key)
        return model
