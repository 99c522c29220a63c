"""Nothing lost, nothing out of order (issue #16, items 8 and 10; docs/simulator.md).

The crisis check and the client's reply survive a flushed or unreachable broker (a real Celery
worker on real Redis runs the sweep), one reply is written at a time, a reply to a message the
trainee has written past is never stored, and a backend error reaches the trainee with a retry.
"""

import threading
import time
from datetime import timedelta

import pytest
import redis
from asgiref.sync import sync_to_async
from celery import Celery
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent
from config.routing import websocket_urlpatterns
from modelserve.backends import BackendError, FakeBackend
from simulator import actions, crisis_protocol, replies, tasks
from simulator.models import Message, Session
from tests.services import start_celery_worker

pytestmark = [pytest.mark.django_db(transaction=True)]

TRAINEE_IMMINENT = "honestly i'm going to kill myself tonight after this shift, i have the pills saved up"


@pytest.fixture(autouse=True)
def _needs_redis():
    if not settings.REDIS_URL:
        pytest.fail("These tests need Redis: set REDIS_URL (bash .ci/run does).")


@pytest.fixture
def live_session(certified_trainee, supervisor, scenario):
    return actions.do_start_session(certified_trainee, scenario)


def age(session, seconds):
    """Move the session's messages and activity SECONDS into the past (as if that long had passed)."""
    then = timezone.now() - timedelta(seconds=seconds)
    session.messages.update(created_at=then)
    Session.objects.filter(pk=session.pk).update(last_activity_at=then, started_at=then)


def wait_until(predicate, timeout, what):
    """Poll the database until PREDICATE() holds (work done by a worker in another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {timeout}s")


def sweep_until(predicate, timeout, what):
    """Queue the sweep every few seconds, as `celery beat` would, until PREDICATE() holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks.sweep_lost_work.delay()
        try:
            return wait_until(predicate, 10, what)
        except AssertionError:
            continue
    raise AssertionError(f"{what} did not happen within {timeout}s")


def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(Celery, "send_task", refuse)


# --- Item 8: no crisis check is lost ------------------------------------------------------------


def test_check_message_goes_back_to_the_queue_when_its_worker_dies():
    # acks_late alone acknowledges a task whose worker was killed (SIGKILL, out of memory) as failed;
    # reject_on_worker_lost puts it back on the queue, and do_check_message is idempotent.
    assert tasks.check_message.acks_late and tasks.check_message.reject_on_worker_lost


def test_sweep_escalates_a_message_whose_check_was_lost_when_the_broker_was_flushed(live_session, certified_trainee):
    message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", TRAINEE_IMMINENT)
    # The check was queued (no worker listens yet); then Redis loses it.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    message.refresh_from_db()
    assert message.crisis_checked_at is None
    age(live_session, 61)

    # The fake model: the sweep only checks here (this reply is not yet lost); no LLM needed.
    worker = start_celery_worker(queues="safety,default", PIXEL_LLM_BACKEND="fake")
    try:
        sweep_until(lambda: Message.objects.get(pk=message.pk).crisis_checked_at is not None, 180, "the sweep's check")
        wait_until(lambda: Session.objects.get(pk=live_session.pk).status == Session.PAUSED, 30, "the pause")
    finally:
        worker.stop()
    message.refresh_from_db()
    assert message.crisis_level == "imminent"
    escalation = AuditEvent.objects.get(event_type=AuditEvent.CRISIS_ESCALATION)
    assert escalation.details["seq"] == message.seq and escalation.details["action"] == "pause"
    # Sweeping again does not check it twice, and escalates nothing twice.
    assert message.pk not in crisis_protocol.sweep_unchecked()
    assert AuditEvent.objects.filter(event_type=AuditEvent.CRISIS_ESCALATION).count() == 1


def test_sweep_leaves_recent_messages_to_their_own_check(live_session, certified_trainee, monkeypatch):
    broker_down(monkeypatch)
    monkeypatch.setattr(crisis_protocol, "do_check_message", lambda pk: pytest.fail("checked too early"))
    assert crisis_protocol.sweep_unchecked() == []


def test_sweep_command_checks_lost_messages_in_embedded_mode(live_session, certified_trainee, settings):
    from django.core.management import call_command

    message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "What would help this week?")
    Message.objects.filter(pk=message.pk).update(crisis_checked_at=None, crisis=None, crisis_level="")
    age(live_session, 61)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("sweep_lost_work")
    message.refresh_from_db()
    assert message.crisis_checked_at is not None and message.crisis_level == "none"


# --- Item 10: one generation at a time, in order; lost replies asked for again ------------------


def test_a_lost_reply_is_asked_for_again_by_the_sweep_on_a_real_worker(live_session, certified_trainee, monkeypatch):
    broker_down(monkeypatch)
    message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "How has your week been?")
    monkeypatch.undo()
    assert not live_session.messages.filter(reply_to=message.seq).exists()
    age(live_session, settings.PIXEL_REPLY_STALE_SECONDS + 1)

    worker = start_celery_worker(queues="inference,safety,default", PIXEL_LLM_BACKEND="fake")
    try:
        sweep_until(
            lambda: live_session.messages.filter(reply_to=message.seq).exists(), 180, "the reply asked for again"
        )
    finally:
        worker.stop()
    assert live_session.messages.filter(role=Message.CLIENT, reply_to=message.seq).count() == 1
    # The reply is there: the next sweep asks for nothing.
    assert replies.sweep_lost_replies() == []


def test_sweep_does_not_ask_for_a_reply_being_written_or_in_a_paused_session(
    live_session, certified_trainee, supervisor, monkeypatch
):
    broker_down(monkeypatch)
    message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "How has your week been?")
    age(live_session, settings.PIXEL_REPLY_STALE_SECONDS + 1)
    asked = []
    monkeypatch.setattr(replies.dispatch, "request_reply", lambda sid, seq: asked.append((str(sid), seq)))
    lock = replies.GenerationLock(live_session.pk, message.seq)
    assert lock.take()
    assert replies.sweep_lost_replies() == [] and asked == []
    lock.let_go()
    actions.do_pause_session(supervisor, live_session)
    assert replies.sweep_lost_replies() == [] and asked == []


def test_only_one_generation_per_reply_at_a_time(live_session, certified_trainee, fake_llm, monkeypatch):
    broker_down(monkeypatch)
    message, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "How has your week been?")
    fake_llm.delay = 0.05
    started = threading.Barrier(2)
    outcomes = []
    generations = []
    real_generate = replies.generate

    def counted(*args, **kwargs):
        generations.append(1)
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(replies, "generate", counted)

    def write():
        try:
            started.wait(5)
            outcomes.append(replies.generate_reply(live_session.pk, message.seq))
        except replies.Busy:
            outcomes.append("busy")
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(generations) == 1, "two workers wrote the same reply at once"
    assert len(outcomes) == 2 and None not in outcomes
    assert live_session.messages.filter(reply_to=message.seq).count() == 1
    # The lock is let go: a redelivered task now finds the stored reply.
    assert replies.generate_reply(live_session.pk, message.seq).reply_to == message.seq


def test_a_late_reply_to_a_message_the_trainee_wrote_past_stores_nothing(
    live_session, certified_trainee, fake_llm, monkeypatch
):
    broker_down(monkeypatch)
    first, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "How has your week been?")
    age(live_session, settings.PIXEL_REPLY_STALE_SECONDS + 1)  # its reply was lost: the trainee may write again
    second, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t2", "Are you still there?")
    # The first message's task is redelivered after the second was stored.
    assert replies.generate_reply(live_session.pk, first.seq) is None
    assert not live_session.messages.filter(reply_to=first.seq).exists()
    assert fake_llm.calls == []
    # The newer message gets its own reply.
    assert replies.generate_reply(live_session.pk, second.seq).reply_to == second.seq


def test_a_reply_finished_after_the_trainee_wrote_again_is_not_stored(
    live_session, certified_trainee, fake_llm, monkeypatch
):
    broker_down(monkeypatch)
    first, _ = actions.do_post_trainee_message(certified_trainee, live_session, "t1", "How has your week been?")

    class TraineeWritesMidReply(FakeBackend):
        def stream(self, *args, **kwargs):
            # Another tab, once the first reply was lost, writes while this one is being written.
            live_session.append(Message.TRAINEE, "Hello?", client_msg_id="t2")
            yield from super().stream(*args, **kwargs)

    assert replies.generate_reply(live_session.pk, first.seq, backend=TraineeWritesMidReply()) is None
    assert not live_session.messages.filter(reply_to=first.seq).exists()


def test_two_tabs_sending_at_once_get_one_reply_each_in_order(
    live_session, certified_trainee, fake_llm, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # each reply is written as soon as its message commits
    both_checked = threading.Barrier(2)
    real_pending = actions.pending_reply

    def pending_when_both_looked(session, now=None):
        # Both tabs look for a pending reply before either stores: the race two tabs can run.
        try:
            both_checked.wait(3)
        except threading.BrokenBarrierError:
            pass  # the other tab waits on the session's lock instead
        return real_pending(session, now)

    monkeypatch.setattr(actions, "pending_reply", pending_when_both_looked)
    results = {}

    def tab(name, text):
        try:
            session = Session.objects.get(pk=live_session.pk)
            results[name] = actions.do_post_trainee_message(certified_trainee, session, name, text)[0]
        except actions.SimulatorError as e:
            results[name] = e.code
        finally:
            connection.close()

    tabs = [threading.Thread(target=tab, args=(f"tab-{i}", f"Question from tab {i}?")) for i in (1, 2)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join(60)
    refused = [name for name, r in results.items() if r == "reply_pending"]
    assert len(refused) <= 1 and len(results) == 2, results
    # A refused tab sends again once the reply has come (the page puts the text back).
    monkeypatch.setattr(actions, "pending_reply", real_pending)
    for name in refused:
        actions.do_post_trainee_message(certified_trainee, live_session, name + "-again", "Question again?")

    turns = list(live_session.messages.order_by("seq"))
    assert [m.role for m in turns] == ["client", "trainee", "client", "trainee", "client"]
    for i, message in enumerate(turns):
        if message.role == Message.TRAINEE:
            assert [m.seq for m in turns if m.reply_to == message.seq] == [turns[i + 1].seq], "one reply each, in order"


@pytest.mark.asyncio
async def test_backend_error_reaches_the_trainee_with_a_retry(live_session, certified_trainee, fake_llm, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    fake_llm.replies = [BackendError("model server unreachable"), "It's been a long week, honestly."]
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/sessions/{live_session.pk}/")
    communicator.scope["user"] = certified_trainee
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"type": "message", "id": "t1", "text": "How has your week been?"})
    failed = await receive_until(communicator, "reply_failed")
    assert failed["retry"] is True and failed["message"] and failed["reply_to"] == 2
    assert not await sync_to_async(live_session.messages.filter(reply_to=2).exists)()

    await communicator.send_json_to({"type": "retry", "reply_to": 2})
    reply = await receive_until(communicator, "message", role="client")
    assert reply["reply_to"] == 2 and reply["text"]
    # Nothing left to retry: the message has its reply.
    await communicator.send_json_to({"type": "retry", "reply_to": 2})
    assert (await receive_until(communicator, "error"))["code"] == "nothing_to_retry"
    await communicator.disconnect()


async def receive_until(communicator, kind, timeout=20, **match):
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
            return event
