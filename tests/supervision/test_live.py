"""Live supervision over the real channel layer: observing, whispers, pause/resume, take-over, end."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from accounts.models import AuditEvent
from config.routing import websocket_urlpatterns
from simulator import actions
from simulator.models import Message, Session, SessionEvent
from supervision.live import live_sessions
from tests.simulator.conftest import make_scenario

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


async def socket(user, path):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def until(communicator, predicate, timeout=10):
    seen = []
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        seen.append(event)
        if predicate(event):
            return event, seen


async def nothing_more(communicator, wait=0.5):
    """None if nothing arrives within `wait` seconds, else what arrived (the socket stays usable)."""
    if await communicator.receive_nothing(timeout=wait):
        return None
    return await communicator.receive_json_from()


@pytest.fixture
def live(certified_trainee, supervisor, scenario):
    return actions.do_start_session(certified_trainee, scenario)


@pytest.mark.asyncio
async def test_only_the_trainees_supervisors_and_admins_may_observe(live, certified_trainee, outsider_supervisor, admin_user):
    path = f"/ws/observe/{live.pk}/"
    assert (await socket(outsider_supervisor, path))[2] == 4404
    assert (await socket(certified_trainee, path))[2] == 4404
    assert (await socket(AnonymousUser(), path))[2] == 4401
    communicator, connected, _ = await socket(admin_user, path)
    assert connected
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_trainee_is_told_when_a_supervisor_joins(live, certified_trainee, supervisor):
    trainee_ws, _, _ = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    joined, _ = await until(trainee_ws, lambda e: e["type"] == "observer")
    assert joined["name"] == str(supervisor)
    assert await database_sync_to_async(live.events.filter(kind=SessionEvent.OBSERVER_JOINED, actor=supervisor).exists)()
    assert await database_sync_to_async(
        AuditEvent.objects.filter(event_type=AuditEvent.CLINICAL_VIEW, actor=supervisor, details__page="observe").exists
    )()
    await trainee_ws.disconnect()
    await observer.disconnect()


@pytest.mark.asyncio
async def test_observer_receives_the_streamed_reply_and_a_live_flag(live, certified_trainee, supervisor, fake_llm):
    fake_llm.replies = ["Tonight I'm going to kill myself. I have it all planned out."]
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    trainee_ws, _, _ = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    await trainee_ws.send_json_to({"type": "message", "id": "t1", "text": "How are things tonight?"})
    got = {}

    def reply_and_flag(e):
        if e["type"] == "message" and e["role"] == "client" and e.get("reply_to"):
            got["reply"] = e
        if e["type"] == "crisis.flag":
            got["flag"] = e
        return len(got) == 2

    _, seen = await until(observer, reply_and_flag)
    assert [e for e in seen if e["type"] == "token"], "the observer sees the reply stream in"
    assert got["flag"]["seq"] == got["reply"]["seq"] and got["flag"]["level"] in ("high", "imminent")
    # The trainee's socket got the reply but never the flag.
    _, trainee_seen = await until(trainee_ws, lambda e: e["type"] == "message" and e["role"] == "client" and e.get("reply_to"))
    assert await nothing_more(trainee_ws) is None
    assert not [e for e in trainee_seen if e["type"].startswith("crisis")]
    await trainee_ws.disconnect()
    await observer.disconnect()


@pytest.mark.asyncio
async def test_whisper_reaches_the_trainee_and_no_other_trainee(live, certified_trainee, supervisor, outsider, certify, scenario):
    await database_sync_to_async(certify)(outsider, "simulation")
    other = await database_sync_to_async(actions.do_start_session)(outsider, await database_sync_to_async(make_scenario)("other"))
    trainee_ws, _, _ = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    other_ws, _, _ = await socket(outsider, f"/ws/sessions/{other.pk}/")
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await until(trainee_ws, lambda e: e["type"] == "observer")
    await observer.send_json_to({"type": "whisper", "text": "Try reflecting the feeling before asking."})
    whisper, _ = await until(trainee_ws, lambda e: e["type"] == "whisper")
    assert whisper["text"] == "Try reflecting the feeling before asking."
    assert await nothing_more(other_ws) is None
    event = await database_sync_to_async(live.events.get)(kind=SessionEvent.WHISPER)
    assert event.data["text"] == whisper["text"] and event.actor_id == supervisor.pk
    for ws in (trainee_ws, other_ws, observer):
        await ws.disconnect()


@pytest.mark.asyncio
async def test_pause_stops_generation_and_resume_restarts_it(live, certified_trainee, supervisor, fake_llm):
    fake_llm.replies = [
        "I keep thinking about the move, the new job, my sister, the bills piling up on the table, "
        "the way the house sounds at night when everyone else is asleep, and honestly I do not know."
    ]
    fake_llm.delay = 0.05
    trainee_ws, _, _ = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await trainee_ws.send_json_to({"type": "message", "id": "t1", "text": "What is on your mind?"})
    await until(observer, lambda e: e["type"] == "token")
    await observer.send_json_to({"type": "pause"})
    # The trainee hears that the session paused, and the half-written reply is withdrawn.
    seen = {}
    await until(trainee_ws, lambda e: seen.setdefault(e["type"], e) and {"status", "discard"} <= seen.keys())
    assert seen["status"]["status"] == "paused"
    await asyncio.sleep(0.3)
    assert not await database_sync_to_async(live.messages.filter(reply_to__isnull=False).exists)()
    # While paused the trainee cannot write.
    await trainee_ws.send_json_to({"type": "message", "id": "t2", "text": "Hello?"})
    refused, _ = await until(trainee_ws, lambda e: e["type"] == "error")
    assert refused["code"] in ("paused", "reply_pending")
    fake_llm.delay = 0
    await observer.send_json_to({"type": "resume"})
    reply, _ = await until(trainee_ws, lambda e: e["type"] == "message" and e["role"] == "client" and e.get("reply_to"))
    assert reply["text"].endswith("do not know.")
    kinds = await database_sync_to_async(lambda: list(live.events.values_list("kind", flat=True)))()
    assert kinds[-2:] == [SessionEvent.PAUSED, SessionEvent.RESUMED] or SessionEvent.RESUMED in kinds
    for ws in (trainee_ws, observer):
        await ws.disconnect()


@pytest.mark.asyncio
async def test_takeover_replies_are_stored_as_the_supervisors(live, certified_trainee, supervisor, fake_llm):
    trainee_ws, _, _ = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await observer.send_json_to({"type": "takeover"})
    await until(observer, lambda e: e["type"] == "event" and e["kind"] == "takeover_started")
    calls_before = len(fake_llm.calls)
    await trainee_ws.send_json_to({"type": "message", "id": "t1", "text": "Is anyone there?"})
    await until(trainee_ws, lambda e: e["type"] == "ack")
    await asyncio.sleep(0.3)
    assert len(fake_llm.calls) == calls_before, "the model stands by during a take-over"
    await observer.send_json_to({"type": "client_message", "id": "s1", "text": "I'm here. I just find this hard."})
    reply, _ = await until(trainee_ws, lambda e: e["type"] == "message" and e["role"] == "client" and e.get("reply_to"))
    assert reply["by_supervisor"] is True
    stored = await database_sync_to_async(Message.objects.get)(session=live, client_msg_id="s1")
    assert stored.author_id == supervisor.pk and stored.role == "client" and stored.reply_to == reply["reply_to"]
    await observer.send_json_to({"type": "handback"})
    await until(observer, lambda e: e["type"] == "event" and e["kind"] == "takeover_ended")
    await trainee_ws.send_json_to({"type": "message", "id": "t2", "text": "Thank you for saying that."})
    model_reply, _ = await until(trainee_ws, lambda e: e["type"] == "message" and e["role"] == "client" and e.get("reply_to"))
    assert model_reply["by_supervisor"] is False
    for ws in (trainee_ws, observer):
        await ws.disconnect()


@pytest.mark.asyncio
async def test_supervisor_ends_the_session(live, certified_trainee, supervisor):
    trainee_ws, _, _ = await socket(certified_trainee, f"/ws/sessions/{live.pk}/")
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    await observer.send_json_to({"type": "end"})
    ended, _ = await until(trainee_ws, lambda e: e["type"] == "ended")
    assert "supervisor" in ended["reason"]
    await database_sync_to_async(live.refresh_from_db)()
    assert live.status == Session.ENDED and live.ended_by_id == supervisor.pk
    for ws in (trainee_ws, observer):
        await ws.disconnect()


@pytest.mark.asyncio
async def test_observer_bad_input_gets_clear_errors(live, supervisor):
    observer, _, _ = await socket(supervisor, f"/ws/observe/{live.pk}/")
    for frame in ["junk", "[]", '{"type": "fly"}', '{"type": "whisper", "text": ""}', '{"type": "handback"}']:
        await observer.send_to(text_data=frame)
        error, _ = await until(observer, lambda e: e["type"] == "error")
        assert error["message"]
    await observer.disconnect()


@pytest.mark.asyncio
async def test_dashboard_socket_gets_alerts_for_its_cohorts_only(live, certified_trainee, supervisor, outsider_supervisor, fake_llm):
    from simulator.crisis_protocol import do_check_message

    mine, connected, _ = await socket(supervisor, "/ws/dashboard/")
    assert connected
    theirs, _, _ = await socket(outsider_supervisor, "/ws/dashboard/")
    trainee_msg, _ = await database_sync_to_async(actions.do_post_trainee_message)(
        certified_trainee, live, "t1", "i'm going to kill myself tonight, i've got the pills saved"
    )
    alert, _ = await until(mine, lambda e: e["type"] == "crisis.alert")
    assert alert["session"] == str(live.pk) and alert["action"] == "pause"
    assert await nothing_more(theirs) is None
    await database_sync_to_async(do_check_message)(trainee_msg.pk)  # idempotent: no second alert
    assert await nothing_more(mine) is None
    for ws in (mine, theirs):
        await ws.disconnect()


def test_dashboard_lists_own_cohorts_sessions_most_urgent_first(client, live, supervisor, outsider_supervisor, certified_trainee):
    Message.objects.filter(session=live, seq=1).update(crisis_level="high")
    rows = live_sessions(supervisor)
    assert [r["session"].pk for r in rows] == [live.pk] and rows[0]["worst_level"] == "high"
    assert live_sessions(outsider_supervisor) == []
    client.force_login(supervisor)
    page = client.get(reverse("supervision_dashboard")).content.decode()
    assert str(certified_trainee) in page and "high" in page
    client.force_login(outsider_supervisor)
    assert str(certified_trainee) not in client.get(reverse("supervision_dashboard_rows")).content.decode()
    client.force_login(certified_trainee)
    assert client.get(reverse("supervision_dashboard")).status_code == 403
    assert client.get(reverse("supervision_observe", args=[live.pk])).status_code == 403


def test_no_javascript_controls_work_and_are_audited(client, live, supervisor, outsider_supervisor):
    client.force_login(outsider_supervisor)
    assert client.post(reverse("supervision_control", args=[live.pk]), {"command": "pause"}).status_code == 404
    client.force_login(supervisor)
    client.post(reverse("supervision_control", args=[live.pk]), {"command": "whisper", "text": "Slow down."})
    client.post(reverse("supervision_control", args=[live.pk]), {"command": "pause"})
    live.refresh_from_db()
    assert live.status == Session.PAUSED
    actions_done = list(
        AuditEvent.objects.filter(event_type=AuditEvent.SUPERVISOR_ACTION).order_by("seq").values_list("details__action", flat=True)
    )
    assert actions_done == ["whisper", "pause"]
