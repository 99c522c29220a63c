"""Generating the client's reply: the model streams tokens to the session's channel group while
the reply-so-far is kept in the cache, so a page reloaded mid-reply can show it too.

The reply is stored (and announced as a message) only when it is whole. Used by the Celery task,
by the embedded in-process path (simulator.dispatch) and by scripted runs (`manage.py simulate`,
`evaluate_model`), so all three behave the same.
"""

import logging
import time

from django.core.cache import cache

from modelserve.generate import generate
from modelserve.prompt import Turn
from modelserve.serving import serving_backend
from simulator import actions, clientstate, events
from simulator.models import Message, Session

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


def generate_reply(session_id, trainee_seq, backend=None):
    """Produce, stream and store the reply to trainee message `trainee_seq`. Safe to run twice."""
    session = Session.objects.select_related("scenario_version").filter(pk=session_id).first()
    if session is None:
        return None
    existing = session.messages.filter(reply_to=trainee_seq).first()
    if existing is not None:
        return existing
    if session.status != Session.LIVE or session.takeover_by_id is not None:
        log.info("session %s is %s%s; not replying to #%s", session_id, session.status,
                 " (taken over)" if session.takeover_by_id else "", trainee_seq)
        return None
    group = session.group_name
    state = {"reply_to": trainee_seq, "text": "", "tokens": 0}
    key = partial_key(session_id)
    cache.set(key, state, PARTIAL_TTL)

    def on_token(token):
        if events.replies_halted(session.pk):
            raise Halted()
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
    # How much of the prompt the model had to read, and whose saved KV state it started from
    # (this worker's, or another worker's through Redis): what an operator checks first when
    # replies get slow (docs/modelserve.md, "KV cache reuse").
    log.info("reply to %s #%s in %.2fs (first text %.2fs; prompt %s tokens, %s evaluated, state %s)",
             session_id, trainee_seq, time.monotonic() - started, reply.first_token_seconds or 0,
             getattr(backend, "last_prompt_tokens", "?"), getattr(backend, "last_evaluated_tokens", "?"),
             getattr(backend, "last_restored_from", "") or "live or none")
    message, _ = actions.do_store_client_reply(session, trainee_seq, reply)
    cache.delete(key)
    return message
