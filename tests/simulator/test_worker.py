"""The production path: a real Celery worker on Redis runs the real bundled model, and the reply
streams through the Redis channel layer to the session's group."""

import asyncio
import os
import signal

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from modelserve.generate import HOLD_WORDS
from simulator import actions, tasks
from tests.services import start_celery_worker

pytestmark = [pytest.mark.worker, pytest.mark.llm, pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_redis():
    if not settings.REDIS_URL:
        pytest.fail("This test needs Redis: set REDIS_URL (bash .ci/run does).")


async def listen(group):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return layer, channel


async def collect_reply(layer, channel, timeout=120):
    events = []
    while True:
        event = (await asyncio.wait_for(layer.receive(channel), timeout))["payload"]
        events.append(event)
        if event["type"] == "message" and event["role"] == "client":
            return event, events


async def post(trainee, scenario, text):
    session = await sync_to_async(actions.do_start_session)(trainee, scenario)
    message, _ = await sync_to_async(actions.do_post_trainee_message)(trainee, session, "w-1", text)
    return session, message


async def test_worker_streams_a_real_reply(certified_trainee, scenario):
    worker = await sync_to_async(start_celery_worker)()
    try:
        session, message = await post(certified_trainee, scenario, "How have things been at work lately?")
        layer, channel = await listen(session.group_name)
        await sync_to_async(tasks.generate_reply.delay)(str(session.pk), message.seq)
        final, events = await collect_reply(layer, channel)
    finally:
        await sync_to_async(worker.stop)()
    tokens = [e for e in events if e["type"] == "token"]
    stored = await sync_to_async(session.messages.get)(reply_to=message.seq)
    assert stored.text == final["text"] and stored.text.strip()
    assert "gemma" in stored.model_name.lower()
    # A short reply that starts like an evasion is held back until whole, and a fallback or a
    # best-of-weak-samples reply comes in one piece: only a longer first sample must stream.
    if not stored.fallback and stored.regenerations == 0 and len(stored.text.split()) > HOLD_WORDS:
        assert len(tokens) > 1, "a real reply arrives in several pieces"
    if not stored.fallback:
        # Tokens of the final attempt (after any discard) make up the stored text.
        last_discard = max((i for i, e in enumerate(events) if e["type"] == "discard"), default=-1)
        streamed = "".join(e["text"] for e in events[last_discard + 1 :] if e["type"] == "token")
        assert streamed.strip() == stored.text


async def test_killed_worker_loses_nothing_and_duplicates_nothing(certified_trainee, scenario):
    env = {"PIXEL_CELERY_VISIBILITY_TIMEOUT": "3", "PIXEL_CELERY_RESTORE_INTERVAL": "1"}
    first = await sync_to_async(start_celery_worker)(**env)
    second = None
    try:
        session, message = await post(certified_trainee, scenario, "What would you like to talk about today?")
        layer, channel = await listen(session.group_name)

        await sync_to_async(tasks.generate_reply.delay)(str(session.pk), message.seq)
        while (await asyncio.wait_for(layer.receive(channel), 120))["payload"]["type"] != "token":
            pass
        os.kill(first.proc.pid, signal.SIGKILL)  # mid-reply
        first.proc.wait()
        await asyncio.sleep(1)
        assert not await sync_to_async(session.messages.filter(reply_to=message.seq).exists)()
        # A new worker takes the unacknowledged task back once its visibility timeout passes.
        second = await sync_to_async(start_celery_worker)(**env)
        final, _ = await collect_reply(layer, channel, timeout=120)
    finally:
        await sync_to_async(first.stop)()
        if second is not None:
            await sync_to_async(second.stop)()
    assert await sync_to_async(session.messages.filter(reply_to=message.seq).count)() == 1
    assert final["reply_to"] == message.seq


TRAINEE_IMMINENT = "honestly i'm going to kill myself tonight after this shift, i have the pills saved up"


async def next_event(layer, channel, kinds, timeout=60):
    """The next event of one of KINDS on CHANNEL, and those before it."""
    seen = []
    while True:
        event = (await asyncio.wait_for(layer.receive(channel), timeout))["payload"]
        seen.append(event)
        if event["type"] in kinds:
            return event, seen


async def test_crisis_pause_stops_the_reply_in_flight_until_a_supervisor_resumes(certified_trainee, supervisor, scenario):
    """A trainee message rated imminent while its reply streams (Celery mode): the crisis protocol
    pauses the session through the supervisors' own action, so the reply stops at its next token,
    nothing is stored until a supervisor resumes, and the recording shows the system's PAUSED event.

    Before the crisis protocol and the supervisors shared one pause, this failed: the protocol's
    bare pause set no halt flag, and the reply streamed on and was stored."""
    from simulator.crisis_protocol import do_check_message
    from simulator.models import Session, SessionEvent

    # The scripted model writes a word every 0.4 s on a real worker that serves only `inference`:
    # the crisis check (queue `safety`) is run here, by the test, while the reply is being written.
    worker = await sync_to_async(start_celery_worker)(queues="inference", PIXEL_LLM_BACKEND="fake",
                                                      PIXEL_FAKE_LLM_DELAY_MS="400")
    try:
        session = await sync_to_async(actions.do_start_session)(certified_trainee, scenario)
        layer, channel = await listen(session.group_name)
        # The action itself queues the reply once the message is stored; nobody else asks for it.
        message, _ = await sync_to_async(actions.do_post_trainee_message)(certified_trainee, session, "w-1", TRAINEE_IMMINENT)
        await next_event(layer, channel, {"token"})
        checked = await sync_to_async(do_check_message)(message.pk)
        assert checked.crisis_level == "imminent"
        status, _ = await next_event(layer, channel, {"status"})
        assert status["status"] == "paused"
        discard, after_pause = await next_event(layer, channel, {"discard"})
        assert discard["reply_to"] == message.seq
        assert not [e for e in after_pause if e["type"] == "token"], "the reply stops at its next token"
        await asyncio.sleep(2)  # a reply that was not stopped would be stored by now
        assert not await sync_to_async(session.messages.filter(reply_to=message.seq).exists)()
        await sync_to_async(session.refresh_from_db)()
        assert session.status == Session.PAUSED
        paused = await sync_to_async(lambda: list(session.events.filter(kind=SessionEvent.PAUSED).values("actor_id", "data")))()
        assert paused == [{"actor_id": None, "data": {"reason": "paused so your supervisor can check in"}}]

        # The supervisor checks in and resumes: the reply the trainee is owed is written and stored, once.
        await sync_to_async(actions.do_resume_session)(supervisor, session)
        final, _ = await collect_reply(layer, channel)
    finally:
        await sync_to_async(worker.stop)()
    assert final["reply_to"] == message.seq
    assert await sync_to_async(session.messages.filter(reply_to=message.seq).count)() == 1
    kinds = await sync_to_async(lambda: list(session.events.values_list("kind", flat=True)))()
    assert kinds.count(SessionEvent.PAUSED) == 1 and kinds.count(SessionEvent.RESUMED) == 1
