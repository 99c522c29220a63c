"""Every change to a session goes through here: start, messages, replies, the client's state,
supervisors' interventions, the crisis protocol's pause, observers joining, scripted runs, purges.

Each do_* checks what it must, writes, audits where a person acted, and announces the change only
after the transaction commits (simulator.events.emit), so no browser ever sees something that was
not stored. Work that follows a write (the crisis check, the client's reply) is queued after commit
by the action itself (simulator.dispatch); no caller asks for it. docs/life-of-a-message.md follows
one message through.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.access import missing_certification
from accounts.actions import do_audit, do_ensure_service_user
from accounts.models import AuditEvent
from simulator import dispatch, events
from simulator.access import can_supervise
from simulator.models import Message, Session, SessionEvent
from simulator.signals import message_stored

log = logging.getLogger(__name__)
SCRIPTED_TRAINEE = "simulate@pixel.invalid"
PURGE_BATCH = 200


class SimulatorError(Exception):
    """A refusal the person should read: `code` for programs, `message` for people."""

    def __init__(self, code, message, session=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.session = session


def announce_and_check(message):
    """After commit, announce the stored message (signals.message_stored) and queue its crisis
    check (queue `safety`), which runs here if the broker is down: a message is never left unchecked.
    """

    def announce_and_check():
        # A listener's failure must never cost the crisis check below.
        for receiver, result in message_stored.send_robust(sender=Message, message=message):
            if isinstance(result, Exception):
                log.error("message_stored receiver %r failed", receiver, exc_info=result)
        dispatch.queue_or_run(dispatch.CHECK_MESSAGE, message.pk, what=f"the crisis check of message {message.pk}")

    transaction.on_commit(announce_and_check)


def _reply_after_commit(session, trainee_seq):
    if trainee_seq is not None:
        transaction.on_commit(lambda: dispatch.request_reply(session.pk, trainee_seq))


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
                announce_and_check(message)
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
    """Store a trainee message before anything acknowledges it, then (after commit) queue its crisis
    check and the client's reply. Returns (message, created).

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
    with transaction.atomic():
        message, created = _store_trainee_message(session, client_msg_id, text, settings.PIXEL_MESSAGES_PER_MINUTE)
        if created:
            _reply_after_commit(session, message.seq)
    return message, created


def _store_trainee_message(session, client_msg_id, text, per_minute=None):
    """Check and store one trainee line; the live path and scripted runs share every check but the
    per-minute limit, which is for people (a script plays faster than anyone types)."""
    text = (text or "").strip()
    if not text:
        raise SimulatorError("empty", "Write something before sending.")
    if len(text) > settings.PIXEL_MESSAGE_MAX_CHARS:
        raise SimulatorError(
            "too_long", f"Messages can be at most {settings.PIXEL_MESSAGE_MAX_CHARS} characters (this one has {len(text)})."
        )
    # The session's row lock (held to the caller's commit) makes these checks and the append one
    # step: of two tabs sending at once, the second sees the first waiting for its reply.
    list(Session.objects.select_for_update().filter(pk=session.pk).values_list("pk", flat=True))
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
    if per_minute is not None:
        recent = session.messages.filter(role=Message.TRAINEE, created_at__gte=now - timedelta(minutes=1)).count()
        if recent >= per_minute:
            raise SimulatorError("rate_limited", f"At most {per_minute} messages a minute. Take a breath and try again.")
    if pending_reply(session, now) is not None:
        raise SimulatorError("reply_pending", "The client is still answering. Wait for their reply.")
    message, created = session.append(Message.TRAINEE, text, client_msg_id=client_msg_id)
    if created:
        events.emit(session.group_name, {"type": "message", **message.as_event()})
        announce_and_check(message)
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
                session.record(SessionEvent.REGENERATION, None, reply_to=reply_to, breaks=reply.breaks, fallback=reply.fallback)
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
            events.emit(session.group_name, {"type": "message", **message.as_event()})
            announce_and_check(message)
    except IntegrityError:
        # Another worker stored the same reply first (a redelivered task): keep theirs.
        return session.messages.get(reply_to=reply_to), False
    return message, True


_scorer = None


def register_scorer(scorer):
    """SCORER(message_id) stores a trainee message's skill score. The feedback app, which builds on
    the simulator, registers it in its AppConfig.ready(); without it every message counts as neutral."""
    global _scorer
    _scorer = scorer


def do_update_client_state(session, message):
    """Store the client's state after trainee MESSAGE (and after any earlier trainee message that
    has none yet) and show it to the session's observers. Returns the state; idempotent: a stored
    state is returned as it is and announced no second time.

    The state is derived from each message's skill score, so the score is made here if the
    scoring task has not run yet (the task then finds it and does nothing). Observers only: the
    trainee's socket is in session.group_name, which never carries the state.
    """
    from simulator import clientstate

    if message.client_state:
        return message.client_state
    if _scorer is not None:
        unscored = session.messages.filter(role=Message.TRAINEE, seq__lte=message.seq, skill_score__isnull=True)
        for pk in list(unscored.values_list("pk", flat=True)):
            _scorer(pk)
    with transaction.atomic():
        for row, state, stored in clientstate.session_states(session, upto_seq=message.seq):
            if not stored and row.set_client_state(state):
                events.emit(session.observers_group, {"type": "client_state", **clientstate.public(state)})
    message.refresh_from_db(fields=["client_state"])
    return message.client_state


def do_end_session(user, session, reason="ended by the trainee", request=None):
    """End the session. USER None: the system (a scripted run finishing, a stale session replaced)."""
    # The trainee, their own supervisors and admins: not a supervisor of another cohort.
    if user is not None and user.pk != session.trainee_id and not can_supervise(user, session):
        raise SimulatorError("forbidden", "You may not end this session.")
    with transaction.atomic():
        if session.end(user, reason):
            event = session.record(SessionEvent.ENDED, user, reason=reason)
            if user is not None:
                do_audit(AuditEvent.SESSION_ENDED, user, session.trainee, session, {"reason": reason}, request)
            events.emit(session.group_name, {"type": "ended", "reason": reason})
            events.emit(session.observers_group, {"type": "event", **event.as_event()})
            events.allow_replies(session.pk)
            # The saved KV state is derived from the transcript: it goes when the session does.
            transaction.on_commit(lambda: forget_kv_state(str(session.pk)))
    return session


def forget_kv_state(cache_key):
    from modelserve.conf import load_config
    from modelserve.statecache import forget_shared

    return forget_shared(load_config().shared_state_url, cache_key)


# --- Supervisors (and the crisis protocol) acting on a live session -----------------------------


def _require_supervisor(user, session):
    if not can_supervise(user, session):
        raise SimulatorError("forbidden", "Only the trainee's supervisors and admins can do this.")


def _refuse_if_ended(session):
    """Inside a transaction: lock the session's row and refuse if it has ended. Session.end takes
    the same lock, so a write racing the end is either stored before it or refused after it."""
    status = Session.objects.select_for_update().values_list("status", flat=True).get(pk=session.pk)
    if status == Session.ENDED:
        raise SimulatorError("ended", "This session has ended; nothing more can be added to it.")


def do_observer_joined(user, session, request=None):
    """A supervisor opened the live view: audited, and, while the session is open, recorded and
    told to the trainee plainly (nobody watches a trainee unannounced)."""
    do_audit(AuditEvent.CLINICAL_VIEW, user, session.trainee, session, {"page": "observe"}, request)
    if not session.is_open:
        return None
    with transaction.atomic():
        event = session.record(SessionEvent.OBSERVER_JOINED, user)
        events.emit(session.group_name, {"type": "observer", "name": str(user), "seq": event.seq})
    return event


def do_whisper(user, session, text, request=None):
    """A private hint from a supervisor that only the trainee sees; part of the recording."""
    _require_supervisor(user, session)
    text = (text or "").strip()
    if not text:
        raise SimulatorError("empty", "Write the hint before sending it.")
    if len(text) > 500:
        raise SimulatorError("too_long", "Keep a whisper under 500 characters.")
    with transaction.atomic():
        _refuse_if_ended(session)
        event = _intervene(user, session, SessionEvent.WHISPER, "whisper", request, text=text)
        events.emit(session.group_name, {"type": "whisper", "seq": event.seq, "text": text, "from": str(user)})
    return event


def do_pause_session(user, session, reason="paused by your supervisor", request=None):
    """live -> paused, and the reply being written stops at its next token.

    USER None is the system: the crisis protocol pausing on a trainee's message (it writes its own
    CRISIS_ESCALATION audit row); the PAUSED event it records has no actor.
    """
    if user is not None:
        _require_supervisor(user, session)
    with transaction.atomic():
        _refuse_if_ended(session)
        if not session.pause():
            raise SimulatorError("not_live", "Only a live session can be paused.")
        # Registered first, so the flag is up before anyone is told the session is paused.
        events.halt_replies(session.pk)
        event = _intervene(user, session, SessionEvent.PAUSED, "pause", request, reason=reason)
        events.emit(session.group_name, {"type": "status", "status": session.status, "reason": reason})
    return event


def do_resume_session(user, session, reason="resumed", request=None):
    """paused -> live; the trainee message left without a reply gets one now (after commit).
    USER None: the system (a scripted run playing on past the crisis protocol's pause)."""
    if user is not None:
        _require_supervisor(user, session)
    with transaction.atomic():
        _refuse_if_ended(session)
        if not session.resume():
            raise SimulatorError("not_paused", "Only a paused session can be resumed.")
        event = _intervene(user, session, SessionEvent.RESUMED, "resume", request, reason=reason)
        events.emit(session.group_name, {"type": "status", "status": session.status, "reason": reason})
        if session.takeover_by_id is None:
            events.allow_replies(session.pk)
            _reply_after_commit(session, unanswered_trainee_seq(session))
    return event


def unanswered_trainee_seq(session):
    last = session.messages.order_by("-seq").first()
    if last is not None and last.role == Message.TRAINEE and session.takeover_by_id is None:
        return last.seq
    return None


def do_start_takeover(user, session, request=None):
    _require_supervisor(user, session)
    with transaction.atomic():
        _refuse_if_ended(session)
        claimed = Session.objects.filter(pk=session.pk, takeover_by__isnull=True, status__in=Session.OPEN_STATUSES).update(
            takeover_by=user
        )
        session.refresh_from_db(fields=["takeover_by"])
        if not claimed:
            raise SimulatorError("taken", f"{session.takeover_by or 'Nobody'} is already speaking as the client, or the session has ended.")
        event = _intervene(user, session, SessionEvent.TAKEOVER_STARTED, "takeover", request)
        events.halt_replies(session.pk)
    return event


def do_end_takeover(user, session, request=None):
    """The supervisor hands the client's voice back; a trainee message they left unanswered gets
    the model's reply (after commit) if the session is live."""
    _require_supervisor(user, session)
    with transaction.atomic():
        _refuse_if_ended(session)
        if Session.objects.filter(pk=session.pk, takeover_by=user).update(takeover_by=None) != 1:
            raise SimulatorError("not_yours", "You are not speaking as the client in this session.")
        session.refresh_from_db(fields=["takeover_by", "status"])
        event = _intervene(user, session, SessionEvent.TAKEOVER_ENDED, "handback", request)
        if session.status == Session.LIVE:
            events.allow_replies(session.pk)
            _reply_after_commit(session, unanswered_trainee_seq(session))
    return event


def do_supervisor_client_reply(user, session, client_msg_id, text):
    """The supervisor, speaking as the client, answers; stored as the supervisor's own words."""
    if session.takeover_by_id != user.pk:
        raise SimulatorError("not_yours", "Take over the client's voice first.")
    client_msg_id = str(client_msg_id or "").strip()
    if not client_msg_id or len(client_msg_id) > 64:
        raise SimulatorError("bad_id", "Each message needs an id of 1 to 64 characters.")
    text = (text or "").strip()
    if not text or len(text) > settings.PIXEL_MESSAGE_MAX_CHARS:
        raise SimulatorError("bad_text", f"Write 1 to {settings.PIXEL_MESSAGE_MAX_CHARS} characters.")
    with transaction.atomic():
        # Ending does not hand the client's voice back, so the take-over alone is no licence.
        _refuse_if_ended(session)
        last = session.messages.order_by("-seq").first()
        reply_to = last.seq if last is not None and last.role == Message.TRAINEE else None
        message, created = session.append(Message.CLIENT, text, client_msg_id=str(client_msg_id), reply_to=reply_to, author=user)
        if created:
            events.emit(session.group_name, {"type": "message", **message.as_event()})
            announce_and_check(message)
    return message, created


def _intervene(user, session, kind, action, request, **data):
    """Record an intervention in the recording, audit it if a person acted, show it to observers."""
    event = session.record(kind, user, **data)
    if user is not None:
        details = {"action": action, "seq": event.seq} if action == "whisper" else {"action": action}
        do_audit(AuditEvent.SUPERVISOR_ACTION, user, session.trainee, session, details, request)
    events.emit(session.observers_group, {"type": "event", **event.as_event()})
    return event


# --- Scripted runs (manage.py simulate, evaluate_model) -----------------------------------------


def do_scripted_run(scenario, lines, generate_reply):
    """Play LINES as a trainee through SCENARIO on the live path without a browser: the same checks
    store each line, the crisis check runs, and GENERATE_REPLY(session, seq) writes each reply (the
    caller's model; simulator.replies.generate_reply by default in the callers).

    The run's trainee is a service account (created once, audited). A crisis-protocol pause on a
    line is noted and resumed by the system, as a supervisor would: a script is not a person in
    distress. Returns (session, protocol_pauses): the ended session and the paused lines' seqs.
    """
    user = do_ensure_service_user(SCRIPTED_TRAINEE, "Scripted trainee", via="scripted run")
    for stale in Session.objects.filter(trainee=user, status__in=Session.OPEN_STATUSES):
        do_end_session(None, stale, "replaced by a new scripted run")
    with transaction.atomic():
        session = Session.objects.create(trainee=user, scenario_version=scenario.snapshot())
        opening = (session.persona.get("opening_line") or "").strip()
        if opening:
            message, _ = session.append(Message.CLIENT, opening)
            announce_and_check(message)
    protocol_pauses = []
    try:
        for text in lines:
            with transaction.atomic():
                message, _ = _store_trainee_message(session, uuid.uuid4().hex, text)
            session.refresh_from_db()
            if session.status == Session.PAUSED:
                protocol_pauses.append(message.seq)
                with transaction.atomic():
                    if session.resume():
                        _intervene(None, session, SessionEvent.RESUMED, "resume", None, reason="scripted run plays on")
                        events.allow_replies(session.pk)
            generate_reply(session, message.seq)
    finally:
        do_end_session(None, session, "scripted run finished")
    return session, protocol_pauses


# --- Retention --------------------------------------------------------------------------------


def do_purge_sessions(sessions, actor, details, progress=None):
    """Delete SESSIONS (a queryset) with their messages and events, and what other apps keep on
    them (by cascade), in batches: each its own transaction and RECORDINGS_PURGED audit row naming
    its sessions (plus DETAILS), so a purge stopped half-way has audited exactly what it deleted.
    The caller (supervision.actions.do_purge_recordings) decides what is old enough and who may.
    """
    result = {"sessions": 0, "messages": 0, "events": 0, "session_ids": []}
    while True:
        with transaction.atomic():
            # SKIP LOCKED: a session someone is changing right now waits for the next run.
            batch = list(sessions.select_for_update(skip_locked=True, of=("self",))[:PURGE_BATCH])
            if not batch:
                break
            ids = [s.pk for s in batch]
            messages = Message.objects.filter(session_id__in=ids).count()
            events_count = SessionEvent.objects.filter(session_id__in=ids).count()
            Session.objects.filter(pk__in=ids).delete()
            do_audit(
                AuditEvent.RECORDINGS_PURGED,
                actor,
                details={
                    "sessions": len(ids),
                    "messages": messages,
                    "events": events_count,
                    "session_ids": [str(pk) for pk in ids],
                    "trainee_ids": sorted({s.trainee_id for s in batch}),
                    **details,
                },
            )
        result["sessions"] += len(ids)
        result["messages"] += messages
        result["events"] += events_count
        result["session_ids"] += [str(pk) for pk in ids]
        if progress is not None:
            progress(result)
    return result
