"""Issue 17 item 2: whispers and the "you are being observed" notice are part of the trainee's view
of the session and come back after a reload (the page) or a reconnect (resume), in order."""

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from config.routing import websocket_urlpatterns
from simulator.actions import do_observer_joined, do_start_session, do_whisper
from simulator.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_process_replies(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def live(certified_trainee, supervisor, scenario, fake_llm):
    session = do_start_session(certified_trainee, scenario)
    session.append(Message.TRAINEE, "What brings you here?", client_msg_id="m1")
    do_observer_joined(supervisor, session)
    do_whisper(supervisor, session, "Reflect before you ask the next question.")
    session.append(Message.CLIENT, "My sister made me come.", reply_to=2)
    return session


def test_a_reload_shows_the_whisper_in_its_place_and_the_observer(client, live, certified_trainee, supervisor):
    client.force_login(certified_trainee)
    page = client.get(reverse("session_live", args=[live.pk])).content.decode()
    assert f"{supervisor} (your supervisor) is observing this session." in page
    assert "Private hint from" in page and "Reflect before you ask the next question." in page
    # In order: the trainee's question, the hint, then the client's answer.
    assert page.index("What brings you here?") < page.index("Reflect before") < page.index("My sister made me come.")


def test_a_page_without_an_observer_announces_none(client, certified_trainee, scenario, fake_llm):
    session = do_start_session(certified_trainee, scenario)
    client.force_login(certified_trainee)
    page = client.get(reverse("session_live", args=[session.pk])).content.decode()
    assert "is observing this session" not in page


async def _resume(session, user, after):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/sessions/{session.pk}/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "resume", "after": after})
    events = []
    while True:
        event = await communicator.receive_json_from(timeout=5)
        events.append(event)
        if event["type"] == "status":
            break
    await communicator.disconnect()
    return events


@pytest.mark.asyncio
async def test_a_reconnect_resends_whispers_and_notices_in_order(live, certified_trainee, supervisor):
    events = await _resume(live, certified_trainee, after=1)
    kinds = [(e["type"], e.get("seq")) for e in events if e["type"] != "status"]
    assert [k for k, _ in kinds] == ["message", "observer", "whisper", "message"]
    assert [s for _, s in kinds] == sorted(s for _, s in kinds)
    whisper = next(e for e in events if e["type"] == "whisper")
    assert whisper["text"] == "Reflect before you ask the next question." and whisper["from"] == str(supervisor)
