"""The live-session socket, through Channels' WebsocketCommunicator and the configured layer."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from simulator import actions
from simulator.models import Message

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _in_process_replies(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


async def connect(user, session_id):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/sessions/{session_id}/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def receive_until(communicator, kind, timeout=10):
    """Collect events until one of type `kind` arrives; returns (that event, all collected)."""
    seen = []
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        seen.append(event)
        if event["type"] == kind:
            return event, seen


async def start(user, scenario):
    return await sync_to_async(actions.do_start_session)(user, scenario)


async def test_outsider_is_refused(certified_trainee, outsider, scenario):
    session = await start(certified_trainee, scenario)
    communicator, connected, code = await connect(outsider, session.pk)
    assert not connected and code == 4404


async def test_anonymous_is_refused(certified_trainee, scenario):
    from django.contrib.auth.models import AnonymousUser

    session = await start(certified_trainee, scenario)
    communicator, connected, code = await connect(AnonymousUser(), session.pk)
    assert not connected and code == 4401


async def test_trainee_whose_certification_was_revoked_is_refused_with_message(certified_trainee, scenario, admin_user):
    session = await start(certified_trainee, scenario)
    cert = await sync_to_async(lambda: certified_trainee.certifications.get())()
    await sync_to_async(actions_revoke)(admin_user, cert)
    communicator, connected, _ = await connect(certified_trainee, session.pk)
    error = await communicator.receive_json_from()
    assert error["code"] == "certification_missing" and "Therapeutic simulation" in error["message"]
    assert (await communicator.receive_output())["type"] == "websocket.close"


def actions_revoke(admin_user, cert):
    from accounts.actions import do_revoke_certification

    do_revoke_certification(admin_user, cert, "Placement paused")


async def test_message_is_stored_before_ack_then_reply_streams(certified_trainee, scenario, fake_llm):
    fake_llm.replies = ["I have not slept properly in weeks."]
    session = await start(certified_trainee, scenario)
    communicator, connected, _ = await connect(certified_trainee, session.pk)
    assert connected
    await communicator.send_json_to({"type": "message", "id": "c-1", "text": "How have you been sleeping?"})
    ack, before = await receive_until(communicator, "ack")
    # When the ack arrives the message is already in the database.
    stored = await sync_to_async(Message.objects.get)(session=session, client_msg_id="c-1")
    assert ack == {"type": "ack", "id": "c-1", "seq": stored.seq, "duplicate": False}
    # Drain until the client's stored reply arrives.
    events = []
    while True:
        final = await communicator.receive_json_from(timeout=10)
        events.append(final)
        if final["type"] == "message" and final["role"] == "client":
            break
    tokens = [e for e in before + events if e["type"] == "token"]
    assert tokens, "the reply should stream as tokens before it is stored"
    assert [t["index"] for t in tokens] == list(range(len(tokens)))
    assert "".join(t["text"] for t in tokens).strip() == final["text"] == "I have not slept properly in weeks."
    assert final["reply_to"] == stored.seq
    await communicator.disconnect()


async def test_resent_message_is_not_duplicated(certified_trainee, scenario, fake_llm):
    session = await start(certified_trainee, scenario)
    communicator, _, _ = await connect(certified_trainee, session.pk)
    for _ in range(2):
        await communicator.send_json_to({"type": "message", "id": "same", "text": "Hello"})
    first, _ = await receive_until(communicator, "ack")
    second, _ = await receive_until(communicator, "ack")
    assert first["seq"] == second["seq"] and second["duplicate"] is True
    assert await sync_to_async(session.messages.filter(role="trainee").count)() == 1
    await communicator.disconnect()


async def test_reconnect_replays_what_was_missed(certified_trainee, scenario, fake_llm):
    session = await start(certified_trainee, scenario)
    communicator, _, _ = await connect(certified_trainee, session.pk)
    await communicator.send_json_to({"type": "message", "id": "r-1", "text": "What brings you here?"})
    await receive_until(communicator, "ack")
    await communicator.disconnect()
    # The reply is written while the browser is away.
    for _ in range(100):
        if await sync_to_async(session.messages.filter(role="client", reply_to__isnull=False).exists)():
            break
        await asyncio.sleep(0.05)
    communicator, _, _ = await connect(certified_trainee, session.pk)
    await communicator.send_json_to({"type": "resume", "after": 1})
    status, events = await receive_until(communicator, "status")
    replayed = [e for e in events if e["type"] == "message"]
    assert [e["seq"] for e in replayed] == [2, 3]
    assert replayed[0]["id"] == "r-1" and replayed[1]["role"] == "client"
    assert status["status"] == "live"
    await communicator.disconnect()


@pytest.mark.parametrize(
    "frame",
    ["not json", '["a list"]', '{"type": "message", "id": "x"}', '{"type": "dance"}', '{"type": "resume", "after": -3}'],
)
async def test_bad_input_gets_a_clear_error(certified_trainee, scenario, frame):
    session = await start(certified_trainee, scenario)
    communicator, _, _ = await connect(certified_trainee, session.pk)
    await communicator.send_to(text_data=frame)
    error = await communicator.receive_json_from()
    assert error["type"] == "error" and error["code"] == "bad_request" and error["message"]
    await communicator.send_to(bytes_data=b"\x00\xff")
    assert (await communicator.receive_json_from())["code"] == "bad_request"
    await communicator.disconnect()


async def test_too_long_message_error_names_the_limit(certified_trainee, scenario):
    session = await start(certified_trainee, scenario)
    communicator, _, _ = await connect(certified_trainee, session.pk)
    await communicator.send_json_to({"type": "message", "id": "long", "text": "x" * 2001})
    error = await communicator.receive_json_from()
    assert error["code"] == "too_long" and "2000" in error["message"] and error["id"] == "long"
    await communicator.disconnect()


async def test_ending_the_session_tells_the_socket(certified_trainee, scenario):
    session = await start(certified_trainee, scenario)
    communicator, _, _ = await connect(certified_trainee, session.pk)
    await sync_to_async(actions.do_end_session)(certified_trainee, session)
    ended, _ = await receive_until(communicator, "ended")
    assert ended["reason"]
    await communicator.disconnect()


async def test_an_idle_socket_stays_open(certified_trainee, scenario):
    # A trainee thinking for a while sends nothing; the server must not drop the socket. (With
    # Redis, channels_redis's 5 s BRPOP once met redis-py's 5 s read timeout and closed it.)
    session = await start(certified_trainee, scenario)
    communicator, _, _ = await connect(certified_trainee, session.pk)
    assert await communicator.receive_nothing(timeout=7)
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=5)) == {"type": "pong"}
    await communicator.disconnect()
