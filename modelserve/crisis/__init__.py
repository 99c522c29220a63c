"""Crisis detection for messages in a Pixel session: rules plus a small ML model.

    from modelserve.crisis import check
    check("I've been saving my pills for tonight")
    # {"level": "imminent", "categories": ["preparatory"], "evidence": [...], "detectors": ["rules"], ...}

How it works, what the levels mean and how well it does: docs/crisis.md. It is a screen that
favours recall, never a substitute for clinical judgement.

Everything about crisis content that reads text lives in this package: the detector (rules, the
ML model), the levels, the normaliser, the list of means, and the filter that keeps method details
out of the simulated client's replies (output_filter). What Pixel *does* with a verdict (pause,
alert, support) is the simulator's crisis protocol: simulator/crisis_protocol.py.
"""

import logging

from . import rules
from .levels import LEVELS, at_least
from .rules import CATEGORIES, RISK_CATEGORIES

__all__ = ["LEVELS", "at_least", "CATEGORIES", "RISK_CATEGORIES", "RULES_VERSION", "check", "is_crisis", "rules_flagged"]

RULES_VERSION = "rules-2"
# Longer text is cut here: a chat message never comes close, and the cap bounds the time spent.
MAX_CHARS = 50_000
SPEAKERS = ("client", "trainee")

log = logging.getLogger(__name__)


def _ml_score(text, rule_result, model_path):
    from . import model as crisis_model
    from .features import dense

    model = crisis_model.get(model_path) if model_path else crisis_model.get()
    return float(model.predict([text], [dense(text, rule_result)])[0]), model


def check(text: str, *, speaker: str = "client", model_path=None) -> dict:
    """Crisis level, categories and evidence for one message; never raises.

    SPEAKER is "client" (default) or "trainee". A trainee asks about suicide as part of the work,
    so the ML model, trained on people writing about themselves and the replies they got, is not
    used for the trainee; the rules still are, because a trainee is a real person.
    """
    try:
        if not isinstance(text, str):
            text = "" if text is None else (text.decode("utf-8", "replace") if isinstance(text, bytes | bytearray) else str(text))
        text = text[:MAX_CHARS]
        rule_result = rules.run(text)
    except Exception:  # noqa: BLE001 - a screen must answer; a bug here is logged, not raised
        log.exception("crisis rules failed")
        rule_result = {"level": "none", "categories": [], "evidence": [], "counts": {}}
    level = rule_result["level"]
    detectors = ["rules"] if rule_result["categories"] else []
    ml, version = None, RULES_VERSION + "+no-ml"
    if speaker != "trainee" and text.strip():
        try:
            ml, model = _ml_score(text, rule_result, model_path)
            version = f"{RULES_VERSION}+{model.meta['version']}"
            if ml >= model.threshold:
                detectors.append("ml")
                floor = "moderate" if ml >= model.threshold_moderate else "low"
                if LEVELS.index(floor) > LEVELS.index(level):
                    level = floor
        except Exception:  # noqa: BLE001
            log.exception("crisis ML model failed; rules only")
    return {
        "level": level,
        "categories": rule_result["categories"],
        "evidence": rule_result["evidence"],
        "detectors": detectors,
        "scores": {"ml": ml, "rules": rule_result["counts"]},
        "version": version,
    }


def rules_flagged(result: dict) -> bool:
    """Whether the rules found first-person risk (third-party and past-only concerns don't count)."""
    return bool(set(result["categories"]) & set(RISK_CATEGORIES))


def is_crisis(result: dict) -> bool:
    """The binary decision the figures in docs/crisis.md measure: rules risk or ML over threshold."""
    return rules_flagged(result) or "ml" in result["detectors"]
