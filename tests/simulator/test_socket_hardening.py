"""Ended sessions accept nothing more, and bad socket traffic is answered or closed, never raised
(issue #16, items 3 and 14). Through Channels' WebsocketCommunicator on the configured channel
layer (Redis in the suite), as tests/supervision/test_live.py does.
"""

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from simulator import actions
from simulator.models import Message, Session, SessionEvent

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _in_memory_layer_for_communicator_tests(request, settings):
    # These tests drive consumers through WebsocketCommunicator in the test's own event loop, and
    # many end with the consumer still running (refused or closed by the server, never told the
    # browser left). Tearing the loop down then cancels the consumer in the middle of the Redis
    # layer's blocking read; on a loaded CI machine that once never returned and hung the suite.
    # What these tests check is the consumers' rules, not Redis: they use the in-memory layer.
    # The real-server tests (sync) keep Redis, through their own processes.
    if request.node.get_closest_marker("asyncio") is not None:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def live(certified_trainee, supervisor, scenario):
    return actions.do_start_session(certified_trainee, scenario)


async def socket(user, path):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    assert connected, code
    return communicator


async def until(communicator, predicate, timeout=10):
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        if predicate(event):
            return event


async def error_of(communicator):
    return (await until(communicator, lambda e: e["type"] == "error"))["code"]


async def closed_with(communicator, timeout=10):
    """Read until the server closes; returns (close code, the error codes sent before it)."""
    errors = []
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output.get("code"), errors
        event = json.loads(output["text"])
        if event["type"] == "error":
            errors.append(event["code"])


async def still_answers(observer):
    """The observer socket is alive and well: resume_feed is answered with the status."""
    await observer.send_json_to({"type": "resume_feed", "after": 10**6})
    return (await until(observer, lambda e: e["type"] == "status"))["status"]


async def send_raw(communicator, frame):
    # send_to() refuses an empty frame; a browser (or an attacker) can still send one.
    await communicator.send_input({"type": "websocket.receive", "text": frame})


def counts(session):
    return session.messages.count(), session.events.count()


# --- Item 3: a session that has ended accepts nothing more ----------------------------------


@pytest.mark.asyncio
async def test_takeover_reply_after_the_end_is_refused_and_not_stored(live, supervisor):
    observer = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await observer.send_json_to({"type": "takeover"})
    await until(observer, lambda e: e["type"] == "event" and e["kind"] == "takeover_started")
    await database_sync_to_async(actions.do_end_session)(supervisor, live, "ended by a supervisor")
    before = await database_sync_to_async(counts)(live)
    await observer.send_json_to({"type": "client_message", "id": "late-1", "text": "Are you still there?"})
    assert await error_of(observer) == "ended"
    assert not await database_sync_to_async(Message.objects.filter(client_msg_id="late-1").exists)()
    assert await database_sync_to_async(counts)(live) == before
    await observer.disconnect()


@pytest.mark.asyncio
async def test_whisper_and_trainee_message_after_the_end_are_refused_and_not_stored(
    live, certified_trainee, supervisor
):
    trainee_ws = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    observer = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await database_sync_to_async(actions.do_end_session)(certified_trainee, live)
    before = await database_sync_to_async(counts)(live)
    await observer.send_json_to({"type": "whisper", "text": "Ask about sleep."})
    assert await error_of(observer) == "ended"
    await trainee_ws.send_json_to({"type": "message", "id": "late-2", "text": "Hello?"})
    assert await error_of(trainee_ws) == "ended"
    assert await database_sync_to_async(counts)(live) == before
    for ws in (trainee_ws, observer):
        await ws.disconnect()


def test_every_intervention_after_the_end_is_refused_as_ended(live, supervisor):
    actions.do_start_takeover(supervisor, live)
    actions.do_end_session(supervisor, live, "ended by a supervisor")
    before = counts(live)
    for act in (
        lambda s: actions.do_whisper(supervisor, s, "Too late"),
        lambda s: actions.do_pause_session(supervisor, s),
        lambda s: actions.do_resume_session(supervisor, s),
        lambda s: actions.do_start_takeover(supervisor, s),
        lambda s: actions.do_end_takeover(supervisor, s),
        lambda s: actions.do_supervisor_client_reply(supervisor, s, "late-3", "Still here."),
    ):
        with pytest.raises(actions.SimulatorError) as refused:
            act(Session.objects.get(pk=live.pk))
        assert refused.value.code == "ended" and "ended" in refused.value.message
    assert counts(live) == before


def test_a_supervisor_of_another_cohort_cannot_end_a_session(live, outsider_supervisor, supervisor, admin_user):
    with pytest.raises(actions.SimulatorError) as refused:
        actions.do_end_session(outsider_supervisor, live, "ended by a supervisor")
    assert refused.value.code == "forbidden"
    live.refresh_from_db()
    assert live.status == Session.LIVE and not live.events.filter(kind=SessionEvent.ENDED).exists()
    # The trainee's own supervisor (and an admin) still can.
    actions.do_end_session(supervisor, live, "ended by a supervisor")
    assert Session.objects.get(pk=live.pk).status == Session.ENDED


# --- Item 14: frames too big, too many, or malformed -----------------------------------------


@pytest.mark.asyncio
async def test_frames_over_16_kb_get_bad_request_and_a_close(live, certified_trainee, supervisor):
    trainee_ws = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    await trainee_ws.send_json_to({"type": "message", "id": "big", "text": "x" * 17000})
    assert await closed_with(trainee_ws) == (1009, ["bad_request"])
    observer = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await observer.send_json_to({"type": "whisper", "text": "y" * 17000})
    assert await closed_with(observer) == (1009, ["bad_request"])
    assert not await database_sync_to_async(Message.objects.filter(client_msg_id="big").exists)()


@pytest.mark.asyncio
async def test_more_than_20_frames_a_second_closes_the_socket(live, certified_trainee):
    trainee_ws = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    for _ in range(30):
        await trainee_ws.send_json_to({"type": "ping"})
    code, errors = await closed_with(trainee_ws)
    assert code == 1008 and errors == ["rate_limited"]


@pytest.mark.asyncio
async def test_20_frames_a_second_are_fine(live, supervisor):
    dashboard = await socket(supervisor, "/ws/dashboard/")
    for _ in range(20):
        await dashboard.send_json_to({"type": "ping"})
    for _ in range(20):
        assert (await dashboard.receive_json_from(timeout=10))["type"] == "pong"
    await dashboard.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("text", [5, None, ["a"], {"text": "a"}, True])
async def test_a_whisper_that_is_not_a_string_gets_bad_request(live, supervisor, text):
    observer = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await observer.send_json_to({"type": "whisper", "text": text})
    assert await error_of(observer) == "bad_request"
    assert await still_answers(observer) == "live"
    assert not await database_sync_to_async(live.events.filter(kind=SessionEvent.WHISPER).exists)()
    await observer.disconnect()


@pytest.mark.asyncio
async def test_an_id_over_64_characters_gets_bad_request(live, supervisor):
    observer = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await observer.send_json_to({"type": "takeover"})
    await until(observer, lambda e: e["type"] == "event" and e["kind"] == "takeover_started")
    await observer.send_json_to({"type": "client_message", "id": "i" * 65, "text": "Hello."})
    assert await error_of(observer) == "bad_request"
    assert await still_answers(observer) == "live"
    assert not await database_sync_to_async(live.messages.filter(author=supervisor).exists)()
    await observer.disconnect()


DEEP_LIST = "[" * 5000 + "]" * 5000  # 10 KB: under the size limit, over Python's recursion limit
DEEP_OBJECT = json.dumps({"type": "whisper", "text": "hi", "extra": json.loads("[" * 12 + "]" * 12)})


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "frame", [DEEP_LIST, DEEP_OBJECT, "", '{"type": "resume_feed", "after": 100000000000000000000}']
)
async def test_deep_or_malformed_json_gets_bad_request(live, supervisor, frame):
    observer = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await send_raw(observer, frame)
    assert await error_of(observer) == "bad_request"
    assert await still_answers(observer) == "live"
    assert not await database_sync_to_async(live.events.filter(kind=SessionEvent.WHISPER).exists)()
    await observer.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("frame", [DEEP_LIST, "", '{"type": "resume", "after": 100000000000000000000}'])
async def test_trainee_socket_answers_malformed_frames_with_bad_request(live, certified_trainee, frame):
    trainee_ws = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    await send_raw(trainee_ws, frame)
    assert await error_of(trainee_ws) == "bad_request"
    await trainee_ws.send_json_to({"type": "ping"})
    await until(trainee_ws, lambda e: e["type"] == "pong")
    await trainee_ws.disconnect()


@pytest.mark.asyncio
async def test_an_unexpected_failure_is_answered_not_raised(live, supervisor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(actions, "do_pause_session", broken)
    observer = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await observer.send_json_to({"type": "pause"})
    assert await error_of(observer) == "server_error"
    assert await still_answers(observer) == "live"
    await observer.disconnect()
