"""Scoring is triggered by a stored trainee message (simulator.signals.message_stored), runs once
per message, and reaches the trainee's socket live only when their cohort asks for it."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from celery import Celery
from channels.layers import get_channel_layer

from feedback import tasks
from feedback.actions import do_score_message
from feedback.models import MessageScore
from feedback.selectors import tags_by_seq
from simulator.actions import announce_and_check
from simulator.models import Message
from tests.feedback.conftest import build_session

pytestmark = pytest.mark.django_db

TEXT = "It sounds like the evenings are the hardest part."


@pytest.fixture
def session(trainee, fixed_scores):
    fixed_scores[TEXT] = ("complex_reflection", {"emotional_reactions": 1, "interpretations": 2})
    return build_session(trainee, [("client", "Evenings are awful. The flat is so quiet.")], ended=False)


def store_trainee_message(session, django_capture_on_commit_callbacks):
    """Store a message the way the simulator does: append, then announce it after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = session.append(Message.TRAINEE, TEXT, client_msg_id="m1")
        announce_and_check(message)
    return message


def test_stored_trainee_message_is_scored_in_embedded_mode(session, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    message = store_trainee_message(session, django_capture_on_commit_callbacks)
    score = MessageScore.objects.get(message=message)
    assert (score.seq, score.code, score.main) == (message.seq, "complex_reflection", "reflection")
    assert score.empathy == {"emotional_reactions": 1, "interpretations": 2, "explorations": 0}
    assert tags_by_seq(session) == {
        message.seq: {
            "codes": ["complex_reflection"],
            "labels": ["Complex reflection"],
            "main": "reflection",
            "empathy": score.empathy,
        }
    }


def test_with_workers_the_stored_message_is_queued_for_the_default_queue(
    session, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(Celery, "send_task", lambda app, name, args=(), **kwargs: queued.append((name, list(args))))
    message = store_trainee_message(session, django_capture_on_commit_callbacks)
    assert ("feedback.tasks.score_message", [message.pk]) in queued
    assert not MessageScore.objects.exists()
    from config.celery import app

    assert app.amqp.router.route({}, "feedback.tasks.score_message")["queue"].name == "default"
    assert tasks.score_message(message.pk) == "complex_reflection"  # what the worker would run


def test_client_messages_are_not_scored(session):
    client_message = session.messages.get(seq=1)
    assert do_score_message(client_message.pk) is None
    assert not MessageScore.objects.exists()


def test_scoring_twice_stores_one_row_and_sends_one_event(
    session, cohorts, django_capture_on_commit_callbacks, monkeypatch
):
    cohorts[0].show_live_feedback = True
    cohorts[0].save()
    message, _ = session.append(Message.TRAINEE, TEXT, client_msg_id="m1")
    sent = []
    monkeypatch.setattr("simulator.events.send_now", lambda group, payload: sent.append((group, payload)))
    with django_capture_on_commit_callbacks(execute=True):
        first = do_score_message(message.pk)
    with django_capture_on_commit_callbacks(execute=True):
        second = do_score_message(message.pk)
    assert first.pk == second.pk and MessageScore.objects.count() == 1
    assert len(sent) == 1


def _listen(group):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return layer, channel


def _receive(layer, channel, timeout):
    async def go():
        return await asyncio.wait_for(layer.receive(channel), timeout)

    return async_to_sync(go)()


def test_live_feedback_reaches_the_trainees_socket_when_the_cohort_shows_it(
    session, cohorts, django_capture_on_commit_callbacks
):
    cohorts[0].show_live_feedback = True
    cohorts[0].save()
    layer, channel = _listen(session.group_name)
    message, _ = session.append(Message.TRAINEE, TEXT, client_msg_id="m1")
    with django_capture_on_commit_callbacks(execute=True):
        do_score_message(message.pk)
    event = _receive(layer, channel, 5)
    assert event["type"] == "pixel.event"
    assert event["payload"] == {
        "type": "feedback",
        "seq": message.seq,
        "codes": ["complex_reflection"],
        "labels": ["Complex reflection"],
        "main": "reflection",
        "empathy": {"emotional_reactions": 1, "interpretations": 2, "explorations": 0},
    }


def test_no_live_feedback_when_the_cohort_setting_is_off(session, cohorts, django_capture_on_commit_callbacks):
    assert cohorts[0].show_live_feedback is False  # the default
    layer, channel = _listen(session.group_name)
    message, _ = session.append(Message.TRAINEE, TEXT, client_msg_id="m1")
    with django_capture_on_commit_callbacks(execute=True):
        do_score_message(message.pk)
    assert MessageScore.objects.filter(message=message).exists()
    with pytest.raises(asyncio.TimeoutError):
        _receive(layer, channel, 1)
