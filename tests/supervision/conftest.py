"""A recorded session to review, built with the simulator's model methods (no model, no broker).

Timeline of `recorded` (offsets in seconds from the start):
  1  0s  client   opening line
  2  20s trainee  "What brings you in today?"
  3  45s client   mentions feeling others would be better off without her (flagged high)
  4  46s event    crisis_flag on seq 3
  5  60s event    whisper from the supervisor
  6  90s trainee  asks directly about suicide
  7  95s event    paused by the supervisor
  8  155s event   resumed
  9  170s client  reply the persona guard regenerated once
 10  200s event   ended
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from simulator.models import Message, Session, SessionEvent
from supervision.models import Rubric
from tests.simulator.conftest import make_scenario

OPENING = "I'm not sure why I'm here, honestly."
RISK_TEXT = "I can't sleep since she left. Some nights I think everyone would be better off without me."
QUESTION = "Are you having thoughts of ending your life?"
REPLY = "Sometimes. I wouldn't act on it, though. My cat needs me."


def _at(row, start, seconds):
    type(row).objects.filter(pk=row.pk).update(created_at=start + timedelta(seconds=seconds))


def build_recording(trainee, supervisor, scenario=None, started_at=None, words=None):
    """A finished session with messages, a flag, a whisper, a pause and a regenerated reply."""
    scenario = scenario or make_scenario()
    start = started_at or timezone.now() - timedelta(hours=2)
    session = Session.objects.create(
        trainee=trainee, scenario_version=scenario.snapshot(), started_at=start, model_name="gemma-3-270m"
    )
    m, _ = session.append(Message.CLIENT, OPENING)
    _at(m, start, 0)
    m, _ = session.append(Message.TRAINEE, words or "What brings you in today?", client_msg_id="t1")
    _at(m, start, 20)
    m, _ = session.append(
        Message.CLIENT,
        RISK_TEXT,
        reply_to=2,
        crisis={"level": "high", "categories": ["suicidal ideation"]},
        crisis_level="high",
    )
    _at(m, start, 45)
    e = session.record(SessionEvent.FLAG, None, seq=3, level="high", categories=["suicidal ideation"])
    _at(e, start, 46)
    e = session.record(SessionEvent.WHISPER, supervisor, text="Ask directly about suicide.")
    _at(e, start, 60)
    m, _ = session.append(Message.TRAINEE, QUESTION, client_msg_id="t2")
    _at(m, start, 90)
    e = session.record(SessionEvent.PAUSED, supervisor)
    _at(e, start, 95)
    e = session.record(SessionEvent.RESUMED, supervisor)
    _at(e, start, 155)
    m, _ = session.append(
        Message.CLIENT, REPLY, reply_to=6, regenerations=1, guard_breaks=["assistant_talk"], model_name="gemma-3-270m"
    )
    _at(m, start, 170)
    e = session.record(SessionEvent.ENDED, trainee, reason="ended by the trainee")
    _at(e, start, 200)
    end = start + timedelta(seconds=200)
    Session.objects.filter(pk=session.pk).update(
        status=Session.ENDED, ended_at=end, last_activity_at=end, persona_breaks=1
    )
    session.refresh_from_db()
    return session


@pytest.fixture
def recorded(trainee, supervisor):
    return build_recording(trainee, supervisor)


@pytest.fixture
def other_recorded(outsider, outsider_supervisor):
    """A session in cohort B, which `supervisor` must never see."""
    return build_recording(
        outsider,
        outsider_supervisor,
        make_scenario("panic", title="Panic at work", topic="panic"),
        words="Tell me about the lighthouse keeper.",
    )


def default_rubric():
    """The default rubric the data migration seeds (seeded again if a transactional test flushed it)."""
    seed = importlib.import_module("supervision.migrations.0002_default_rubric_and_search_index")
    seed.seed_rubric(django_apps, None)
    return Rubric.objects.get(name=seed.RUBRIC)


@pytest.fixture
def rubric(db):
    return default_rubric()


def score_all(rubric, score=4):
    return {item.pk: score for item in rubric.items.all()}
