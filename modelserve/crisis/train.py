"""Training recipe for the crisis model (run it with `manage.py train_crisis_model`).

1. Read the Gaur et al. (2019) posts, `train` split only; binary target ideation/behavior/attempt.
2. Five-fold cross-validation grouped by user (a user's posts never straddle folds), fixed seed:
   out-of-fold probabilities for every training post.
3. Choose the operating threshold on those: the highest ML threshold at which the *combined*
   detector (rules OR ML) still reaches RECALL_TARGET out of fold. The test split is never read.
4. Fit on all training posts and write the artifact with its thresholds and CV figures.

Everything is deterministic (fixed fold seed, lbfgs), so a rerun reproduces the artifact.
"""

import time
from pathlib import Path

import numpy as np

from . import model as crisis_model
from .data import read_rows
from .evaluate import binary_figures
from .features import dense
from .rules import RISK_CATEGORIES
from .rules import run as run_rules

RECALL_TARGET = 0.96   # a little above the 0.95 asked for, as test recall scatters around CV recall
MODERATE_RECALL = 0.60  # ML alone reaches "moderate" above the threshold that keeps this recall
FOLDS, SEED = 5, 0


def _fit(texts, dense_rows, y):
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    word = TfidfVectorizer(**crisis_model.WORD_PARAMS)
    char = TfidfVectorizer(**crisis_model.CHAR_PARAMS)
    X = hstack([word.fit_transform(texts), char.fit_transform(texts), csr_matrix(dense_rows)]).tocsr()
    lr = LogisticRegression(**crisis_model.LR_PARAMS).fit(X, y)
    return word, char, lr


def _predict(word, char, lr, texts, dense_rows):
    from scipy.sparse import csr_matrix, hstack

    X = hstack([word.transform(texts), char.transform(texts), csr_matrix(dense_rows)]).tocsr()
    return lr.predict_proba(X)[:, 1]


def threshold_for_recall(scores, y, forced, target):
    """Highest threshold t such that (forced OR score >= t) recalls at least TARGET of y."""
    need = int(np.ceil(target * y.sum()))
    free = y & ~forced  # positives the rules did not already catch
    missing = need - int((y & forced).sum())
    if missing <= 0:
        return 1.0
    ranked = np.sort(scores[free])[::-1]
    return float(ranked[min(missing, len(ranked)) - 1])


def train(posts: Path, out: Path, log=print) -> dict:
    from sklearn.model_selection import StratifiedGroupKFold

    started = time.monotonic()
    rows, skipped = read_rows(posts, "cssrs", split="train")
    texts = [r["text"] for r in rows]
    y = np.array([r["crisis"] for r in rows], dtype=bool)
    groups = [r["user"] for r in rows]
    log(f"read {len(rows)} labelled training posts ({int(y.sum())} crisis), skipped {skipped} unlabelled")
    rule_results = [run_rules(t) for t in texts]
    dense_rows = np.array([dense(t, r) for t, r in zip(texts, rule_results)])
    rules_flag = np.array([bool(set(r["categories"]) & set(RISK_CATEGORIES)) for r in rule_results])

    oof = np.zeros(len(rows))
    folds = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=SEED)
    for k, (a, b) in enumerate(folds.split(texts, y, groups), 1):
        word, char, lr = _fit([texts[i] for i in a], dense_rows[a], y[a])
        oof[b] = _predict(word, char, lr, [texts[i] for i in b], dense_rows[b])
        log(f"fold {k}/{FOLDS}: {len(b)} posts scored ({time.monotonic() - started:.0f} s)")

    threshold = threshold_for_recall(oof, y, rules_flag, RECALL_TARGET)
    threshold_moderate = max(threshold, threshold_for_recall(oof, y, np.zeros_like(y), MODERATE_RECALL))
    ml_flag = oof >= threshold
    figures = {
        "combined": binary_figures(y, rules_flag | ml_flag),
        "rules": binary_figures(y, rules_flag),
        "ml": binary_figures(y, ml_flag),
    }
    log(f"cross-validated: combined recall {figures['combined']['recall']:.3f} precision {figures['combined']['precision']:.3f}")

    word, char, lr = _fit(texts, dense_rows, y)
    sample = texts[:: max(1, len(texts) // 50)][:50]
    sample_dense = dense_rows[:: max(1, len(texts) // 50)][:50]
    meta = {
        "version": "crisis-lr-6",  # 6: refitted on the rules-6 features; 5: rules-5
        "trained_on": "gaur2019-reddit-cssrs posts.jsonl, split=train, labelled rows",
        "n_train": len(rows), "n_crisis": int(y.sum()), "skipped_unlabelled": skipped,
        "folds": FOLDS, "seed": SEED, "recall_target": RECALL_TARGET, "moderate_recall": MODERATE_RECALL,
        "threshold": threshold, "threshold_moderate": threshold_moderate,
        "cv": figures,
        "sample_probabilities": [float(p) for p in _predict(word, char, lr, sample, sample_dense)],
    }
    crisis_model.save(out, word, char, lr, meta)
    log(f"wrote {out} in {time.monotonic() - started:.0f} s")
    return meta
