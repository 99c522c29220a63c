"""Listening to the simulator: every stored trainee message is scored (connected in apps.py)."""


def score_stored_message(sender, message, **kwargs):
    from config.celery import queue_or_run
    from feedback import tasks
    from feedback.actions import do_score_message
    from simulator.models import Message

    if message.role != Message.TRAINEE:
        return
    # Feedback is not safety-critical, but losing it silently would make reports lie by omission
    # (the report view also scores what is missing: actions.do_score_session).
    queue_or_run(tasks.score_message, do_score_message, message.pk, what=f"scoring of message {message.pk}")
