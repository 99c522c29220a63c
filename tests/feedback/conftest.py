"""Sessions with scripted transcripts, and a stand-in for the skill models where a test checks
arithmetic rather than the models."""

import pytest
from django.utils import timezone

from simulator.models import Message, Session
from tests.conftest import make_scenario

EMPTY = {"emotional_reactions": 0, "interpretations": 0, "explorations": 0}


def build_session(trainee, script, scenario=None, ended=True):
    """A session whose messages are SCRIPT: [(role, text), ...], stored with the model methods
    (no message_stored signal, so nothing is scored until a test asks)."""
    scenario = scenario or make_scenario()
    session = Session.objects.create(trainee=trainee, scenario_version=scenario.snapshot())
    for i, (role, text) in enumerate(script):
        session.append(role, text, client_msg_id=f"t{i}" if role == Message.TRAINEE else None)
    if ended:
        Session.objects.filter(pk=session.pk).update(status=Session.ENDED, ended_at=timezone.now())
        session.refresh_from_db()
    return session


@pytest.fixture
def fixed_scores(monkeypatch):
    """Replace the models with MAPPING: {trainee text: (code, {dimension: level})}; returns MAPPING
    for the test to fill. Unknown text is an error, so a test cannot silently score by model."""
    from feedback import scoring

    mapping = {}
    main_of = {
        "open_question": "question",
        "closed_question": "question",
        "simple_reflection": "reflection",
        "complex_reflection": "reflection",
        "giving_information": "therapist_input",
        "advice": "therapist_input",
        "affirmation": "other",
        "other": "other",
    }

    def fake(text, prev_client="", earlier_trainee=""):
        code, empathy = mapping[text]
        return {
            "main": main_of[code],
            "code": code,
            "confidence": 1.0,
            "asked_permission": scoring.asked_permission(text, earlier_trainee) if code == "advice" else None,
            "empathy": {**EMPTY, **empathy},
        }

    monkeypatch.setattr(scoring, "score", fake)
    return mapping
