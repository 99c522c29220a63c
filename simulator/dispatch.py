"""Where queued work goes: a Celery worker, or (embedded mode, no broker) this process.

Tasks are named, never imported: the actions that queue work and the tasks that call the actions
would otherwise import each other. Routing to the `inference`, `safety` and `default` queues is by
name too (settings.CELERY_TASK_ROUTES).
"""

import asyncio
import importlib
import logging

from asgiref.sync import SyncToAsync, sync_to_async
from celery import current_app
from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)
GENERATE_REPLY = "simulator.tasks.generate_reply"
CHECK_MESSAGE = "simulator.tasks.check_message"
_background = set()


def _task(name):
    # Importing the task's module registers it with the Celery app (shared_task).
    importlib.import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def run_here(name, *args):
    """Run a task's body in this process, now, as the worker would."""
    return _task(name)(*args)


def queue(name, *args):
    """Queue task NAME with ARGS (long work: a broker outage is an error, never a reason to run a
    training run inside a web request); in embedded mode run it here, as Celery's eager mode would."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return run_here(name, *args)
    return current_app.send_task(name, args=list(args))


def queue_or_run(name, *args, what):
    """Queue task NAME with ARGS; run it here instead in embedded mode (no worker) or when the broker
    cannot be reached, so the work is never lost to a broker outage. WHAT names it in the log."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return run_here(name, *args)
    try:
        return current_app.send_task(name, args=list(args))
    except Exception:  # noqa: BLE001 - any broker failure: do the work here
        log.exception("could not queue %s; running it in-process", what)
        return run_here(name, *args)


def request_reply(session_id, trainee_seq):
    """Ask for the reply to a stored trainee message; returns at once, the reply streams later.

    Called by simulator.actions after the message (or the resume that unblocks it) commits.
    """
    session_id = str(session_id)
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            current_app.send_task(GENERATE_REPLY, args=[session_id, trainee_seq])
        except Exception:  # noqa: BLE001
            # Never run in a web process instead (a reply is seconds of model time). The message is
            # stored: the sweep (simulator.replies.sweep_lost_replies) asks again once the broker is
            # back and PIXEL_REPLY_STALE_SECONDS have passed. Say so loudly meanwhile.
            log.exception("could not queue the reply to %s #%s; the sweep will ask again", session_id, trainee_seq)
        return
    # In-process. The in-memory channel layer only delivers within the event loop that serves the
    # sockets, so when an action runs in a sync thread of that loop (a consumer's
    # database_sync_to_async), the reply runs as a task of that loop, its model work in a pool
    # thread whose channel-layer sends asgiref routes back to the loop.
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is not None and loop.is_running():
        loop.call_soon_threadsafe(_start_task, session_id, trainee_seq)
    else:
        # No serving loop (a command, a WSGI view, a test): run it now, as Celery's eager mode
        # runs any task, so nothing outlives the caller half-done.
        run_here(GENERATE_REPLY, session_id, trainee_seq)


def _start_task(session_id, trainee_seq):
    task = asyncio.ensure_future(sync_to_async(_generate_in_thread, thread_sensitive=False)(session_id, trainee_seq))
    _background.add(task)
    task.add_done_callback(_finished)


def _finished(task):
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("in-process reply failed", exc_info=task.exception())


def _generate_in_thread(session_id, trainee_seq):
    try:
        return run_here(GENERATE_REPLY, session_id, trainee_seq)
    finally:
        # This thread is not a request: nothing else would close its database connection.
        connection.close()
