"""Figures for the crisis detector: recall, precision, F1 and the confusion matrix."""

import numpy as np


def binary_figures(y, flagged) -> dict:
    y, flagged = np.asarray(y, dtype=bool), np.asarray(flagged, dtype=bool)
    tp = int((y & flagged).sum())
    fp = int((~y & flagged).sum())
    fn = int((y & ~flagged).sum())
    tn = int((~y & ~flagged).sum())
    recall = tp / (tp + fn) if tp + fn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(y), "recall": round(recall, 4), "precision": round(precision, 4), "f1": round(f1, 4),
            "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn}}


def evaluate(rows, results) -> dict:
    """Figures for the combined detector and each detector alone, from `check` RESULTS on ROWS."""
    from . import is_crisis, rules_flagged

    y = [r["crisis"] for r in rows]
    detectors = {
        "combined": [is_crisis(res) for res in results],
        "rules": [rules_flagged(res) for res in results],
        "ml": ["ml" in res["detectors"] for res in results],
        "message": ["message" in res["detectors"] for res in results],
    }
    out = {}
    labels = sorted({r["label"] for r in rows if r["crisis"]})
    for name, flagged in detectors.items():
        figures = binary_figures(y, flagged)
        figures["recall_by_label"] = {
            label: round(float(np.mean([f for f, r in zip(flagged, rows) if r["label"] == label])), 4) for label in labels}
        out[name] = figures
    levels = {}
    for r, res in zip(rows, results):
        levels.setdefault(r["label"], {}).setdefault(res["level"], 0)
        levels[r["label"]][res["level"]] += 1
    out["levels_by_label"] = levels
    return out


def by_level(rows, results) -> dict:
    """For each level as the flag threshold (a message flagged at it or above): recall and precision
    where ROWS hold crisis messages, and the share of the non-crisis ones flagged (false alarms)."""
    from .levels import LEVELS, at_least

    y = [r["crisis"] for r in rows]
    negatives = y.count(False)
    out = {}
    for threshold in LEVELS[1:]:
        flagged = [at_least(res["level"], threshold) for res in results]
        figures = binary_figures(y, flagged) if any(y) else {"n": len(y)}
        false_alarms = sum(f for f, crisis in zip(flagged, y) if not crisis)
        figures["flag_rate_negatives"] = round(false_alarms / negatives, 4) if negatives else None
        out[threshold] = figures
    return out


def graded(rows, results) -> dict:
    """Figures against written statements with a gold level each (statements.py): for each level
    as the threshold, recall and precision of "at or above it"; how the explicit statements fared;
    and gold level -> detected level counts."""
    from .levels import LEVELS, at_least

    out = {"by_level": {}}
    for threshold in LEVELS[1:]:
        gold = [at_least(r["level"], threshold) for r in rows]
        found = [at_least(res["level"], threshold) for res in results]
        out["by_level"][threshold] = binary_figures(gold, found)
    explicit = [res["level"] for r, res in zip(rows, results) if r["explicit"]]
    out["explicit"] = {
        "n": len(explicit),
        "at_high_or_above": round(sum(at_least(lv, "high") for lv in explicit) / len(explicit), 4) if explicit else None,
        "below_moderate": sum(not at_least(lv, "moderate") for lv in explicit),
    }
    # A counsellor's questions and reflections (level none): what a trainee's work must not raise.
    asked = [res["level"] for r, res in zip(rows, results) if r.get("question")]
    out["questions"] = {"n": len(asked), **{f"at_{threshold}_or_above": sum(at_least(lv, threshold) for lv in asked)
                                             for threshold in ("low", "moderate")}}
    confusion = {}
    for r, res in zip(rows, results):
        confusion.setdefault(r["level"], {}).setdefault(res["level"], 0)
        confusion[r["level"]][res["level"]] += 1
    out["gold_to_detected"] = {level: confusion[level] for level in LEVELS if level in confusion}
    return out
