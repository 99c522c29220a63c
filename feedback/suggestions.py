"""Nearest AnnoMI moments for "a skilled counsellor here might have said" (index built by
`manage.py train_skills` from training transcripts of high MI quality; feedback/skills/train.py)."""

import json
import threading

import numpy as np

from feedback.skills import recipes
from feedback.skills.model import ARTIFACT_DIR

_lock = threading.Lock()
_index = {}


def _load():
    with _lock:
        if not _index:
            from sklearn.feature_extraction.text import TfidfVectorizer

            with np.load(ARTIFACT_DIR / "suggestions.npz", allow_pickle=False) as z:
                params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in recipes.SUGGESTIONS["tfidf"].items()}
                params = {k: v for k, v in params.items() if k not in ("min_df", "max_features")}
                vec = TfidfVectorizer(**params, vocabulary={t: i for i, t in enumerate(z["terms"].tolist())})
                vec.idf_ = z["idf"].astype(np.float64)
                _index.update(vec=vec, components=z["components"], vectors=z["vectors"])
            _index["quotes"] = json.loads((ARTIFACT_DIR / "suggestions.json").read_text())["quotes"]
    return _index


def similar(client_text, k=2):
    """Up to K quotes whose client turn is most like CLIENT_TEXT, best first, each with its score."""
    index = _load()
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
