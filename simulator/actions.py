"""Every write to sessions: start, trainee messages, client replies, end.

Each do_* checks what it must, writes, audits where a person acted, and sends the WebSocket event
only after the transaction commits (`emit`), so no browser ever sees something that was not
stored.
"""

import logging
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.access import missing_certification
from accounts.actions import do_audit
from accounts.models import AuditEvent
from simulator.models import Message, Session
from simulator.models import SessionEvent as SessionEventKinds
from simulator.signals import message_stored

log = logging.getLogger(__name__)


class SimulatorError(Exception):
    """A refusal the person should read: `code` for programs, `message` for people."""

    def __init__(self, code, message, session=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.session = session


def send_now(group, payload):
    """Send one event to a channel group immediately (for token streams, which are not stored)."""
    async_to_sync(get_channel_layer().group_send)(group, {"type": "pixel.event", "payload": payload})


def emit(group, payload):
    """Send one event to a channel group once the current transaction commits."""
    transaction.on_commit(lambda: send_now(group, payload))


def request_check(message):
    """After commit, announce the stored message (signals.message_stored) and queue its crisis
    check (queue `safety`).

    If the queue cannot be reached the check runs here instead: a message is never left unchecked
    because a broker was down.
    """

    def enqueue():
        from config.celery import queue_or_run
        from simulator import tasks
        from simulator.safety import do_check_message

        # A listener's failure must never cost the crisis check below.
        for receiver, result in message_stored.send_robust(sender=Message, message=message):
            if isinstance(result, Exception):
                log.error("message_stored receiver %r failed", receiver, exc_info=result)
        queue_or_run(tasks.check_message, do_check_message, message.pk, what=f"the crisis check of message {message.pk}")

    transaction.on_commit(enqueue)


def certification_problem(user, scenario):
    for kind in scenario.required_certifications():
        message = missing_certification(user, kind)
        if message:
            return message
    return None


def do_start_session(user, scenario, request=None):
    """Open a live session on the scenario's current version, with the client's opening line."""
    problem = certification_problem(user, scenario)
    if problem:
        raise SimulatorError("certification_missing", problem)
    if not scenario.is_active:
        raise SimulatorError("scenario_inactive", "This scenario is not available at the moment.")
    existing = Session.objects.filter(trainee=user, status__in=Session.OPEN_STATUSES).first()
    if existing is not None:
        raise SimulatorError("session_open", "You already have a session open. End it before starting another.", existing)
    version = scenario.snapshot()
    try:
        with transaction.atomic():
            session = Session.objects.create(trainee=user, scenario_version=version)
            opening = (version.persona.get("opening_line") or "").strip()
            if opening:
                message, _ = session.append(Message.CLIENT, opening)
                request_check(message)
            do_audit(
                AuditEvent.SESSION_STARTED, user, user, session, {"scenario": scenario.slug, "version": version.number}, request
            )
    except IntegrityError:
        # A second tab raced us past the check above; the database constraint decided.
        existing = Session.objects.filter(trainee=user, status__in=Session.OPEN_STATUSES).first()
        raise SimulatorError("session_open", "You already have a session open.", existing) from None
    return session


def pending_reply(session, now=None):
    """The trainee message still waiting for a client reply, if it is not yet stale."""
    last = session.messages.order_by("-seq").first()
    if last is None or last.role != Message.TRAINEE:
        return None
    age = (now or timezone.now()) - last.created_at
    return last if age < timedelta(seconds=settings.PIXEL_REPLY_STALE_SECONDS) else None


def do_post_trainee_message(user, session, client_msg_id, text):
    """Store a trainee message before anything acknowledges it. Returns (message, created).

    A resend with the same client_msg_id returns the stored message and stores nothing.
    """
    if session.trainee_id != user.pk:
        raise SimulatorError("forbidden", "Only the trainee of this session can write in it.")
    client_msg_id = str(client_msg_id or "").strip()
    if not client_msg_id or len(client_msg_id) > 64:
        raise SimulatorError("bad_id", "Each message needs an id of 1 to 64 characters.")
    duplicate = session.messages.filter(client_msg_id=client_msg_id).first()
    if duplicate is not None:
        return duplicate, False
    text = (text or "").strip()
    if not text:
        raise SimulatorError("empty", "Write something before sending.")
    if len(text) > settings.PIXEL_MESSAGE_MAX_CHARS:
        raise SimulatorError(
            "too_long", f"Messages can be at most {settings.PIXEL_MESSAGE_MAX_CHARS} characters (this one has {len(text)})."
        )
    session.refresh_from_db(fields=["status", "next_seq"])
    if session.status == Session.PAUSED:
        raise SimulatorError("paused", "Your supervisor has paused this session. Wait for them to resume it.")
    if session.status == Session.ENDED:
        raise SimulatorError("ended", "This session has ended.")
    now = timezone.now()
    if session.time_left(now) <= timedelta(0):
        raise SimulatorError(
            "time_up", f"Sessions last at most {settings.PIXEL_SESSION_MAX_MINUTES} minutes. End it to see your summary."
        )
    recent = session.messages.filter(role=Message.TRAINEE, created_at__gte=now - timedelta(minutes=1)).count()
    if recent >= settings.PIXEL_MESSAGES_PER_MINUTE:
        raise SimulatorError(
            "rate_limited", f"At most {settings.PIXEL_MESSAGES_PER_MINUTE} messages a minute. Take a breath and try again."
        )
    if pending_reply(session, now) is not None:
        raise SimulatorError("reply_pending", "The client is still answering. Wait for their reply.")
    with transaction.atomic():
        message, created = session.append(Message.TRAINEE, text, client_msg_id=client_msg_id)
        if created:
            emit(session.group_name, {"type": "message", **message.as_event()})
            request_check(message)
    return message, created


def do_store_client_reply(session, reply_to, reply):
    """Store the finished client reply to trainee message `reply_to`; idempotent per reply_to."""
    existing = session.messages.filter(reply_to=reply_to).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            if reply.breaks:
                # The persona guard's catches belong in the recording, before the reply they led to.
                session.record(SessionEventKinds.REGENERATION, None, reply_to=reply_to, breaks=reply.breaks, fallback=reply.fallback)
            message, _ = session.append(
                Message.CLIENT,
                reply.text,
                reply_to=reply_to,
                seconds=reply.seconds,
                first_token_seconds=reply.first_token_seconds,
                regenerations=reply.regenerations,
                guard_breaks=reply.breaks,
                fallback=reply.fallback,
                model_name=reply.model,
            )
            updates = {"model_name": reply.model}
            if reply.breaks:
                updates["persona_breaks"] = F("persona_breaks") + len(reply.breaks)
            Session.objects.filter(pk=session.pk).update(**updates)
            emit(session.group_name, {"type": "message", **message.as_event()})
            request_check(message)
    except IntegrityError:
        # Another worker stored the same reply first (a redelivered task): keep theirs.
        return session.messages.get(reply_to=reply_to), False
    return message, True


def do_update_client_state(session, message):
    """Store the client's state after trainee MESSAGE (and after any earlier trainee message that
    has none yet) and show it to the session's observers. Returns the state; idempotent: a stored
    state is returned as it is and announced no second time.

    The state is derived from each message's skill score, so the score is made here if the
    scoring task has not run yet (the task then finds it and does nothing). Observers only: the
    trainee's socket is in session.group_name, which never carries the state.
    """
    from feedback.actions import do_score_message
    from simulator import clientstate

    if message.client_state:
        return message.client_state
    unscored = session.messages.filter(role=Message.TRAINEE, seq__lte=message.seq, skill_score__isnull=True)
    for pk in list(unscored.values_list("pk", flat=True)):
        do_score_message(pk)
    with transaction.atomic():
        for row, state, stored in clientstate.session_states(session, upto_seq=message.seq):
            if not stored and row.set_client_state(state):
                emit(session.observers_group, {"type": "client_state", **clientstate.public(state)})
    message.refresh_from_db(fields=["client_state"])
    return message.client_state


def do_end_session(user, session, reason="ended by the trainee", request=None):
    if user.pk != session.trainee_id and not user.has_role("supervisor", "admin"):
        raise SimulatorError("forbidden", "You may not end this session.")
    with transaction.atomic():
        if session.end(user, reason):
            event = session.record(SessionEventKinds.ENDED, user, reason=reason)
            do_audit(AuditEvent.SESSION_ENDED, user, session.trainee, session, {"reason": reason}, request)
            emit(session.group_name, {"type": "ended", "reason": reason})
            emit(session.observers_group, {"type": "event", **event.as_event()})
            # The saved KV state is derived from the transcript: it goes when the session does.
            transaction.on_commit(lambda: forget_kv_state(str(session.pk)))
    return session


def forget_kv_state(cache_key):
    from modelserve.conf import load_config
    from modelserve.statecache import forget_shared

    return forget_shared(load_config().shared_state_url, cache_key)


# --- Supervisors acting on a live session (called by the supervision app) ---------------------


def _require_supervisor(user, session):
    from simulator.access import can_supervise

    if not can_supervise(user, session):
        raise SimulatorError("forbidden", "Only the trainee's supervisors and admins can do this.")


def halt_key(session_id):
    return f"halt-reply:{session_id}"


def do_whisper(user, session, text, request=None):
    """A private hint from a supervisor that only the trainee sees; part of the recording."""
    _require_supervisor(user, session)
    text = (text or "").strip()
    if not text:
        raise SimulatorError("empty", "Write the hint before sending it.")
    if len(text) > 500:
        raise SimulatorError("too_long", "Keep a whisper under 500 characters.")
    if not session.is_open:
        raise SimulatorError("ended", "This session has ended.")
    with transaction.atomic():
        event = _intervene(user, session, SessionEventKinds.WHISPER, "whisper", request, text=text)
        emit(session.group_name, {"type": "whisper", "seq": event.seq, "text": text, "from": str(user)})
    return event


def do_pause_session(user, session, request=None):
    _require_supervisor(user, session)
    with transaction.atomic():
        if not session.pause():
            raise SimulatorError("not_live", "Only a live session can be paused.")
        event = _intervene(user, session, SessionEventKinds.PAUSED, "pause", request)
        emit(session.group_name, {"type": "status", "status": session.status, "reason": "paused by your supervisor"})
    # A reply being written now stops at its next token (simulator.replies checks this flag).
    cache.set(halt_key(session.pk), True, 3600)
    return event


def do_resume_session(user, session, request=None):
    """paused -> live. Returns (event, trainee seq that still needs a reply or None)."""
    _require_supervisor(user, session)
    with transaction.atomic():
        if not session.resume():
            raise SimulatorError("not_paused", "Only a paused session can be resumed.")
        event = _intervene(user, session, SessionEventKinds.RESUMED, "resume", request)
        emit(session.group_name, {"type": "status", "status": session.status, "reason": "resumed"})
    cache.delete(halt_key(session.pk))
    return event, unanswered_trainee_seq(session)


def unanswered_trainee_seq(session):
    last = session.messages.order_by("-seq").first()
    if last is not None and last.role == Message.TRAINEE and session.takeover_by_id is None:
        return last.seq
    return None


def do_start_takeover(user, session, request=None):
    _require_supervisor(user, session)
    with transaction.atomic():
        claimed = Session.objects.filter(pk=session.pk, takeover_by__isnull=True, status__in=Session.OPEN_STATUSES).update(
            takeover_by=user
        )
        session.refresh_from_db(fields=["takeover_by"])
        if not claimed:
            raise SimulatorError("taken", f"{session.takeover_by or 'Nobody'} is already speaking as the client, or the session has ended.")
        event = _intervene(user, session, SessionEventKinds.TAKEOVER_STARTED, "takeover", request)
    cache.set(halt_key(session.pk), True, 3600)
    return event


def do_end_takeover(user, session, request=None):
    _require_supervisor(user, session)
    with transaction.atomic():
        if Session.objects.filter(pk=session.pk, takeover_by=user).update(takeover_by=None) != 1:
            raise SimulatorError("not_yours", "You are not speaking as the client in this session.")
        session.refresh_from_db(fields=["takeover_by"])
        event = _intervene(user, session, SessionEventKinds.TAKEOVER_ENDED, "handback", request)
    if session.status == Session.LIVE:
        cache.delete(halt_key(session.pk))
    return event, unanswered_trainee_seq(session)


def do_supervisor_client_reply(user, session, client_msg_id, text):
    """The supervisor, speaking as the client, answers; stored as the supervisor's own words."""
    if session.takeover_by_id != user.pk:
        raise SimulatorError("not_yours", "Take over the client's voice first.")
    text = (text or "").strip()
    if not text or len(text) > settings.PIXEL_MESSAGE_MAX_CHARS:
        raise SimulatorError("bad_text", f"Write 1 to {settings.PIXEL_MESSAGE_MAX_CHARS} characters.")
    last = session.messages.order_by("-seq").first()
    reply_to = last.seq if last is not None and last.role == Message.TRAINEE else None
    with transaction.atomic():
        message, created = session.append(Message.CLIENT, text, client_msg_id=str(client_msg_id), reply_to=reply_to, author=user)
        if created:
            emit(session.group_name, {"type": "message", **message.as_event()})
            request_check(message)
    return message, created


def _intervene(user, session, kind, action, request, **data):
    """Record a supervisor's intervention in the recording, audit it, and show it to observers."""
    event = session.record(kind, user, **data)
    details = {"action": action, "seq": event.seq} if action == "whisper" else {"action": action}
    do_audit(AuditEvent.SUPERVISOR_ACTION, user, session.trainee, session, details, request)
    emit(session.observers_group, {"type": "event", **event.as_event()})
    return event
