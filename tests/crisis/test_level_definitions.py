"""Each crisis level as docs/crisis.md defines it ("What the levels should mean"), checked on the
whole detector with examples written for this file (none of them is in statements.py): several
wordings, first person in present, past and future, texting register, and lines that share words
with risk but are not.

A screen is allowed to rate one step high (a supervisor looks, nothing worse), never low: each
example names the lowest level it may get and the highest.

KNOWN_MISSES are examples the detector gets wrong today (issue 15 is open on them; docs/crisis.md
says why). They are strict xfails: each is run, is reported, and fails the suite the day it passes,
so that it moves back among the others.
"""

import pytest

from modelserve.crisis import check
from modelserve.crisis.levels import LEVELS

EXAMPLES = {
    # none: ordinary distress, idioms, topic talk, denial. Never flagged at moderate or above.
    ("none", "low"): [
        "My manager keeps piling on work and I'm exhausted by Friday.",
        "ugh this essay is going to be the death of me",
        "We watched a documentary about suicide prevention in class today.",
        "I'm not suicidal, I'm just really fed up with my flatmates.",
        "I cut my finger opening a tin, it's fine now.",
        "I sold my car to my cousin because I can't afford the insurance.",
    ],
    # low: hopelessness, passive wish to be dead, burden talk.
    ("low", "moderate"): [
        "Sometimes I think everyone would manage fine if I wasn't around.",
        "i just dont see the point of anything anymore",
        "Some mornings I wish I simply hadn't woken up.",
        "I feel like I'm just dragging my family down.",
    ],
    # moderate: active thoughts of suicide without method or plan.
    ("moderate", "high"): [
        "I've been thinking about killing myself most days this month.",
        "lately i keep wanting to end my life",
        "The thought of suicide has been in my head all week.",
        "honestly i wanna unalive myself",
    ],
    # high: method, means, plan, preparation, recent attempt or self-injury, harm to others, abuse.
    ("high", "imminent"): [
        "I've got a stash of tablets hidden in my wardrobe for when I decide to go.",
        "I've been putting my tablets aside in a drawer so I have enough when I decide to go.",
        "I looked up how many paracetamol it would take to die.",
        "I've been writing letters to my children for after I'm dead.",
        "Three weeks ago I swallowed a whole packet of pills and woke up in hospital.",
        "I burned my arm with a lighter again on Tuesday.",
        "My husband punches me when he's been drinking and he's drinking tonight.",
    ],
    # imminent: intent with a time or the means at hand, an attempt under way.
    ("imminent", "imminent"): [
        "I'm going to kill myself tonight when my parents are asleep.",
        "I've just swallowed everything in the medicine cabinet.",
        "I've got the pills in front of me and I'm taking them after this.",
    ],
}


KNOWN_MISSES = {
    # Calibrated to flag at most 2% of ordinary talk at low, the model's low threshold is 0.59
    # (crisis-msg-4); these score 0.1 to 0.4, and no rule reads them.
    "Sometimes I think everyone would manage fine if I wasn't around.": "burden talk without 'better off': the model's P(low) 0.40",
    "I feel like I'm just dragging my family down.": "burden talk without 'better off': the model's P(low) 0.11",
}


def _case(lowest, highest, text):
    if text in KNOWN_MISSES:
        return pytest.param(lowest, highest, text, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[text]))
    return pytest.param(lowest, highest, text)


@pytest.mark.parametrize(("lowest", "highest", "text"), [
    _case(lowest, highest, text) for (lowest, highest), texts in EXAMPLES.items() for text in texts
])
def test_each_level_as_defined(lowest, highest, text):
    level = check(text)["level"]
    assert LEVELS.index(lowest) <= LEVELS.index(level) <= LEVELS.index(highest), (text, level)


@pytest.mark.parametrize("text", [
    "Have you been having thoughts of suicide?",
    "It sounds like part of you wants to die. Is that right?",
    "Have you got pills at home that you could use to hurt yourself?",
    "When did you last hurt yourself?",
    "So you went up to the bridge last month and thought about jumping.",
])
def test_a_counsellors_question_about_risk_is_not_a_disclosure(text):
    """The trainee's work (docs/crisis.md): asked or reflected back, risk words are not the speaker's own."""
    assert LEVELS.index(check(text, speaker="trainee")["level"]) < LEVELS.index("moderate"), text
