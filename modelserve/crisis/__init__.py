"""Crisis detection for messages in a Pixel session: rules, a message-level model and a post model.

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

RULES_VERSION = "rules-6"  # 6: burden talk and not caring whether one lives (low); harm to others with a blow or an object; abuse in the present tense; a hand burned on the oven as an accident; "for weeks now" not a time; a "we" question; 5: levels as defined (preparation high, at hand imminent, a passive wish low); the families still missed on the training statements. 4: explicit acts without the words suicide or kill myself (means stashed, affairs settled "for when I'm gone", rehearsal, in progress); "how to do it" no longer a method
# The Gaur post model was trained on Reddit posts (median 50 words, crisis posts 87) and, on short
# messages, flags everyday stress; from this length on it reads a message too (docs/crisis.md).
LONG_POST_WORDS = 60
# Longer text is cut here: a chat message never comes close, and the cap bounds the time spent.
MAX_CHARS = 50_000
SPEAKERS = ("client", "trainee")

log = logging.getLogger(__name__)


def _ml_score(text, rule_result, model_path):
    from . import model as crisis_model
    from .features import dense

    model = crisis_model.get(model_path) if model_path else crisis_model.get()
    return float(model.predict([text], [dense(text, rule_result)])[0]), model


def _message_score(text, path):
    from . import message_model

    model = message_model.get(path) if path else message_model.get()
    return model.score(text), model


def _raise(level, floor):
    return floor if LEVELS.index(floor) > LEVELS.index(level) else level


def check(text: str, *, speaker: str = "client", model_path=None, message_model_path=None, use_message_model=True) -> dict:
    """Crisis level, categories and evidence for one message; never raises.

    Three detectors (docs/crisis.md): the rules; the message-level model, which reads a message as a
    whole and sentence by sentence and was taught that a counsellor's question about suicide is not
    a disclosure; and the Gaur post model, which only reads long posts (LONG_POST_WORDS or more),
    the kind of text it was trained on. The level is the highest any of them gives.

    SPEAKER is "client" (default) or "trainee". A trainee asks about suicide as part of the work,
    so the post model, trained on people writing about themselves and the replies they got, is not
    used for the trainee; the rules and the message model are, because a trainee is a real person.

    USE_MESSAGE_MODEL=False reads as the detector did before the message model (the rules, and the
    post model on every client message): `crisis_eval --without-message-model`, for comparison.
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
    evidence = list(rule_result["evidence"])
    versions = [RULES_VERSION]
    message, ml = None, None
    if text.strip() and use_message_model:
        try:
            message, model = _message_score(text, message_model_path)
            versions.append(model.meta["version"])
            if message["level"] != "none":
                detectors.append("message")
                level = _raise(level, message["level"])
                start, end = message["span"]
                evidence.append({"start": start, "end": end, "text": text[start:end],
                                 "category": f"message:{message['level']}", "detector": "message"})
        except Exception:  # noqa: BLE001
            log.exception("crisis message model failed; rules and the post model")
            versions.append("no-message")
    # Without the message model the post model reads every client message, as it did before: a
    # screen that lost a detector errs towards flagging.
    long_post = len(text.split()) >= LONG_POST_WORDS or message is None
    if speaker != "trainee" and text.strip() and long_post:
        try:
            ml, model = _ml_score(text, rule_result, model_path)
            versions.append(model.meta["version"])
            if ml >= model.threshold:
                detectors.append("ml")
                # Alone, the post model's score says a post reads like those of at-risk Reddit
                # authors, which is "low": over its higher threshold it flagged 0.24% of real client
                # turns in the training-side counselling sets (ESConv train/valid, AnnoMI train) that
                # neither other detector found, and its moderate did not tell r/SuicideWatch from
                # r/depression (issue 15). It reaches moderate only when the rules or the message
                # model also see risk in the same message. Without the message model (failed, or
                # left out to compare with the detector before it) it grades alone, as it did.
                corroborated = message is None or LEVELS.index(level) >= LEVELS.index("low")
                level = _raise(level, "moderate" if ml >= model.threshold_moderate and corroborated else "low")
        except Exception:  # noqa: BLE001
            log.exception("crisis ML model failed")
            versions.append("no-ml")
    return {
        "level": level,
        "categories": rule_result["categories"],
        "evidence": evidence,
        "detectors": detectors,
        "scores": {"ml": ml, "message": message["probabilities"] if message else None, "rules": rule_result["counts"]},
        "version": "+".join(versions),
    }


def rules_flagged(result: dict) -> bool:
    """Whether the rules found first-person risk (third-party and past-only concerns don't count)."""
    return bool(set(result["categories"]) & set(RISK_CATEGORIES))


def is_crisis(result: dict) -> bool:
    """The binary decision the Gaur figures in docs/crisis.md measure: rules risk, or either model
    over its first threshold."""
    return rules_flagged(result) or "ml" in result["detectors"] or "message" in result["detectors"]
