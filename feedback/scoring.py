"""Scoring one trainee message with the skill models (feedback/skills/).

`score(text, prev_client, earlier_trainee)` is the one entry point; tests replace it with a fixed
mapping where they check arithmetic rather than the models.
"""

import re

from feedback.skills import model as skill_models
from feedback.skills.train import EMPATHY_DIMENSIONS, FINE_UNDER_MAIN

# The affirmation model (ESConv) is fairly precise but misses most affirmations (docs/feedback.md).
# AnnoMI has no affirmation code, so its coders filed affirmations under reflection, input or other;
# the tag replaces any of those (never a question) when the model is at least this sure.
AFFIRMATION_THRESHOLD = 0.5

# MI's "advice with permission": the trainee asked, in this message or the one before, whether
# the client wants to hear it. Transparent phrases, not a model: AnnoMI does not label permission.
_PERMISSION = re.compile(
    r"\b(would it be (ok|okay|alright|all right) (if|to)|is it (ok|okay|alright|all right) if|can i (share|suggest|offer|tell|give|mention)"
    r"|may i|do you mind if i|would you (like|want) (me to|to hear|some|a few|an idea|to know)|are you interested in"
    r"|if you('re| are) (interested|open|okay)|if it'?s (ok|okay|alright) with you|with your permission)\b",
    re.IGNORECASE,
)


def asked_permission(text, earlier_trainee=""):
    return bool(_PERMISSION.search(text or "") or _PERMISSION.search(earlier_trainee or ""))


def score(text, prev_client="", earlier_trainee=""):
    """{"main", "code", "confidence", "asked_permission", "empathy": {dimension: 0|1|2}}."""
    rows = [{"text": text, "prev": prev_client}]
    behaviour = skill_models.get("behaviour")
    p_main = behaviour.predict_proba(rows)[0]
    main = behaviour.classes[int(p_main.argmax())]
    fine = skill_models.get("behaviour_fine")
    p_fine = fine.predict_proba(rows)[0]
    code = max(FINE_UNDER_MAIN[main], key=lambda c: p_fine[fine.classes.index(c)])
    if main != "question":
        affirmation = skill_models.get("affirmation")
        if affirmation.predict_proba(rows)[0][affirmation.classes.index("1")] >= AFFIRMATION_THRESHOLD:
            code = "affirmation"
    empathy = {dim: int(skill_models.get(f"empathy_{dim}").predict(rows)[0]) for dim in EMPATHY_DIMENSIONS}
    return {
        "main": main,
        "code": code,
        "confidence": round(float(p_main.max()), 4),
        "asked_permission": asked_permission(text, earlier_trainee) if code == "advice" else None,
        "empathy": empathy,
    }
