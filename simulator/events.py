"""What reaches a browser, and the one flag that stops a reply mid-stream.

Every channel group name is built here, so a consumer that listens and an action that sends can
never disagree on one. Events about stored things go out only after the transaction commits
(`emit`): no browser ever sees something that was not stored. Token streams, which are not stored,
go out at once (`send_now`).

The halt flag lives in the shared cache, not in a process: the reply being written may be on a
Celery worker on another machine, and it checks the flag before each token (simulator.replies).
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

# Long enough to outlive any reply in flight; a resume, hand-back or end clears it sooner.
HALT_SECONDS = 3600


def session_group(session_id):
    """Everything the trainee's socket may receive (and observers see too)."""
    return f"session.{session_id}"


def observers_group(session_id):
    """What only supervisors watching the session see: flags, recording events, the client's state."""
    return f"session.{session_id}.observers"


def cohort_supervisors_group(cohort_id):
    """The live dashboards of a cohort's supervisors (and of admins)."""
    return f"cohort.{cohort_id}.supervisors"


def send_now(group, payload):
    """Send one event to a channel group immediately (for token streams, which are not stored)."""
    async_to_sync(get_channel_layer().group_send)(group, {"type": "pixel.event", "payload": payload})


def emit(group, payload):
    """Send one event to a channel group once the current transaction commits."""
    transaction.on_commit(lambda: send_now(group, payload))


def _halt_key(session_id):
    return f"halt-reply:{session_id}"


def halt_replies(session_id):
    """Stop the reply being written for this session at its next token (after commit)."""
    transaction.on_commit(lambda: cache.set(_halt_key(session_id), True, HALT_SECONDS))


def allow_replies(session_id):
    transaction.on_commit(lambda: cache.delete(_halt_key(session_id)))


def replies_halted(session_id):
    return bool(cache.get(_halt_key(session_id)))
