"""The crisis protocol end to end: detector verdict -> stored -> supervisors' groups, trainee support,
pause, e-mail, audit. The real detector runs; the channel layer is the configured one (Redis in CI)."""

import asyncio

import pytest
from celery import Celery
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent
from modelserve.generate import Reply
from simulator import actions
from simulator.crisis_protocol import do_check_message
from simulator.models import Session

pytestmark = [pytest.mark.django_db(transaction=True)]

CLIENT_PLAN = "I've made up my mind. I'm going to kill myself tonight, I have everything ready."
TRAINEE_IMMINENT = "honestly i'm going to kill myself tonight after this shift, i have the pills saved up"
TRAINEE_MODERATE = "Sorry, off topic, but lately I keep wishing I was dead myself."


@pytest.fixture(autouse=True)
def _checks_run_when_asked(settings):
    # Checks run where the test calls do_check_message, so it can listen first.
    settings.CELERY_TASK_ALWAYS_EAGER = False


def client_says(session, trainee_seq, text):
    reply = Reply(text=text, regenerations=0, breaks=[], fallback=False, seconds=0.1, first_token_seconds=0.01, model="test", tokens=5)
    message, _ = actions.do_store_client_reply(session, trainee_seq, reply)
    return message


async def listen(*groups):
    layer = get_channel_layer()
    channels = {}
    for group in groups:
        channels[group] = await layer.new_channel()
        await layer.group_add(group, channels[group])
    return layer, channels


async def drain(layer, channel, wait=0.5):
    events = []
    while True:
        try:
            events.append((await asyncio.wait_for(layer.receive(channel), wait))["payload"])
        except TimeoutError:
            return events


@pytest.fixture
def live_session(certified_trainee, supervisor, scenario):
    return actions.do_start_session(certified_trainee, scenario)


@pytest.mark.asyncio
async def test_client_flag_reaches_supervisors_and_never_the_trainee(live_session, certified_trainee, cohorts):
    trainee_msg, _ = await database_sync_to_async(actions.do_post_trainee_message)(certified_trainee, live_session, "t1", "How are you feeling tonight?")
    message = await database_sync_to_async(client_says)(live_session, trainee_msg.seq, CLIENT_PLAN)
    supervisors = f"cohort.{cohorts[0].pk}.supervisors"
    layer, channels = await listen(supervisors, live_session.observers_group, live_session.group_name)
    checked = await database_sync_to_async(do_check_message)(message.pk)
    assert checked.crisis_level in ("high", "imminent")
    flags = [e for e in await drain(layer, channels[supervisors]) if e["type"] == "crisis.flag"]
    assert len(flags) == 1 and flags[0]["seq"] == message.seq and flags[0]["speaker"] == "client"
    assert any(e["type"] == "crisis.flag" for e in await drain(layer, channels[live_session.observers_group]))
    trainee_events = await drain(layer, channels[live_session.group_name])
    assert not [e for e in trainee_events if e["type"].startswith("crisis") or e["type"] == "support"]
    audit = await database_sync_to_async(lambda: list(AuditEvent.objects.filter(event_type=AuditEvent.CRISIS_FLAG)))()
    assert len(audit) == 1 and audit[0].details["seq"] == message.seq


def test_by_default_a_client_at_low_is_recorded_but_not_flagged(live_session, certified_trainee, settings):
    """The default flag level (docs/crisis.md, "The client flag level"): a low message (here past
    ideation) is kept on the message for the recording, and only active thoughts and above
    interrupt a supervisor."""
    assert settings.PIXEL_CRISIS_CLIENT_FLAG_LEVEL == settings.PIXEL_CRISIS_CLIENT_FLAG_DEFAULT == "moderate"
    asked, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "How have the mornings been?")
    passive = client_says(live_session, asked.seq, "Years ago at uni I used to think about killing myself, but not for a long time now.")
    assert do_check_message(passive.pk).crisis_level == "low"
    assert not AuditEvent.objects.filter(event_type=AuditEvent.CRISIS_FLAG).exists()
    asked, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t2", "Tell me more about that.")
    active = client_says(live_session, asked.seq, "Lately I keep thinking about killing myself.")
    assert do_check_message(active.pk).crisis_level in ("moderate", "high")
    assert AuditEvent.objects.filter(event_type=AuditEvent.CRISIS_FLAG).count() == 1


@pytest.mark.asyncio
async def test_trainee_at_imminent_pauses_session_alerts_and_emails(live_session, certified_trainee, supervisor, cohorts):
    message, _ = await database_sync_to_async(actions.do_post_trainee_message)(certified_trainee, live_session, "t1", TRAINEE_IMMINENT)
    supervisors = f"cohort.{cohorts[0].pk}.supervisors"
    layer, channels = await listen(supervisors, live_session.group_name)
    checked = await database_sync_to_async(do_check_message)(message.pk)
    assert checked.crisis_level == "imminent"
    await database_sync_to_async(live_session.refresh_from_db)()
    assert live_session.status == Session.PAUSED
    alerts = [e for e in await drain(layer, channels[supervisors]) if e["type"] == "crisis.alert"]
    assert len(alerts) == 1 and alerts[0]["action"] == "pause" and alerts[0]["speaker"] == "trainee"
    trainee_events = await drain(layer, channels[live_session.group_name])
    support = [e for e in trainee_events if e["type"] == "support"]
    assert support and support[0]["support_resources"]
    assert {"type": "status", "status": "paused"}.items() <= next(e for e in trainee_events if e["type"] == "status").items()
    assert [m.to for m in mail.outbox] == [[supervisor.email]]
    escalation = await database_sync_to_async(AuditEvent.objects.get)(event_type=AuditEvent.CRISIS_ESCALATION)
    assert escalation.details["action"] == "pause" and escalation.details["level"] == "imminent"
    # The paused session refuses further messages with a clear reason.
    with pytest.raises(actions.SimulatorError, match="paused"):
        await database_sync_to_async(actions.do_post_trainee_message)(certified_trainee, live_session, "t2", "hello?")


def test_trainee_at_moderate_gets_support_without_pause(live_session, certified_trainee):
    message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", TRAINEE_MODERATE)
    checked = do_check_message(message.pk)
    assert checked.crisis_level in ("moderate", "high")
    live_session.refresh_from_db()
    assert live_session.status == Session.LIVE
    event = AuditEvent.objects.get(event_type=AuditEvent.CRISIS_ESCALATION)
    assert event.details["action"] == "support"
    assert not mail.outbox


def test_ordinary_messages_raise_nothing_and_checks_are_idempotent(live_session, certified_trainee):
    message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "What would a good week look like for you?")
    assert do_check_message(message.pk).crisis_level == "none"
    do_check_message(message.pk)
    assert not AuditEvent.objects.filter(event_type__in=[AuditEvent.CRISIS_FLAG, AuditEvent.CRISIS_ESCALATION]).exists()
    # The opening line was checked too (through the same queue path) once we ask.
    opening = live_session.messages.get(seq=1)
    assert do_check_message(opening.pk).crisis_checked_at is not None


def test_check_is_queued_for_every_stored_message(live_session, certified_trainee, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "Tell me more about that.")
    message.refresh_from_db()
    assert message.crisis_checked_at is not None and message.crisis["level"] == "none"


def test_with_the_broker_down_the_check_and_the_scoring_run_in_process(live_session, certified_trainee, settings,
                                                                       monkeypatch, django_capture_on_commit_callbacks):
    from feedback.models import MessageScore

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(Celery, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "Tell me more about that.")
    message.refresh_from_db()
    assert message.crisis_checked_at is not None and message.crisis["level"] == "none"
    assert MessageScore.objects.filter(message=message).exists()


def test_policy_page_is_for_staff(client, supervisor, trainee):
    client.force_login(trainee)
    assert client.get(reverse("crisis_policy")).status_code == 403
    client.force_login(supervisor)
    page = client.get(reverse("crisis_policy")).content.decode()
    assert "imminent" in page and "Samaritans" in page
    # Each level's meaning, and why the client flag's default sits where it does.
    assert "Active thoughts of suicide or self-harm, without a method" in page
    assert "The client flag's default is <strong>moderate</strong>" in page and "false alarm" in page
