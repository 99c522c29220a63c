"""Where a reply gets generated: a Celery worker, or (embedded mode) a thread of this process."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from simulator import replies, tasks

log = logging.getLogger(__name__)
_background = set()


def _finished(task):
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("in-process reply failed", exc_info=task.exception())


def _generate_in_thread(session_id, trainee_seq):
    try:
        return replies.generate_reply(session_id, trainee_seq)
    finally:
        # This pool thread is not a request: nothing else would close its database connection.
        connection.close()


async def request_reply(session_id, trainee_seq):
    """Ask for the reply to a stored trainee message. Returns at once; the reply streams later."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process: a worker thread runs the model, and its channel-layer sends go back through
        # this event loop (asgiref routes them), which the in-memory layer requires.
        task = asyncio.create_task(sync_to_async(_generate_in_thread, thread_sensitive=False)(str(session_id), trainee_seq))
        _background.add(task)
        task.add_done_callback(_finished)
        return task
    await sync_to_async(tasks.generate_reply.delay)(str(session_id), trainee_seq)
    return None
