"""A trainee asks about suicide as part of the work: no line of any scenario script may raise the
trainee support level, while a trainee's own explicit disclosure must (docs/crisis.md, protocol)."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from modelserve.crisis import check
from modelserve.crisis.levels import at_least


def script_lines():
    for path in sorted((Path(settings.PIXEL_SCENARIO_DIR) / "scripts").glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                yield f"{path.name}:{number}", json.loads(line)["text"]


def raises_support(text):
    return at_least(check(text, speaker="trainee")["level"], settings.PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL)


def test_no_scenario_script_line_raises_the_trainee_support_level():
    lines = list(script_lines())
    assert len(lines) > 400  # every script of the library, risk questions included
    raised = [(where, text) for where, text in lines if raises_support(text)]
    assert not raised, raised


@pytest.mark.parametrize("text", [
    "honestly i'm going to kill myself tonight after this shift",
    "I'm going to take all my pills tonight",
    "I don't want to be here anymore",
    "I've been cutting myself again since last week",
    "Sorry, this is about me, not the client: I've been thinking about ending my life.",
    "i have the pills saved up for tonight",
    "I wrote goodbye letters to my kids yesterday",
    "I went to the bridge last night to see how high it is",
    "tbh i wanna kms",
])
def test_a_trainees_own_explicit_disclosure_raises_it(text):
    assert raises_support(text)
