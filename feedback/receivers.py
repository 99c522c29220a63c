"""Listening to the simulator: every stored trainee message is scored (connected in apps.py)."""

from simulator import dispatch
from simulator.models import Message


def score_stored_message(sender, message, **kwargs):
    if message.role != Message.TRAINEE:
        return
    # Feedback is not safety-critical, but losing it silently would make reports lie by omission
    # (the report also computes, without storing, any score still missing: report.turns_for).
    dispatch.queue_or_run("feedback.tasks.score_message", message.pk, what=f"scoring of message {message.pk}")
