"""Listening to the simulator: every stored trainee message is scored (connected in apps.py)."""

import logging

from django.conf import settings

log = logging.getLogger(__name__)


def score_stored_message(sender, message, **kwargs):
    from feedback import tasks
    from feedback.actions import do_score_message
    from simulator.models import Message

    if message.role != Message.TRAINEE:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Embedded mode: no worker, and scoring takes milliseconds.
        do_score_message(message.pk)
        return
    try:
        tasks.score_message.delay(message.pk)
    except Exception:
        # Feedback is not safety-critical, but losing it silently would make reports lie by omission;
        # the report view also scores what is missing (actions.do_score_session).
        log.exception("could not queue scoring of message %s; scoring in-process", message.pk)
        do_score_message(message.pk)
