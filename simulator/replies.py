"""Generating the client's reply: the model streams tokens to the session's channel group while
the reply-so-far is kept in the cache, so a page reloaded mid-reply can show it too.

The reply is stored (and announced as a message) only when it is whole. Used by the Celery task,
by the embedded in-process path (simulator.dispatch) and by scripted runs (`manage.py simulate`,
`evaluate_model`), so all three behave the same.
"""

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from modelserve.generate import generate
from modelserve.prompt import Turn
from modelserve.serving import serving_backend
from simulator import actions, clientstate, dispatch, events
from simulator.models import Message, Session, StaleReply

log = logging.getLogger(__name__)
PARTIAL_TTL = 600


def partial_key(session_id):
    return f"reply-partial:{session_id}"


def partial_reply(session_id):
    """{"reply_to", "text", "tokens"} for a reply being written now, or None."""
    return cache.get(partial_key(session_id))


def turns_for(session, upto_seq):
    messages = session.messages.filter(seq__lte=upto_seq).order_by("seq")
    return [Turn(role=m.role if m.role == Message.TRAINEE else "client", text=m.text) for m in messages]


def client_context(session, trainee_seq):
    """The client's state after trainee message `trainee_seq`, stored (and shown to observers)
    before the reply is written, as the ClientContext the reply generator takes.

    The state only shapes the reply; if computing it fails, the client still answers, as it
    would with nothing unlocked, rather than leave the trainee waiting.
    """
    message = session.messages.filter(seq=trainee_seq, role=Message.TRAINEE).first()
    if message is None:
        return None
    try:
        state = actions.do_update_client_state(session, message)
    except Exception:
        log.exception("client state for %s #%s failed; replying without it", session.pk, trainee_seq)
        return None
    return clientstate.context_for(session.scenario_version.card, state)


class Halted(Exception):
    """The session was paused (by a supervisor or the crisis protocol), or a supervisor took over
    the client's voice, while the reply was being written."""


class Busy(Exception):
    """Another process is writing this reply now (its generation lock is held)."""


REPLY_FAILED_TEXT = "The client could not answer just now (the model had a problem). Ask for the reply again."


def lock_key(session_id, trainee_seq):
    return f"reply-lock:{session_id}:{trainee_seq}"


def being_written(session_id, trainee_seq):
    return cache.get(lock_key(session_id, trainee_seq)) is not None


class GenerationLock:
    """One generation per (session, reply_to) across every worker: two would stream interleaved
    tokens to the same reply and waste the model's time. A key in the shared cache, taken with
    `add` (atomic in Redis) and kept alive while tokens come, so a worker that dies lets go of it
    within PIXEL_REPLY_LOCK_SECONDS; storing stays idempotent if that ever lets two through."""

    def __init__(self, session_id, trainee_seq):
        self.key = lock_key(session_id, trainee_seq)
        self.token = uuid.uuid4().hex
        self.ttl = settings.PIXEL_REPLY_LOCK_SECONDS
        self.refreshed = 0.0

    def take(self):
        self.refreshed = time.monotonic()
        return cache.add(self.key, self.token, self.ttl)

    def keep_alive(self):
        # At most once a second: a Redis round trip per token would add up on long replies.
        if time.monotonic() - self.refreshed >= 1:
            self.refreshed = time.monotonic()
            cache.touch(self.key, self.ttl)

    def let_go(self):
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


def superseded(session, trainee_seq):
    """True if the trainee has written again since message TRAINEE_SEQ: its reply would be stale."""
    return session.messages.filter(role=Message.TRAINEE, seq__gt=trainee_seq).exists()


def generate_reply(session_id, trainee_seq, backend=None):
    """Produce, stream and store the reply to trainee message `trainee_seq`. Safe to run twice.

    Returns the stored reply, or None when there is nothing to store: the session is not live or
    is taken over, the trainee has written again since (the newer message gets its own reply), or
    the session was paused mid-reply. Raises Busy while another process writes this reply. A
    backend error reaches the trainee as `reply_failed` (with a retry) and is raised again.
    """
    session = Session.objects.select_related("scenario_version").filter(pk=session_id).first()
    if session is None:
        return None
    existing = session.messages.filter(reply_to=trainee_seq).first()
    if existing is not None:
        return existing
    if session.status != Session.LIVE or session.takeover_by_id is not None:
        log.info(
            "session %s is %s%s; not replying to #%s",
            session_id,
            session.status,
            " (taken over)" if session.takeover_by_id else "",
            trainee_seq,
        )
        return None
    if superseded(session, trainee_seq):
        log.info("trainee wrote again after %s #%s; not replying to it", session_id, trainee_seq)
        return None
    lock = GenerationLock(session.pk, trainee_seq)
    if not lock.take():
        raise Busy(f"the reply to {session_id} #{trainee_seq} is being written elsewhere")
    try:
        # The holder before us may have stored it between our look and taking the lock.
        existing = session.messages.filter(reply_to=trainee_seq).first()
        return existing if existing is not None else _generate_locked(session, trainee_seq, backend, lock)
    finally:
        lock.let_go()


def _generate_locked(session, trainee_seq, backend, lock):
    session_id = session.pk
    group = session.group_name
    state = {"reply_to": trainee_seq, "text": "", "tokens": 0}
    key = partial_key(session_id)
    cache.set(key, state, PARTIAL_TTL)

    def on_token(token):
        if events.replies_halted(session.pk):
            raise Halted()
        lock.keep_alive()
        index = state["tokens"]
        state["text"] += token
        state["tokens"] += 1
        cache.set(key, state, PARTIAL_TTL)
        events.send_now(group, {"type": "token", "reply_to": trainee_seq, "index": index, "text": token})

    def on_discard(reasons):
        state.update(text="", tokens=0)
        cache.set(key, state, PARTIAL_TTL)
        events.send_now(group, {"type": "discard", "reply_to": trainee_seq})

    started = time.monotonic()
    context = client_context(session, trainee_seq)
    # The promoted model version (the training app registers the chooser), picked up without a restart.
    backend = backend if backend is not None else serving_backend()
    try:
        reply = generate(
            session.persona,
            turns_for(session, trainee_seq),
            backend=backend,
            on_token=on_token,
            on_discard=on_discard,
            cache_key=str(session.pk),
            context=context,
        )
    except Halted:
        # Nothing is stored; resuming (or handing the voice back) asks for this reply again.
        cache.delete(key)
        events.send_now(group, {"type": "discard", "reply_to": trainee_seq})
        log.info("reply to %s #%s halted (session paused or taken over)", session_id, trainee_seq)
        return None
    except Exception:
        # The model or its server failed. Without this the trainee would watch a reply that
        # never comes; they are told plainly and may ask again (the sweep also asks again later).
        cache.delete(key)
        events.send_now(
            group, {"type": "reply_failed", "reply_to": trainee_seq, "message": REPLY_FAILED_TEXT, "retry": True}
        )
        raise
    # How much of the prompt the model had to read, and whose saved KV state it started from
    # (this worker's, or another worker's through Redis): what an operator checks first when
    # replies get slow (docs/modelserve.md, "KV cache reuse").
    log.info(
        "reply to %s #%s in %.2fs (first text %.2fs; prompt %s tokens, %s evaluated, state %s)",
        session_id,
        trainee_seq,
        time.monotonic() - started,
        reply.first_token_seconds or 0,
        getattr(backend, "last_prompt_tokens", "?"),
        getattr(backend, "last_evaluated_tokens", "?"),
        getattr(backend, "last_restored_from", "") or "live or none",
    )
    try:
        message, _ = actions.do_store_client_reply(session, trainee_seq, reply)
    except StaleReply:
        # The trainee wrote again while this was written: the newer message gets its own reply.
        cache.delete(key)
        events.send_now(group, {"type": "discard", "reply_to": trainee_seq})
        log.info("trainee wrote again while the reply to %s #%s was written; not stored", session_id, trainee_seq)
        return None
    cache.delete(key)
    return message


def do_retry_reply(user, session, trainee_seq):
    """The trainee asks again for the reply to their latest message (after `reply_failed`).

    Only their own live, not taken-over session, and only for their latest message while it has
    no reply; otherwise a SimulatorError says why. Queues the reply as the first request did;
    asking twice is harmless (one generation at a time, one stored reply).
    """
    if session.trainee_id != user.pk:
        raise actions.SimulatorError("forbidden", "Only the trainee of this session can ask for a reply.")
    session.refresh_from_db(fields=["status", "takeover_by"])
    if session.status != Session.LIVE or session.takeover_by_id is not None:
        raise actions.SimulatorError("not_live", "The client cannot answer while the session is paused or ended.")
    last = session.messages.order_by("-seq").first()
    if last is None or last.role != Message.TRAINEE or last.seq != trainee_seq:
        raise actions.SimulatorError(
            "nothing_to_retry", "That message already has its reply, or you have written since."
        )
    dispatch.request_reply(session.pk, trainee_seq)


def sweep_lost_replies(now=None):
    """Ask again for every reply lost on the way (a broker down or flushed, a task dropped): the
    latest message of a live, not taken-over session is the trainee's, older than
    PIXEL_REPLY_STALE_SECONDS, and nobody is writing its reply. Each is asked for at most once a
    stale period, however many sweepers run. Returns the (session id, seq) pairs asked for."""
    now = now or timezone.now()
    stale = timedelta(seconds=settings.PIXEL_REPLY_STALE_SECONDS)
    sessions = Session.objects.filter(
        status=Session.LIVE,
        takeover_by__isnull=True,
        last_activity_at__lt=now - stale,
        # A session past its time limit takes no more turns; its last message is not waited for.
        last_activity_at__gte=now - timedelta(minutes=settings.PIXEL_SESSION_MAX_MINUTES),
    )
    asked = []
    for session in sessions:
        last = session.messages.order_by("-seq").first()
        if last is None or last.role != Message.TRAINEE or being_written(session.pk, last.seq):
            continue
        if events.replies_halted(session.pk):
            continue
        if not cache.add(f"reply-asked:{session.pk}:{last.seq}", 1, settings.PIXEL_REPLY_STALE_SECONDS):
            continue  # another sweeper asked for it, or it was asked for less than a stale period ago
        log.warning("the reply to %s #%s was lost; asking for it again", session.pk, last.seq)
        try:
            dispatch.request_reply(session.pk, last.seq)
        except Exception:  # noqa: BLE001 - in embedded mode the reply runs here; one failure must not stop the sweep
            log.exception("asking again for the reply to %s #%s failed", session.pk, last.seq)
            continue
        asked.append((str(session.pk), last.seq))
    return asked
