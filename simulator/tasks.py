"""The simulator's Celery tasks. Queued by name from simulator.dispatch (never imported there),
so the actions that queue them and the code they run do not import each other."""

from celery import shared_task
from django.conf import settings

from simulator import crisis_protocol, replies

# A redelivered reply finding another worker writing it waits this often for that one to finish
# (or for a dead worker's lock to lapse), for about two minutes; after that the sweep asks again.
BUSY_RETRIES = 12


@shared_task(name="simulator.tasks.generate_reply", bind=True, acks_late=True, reject_on_worker_lost=True)
def generate_reply(self, session_id, trainee_seq):
    """Celery entry point (queue `inference`). acks_late: a worker that dies mid-reply leaves the
    task to be redelivered, and generate_reply stores at most one reply per trainee message."""
    try:
        message = replies.generate_reply(session_id, trainee_seq)
    except replies.Busy as busy:
        if self.request.called_directly or self.request.is_eager:
            return None  # in-process: the generation holding the lock stores the reply
        raise self.retry(
            exc=busy, countdown=max(1, settings.PIXEL_REPLY_LOCK_SECONDS // 2), max_retries=BUSY_RETRIES
        ) from busy
    return message.seq if message is not None else None


@shared_task(name="simulator.tasks.check_message", acks_late=True, reject_on_worker_lost=True)
def check_message(message_id):
    """Crisis check of one stored message (queue `safety`); running it twice does nothing more, so
    a worker killed mid-check leaves the task to be redelivered (reject_on_worker_lost) rather than
    lost; sweep_lost_work catches any check that never reached a worker at all."""
    message = crisis_protocol.do_check_message(message_id)
    return message.crisis_level if message is not None else None


@shared_task(name="simulator.tasks.sweep_lost_work")
def sweep_lost_work():
    """Run by `celery beat` every PIXEL_SWEEP_SECONDS (and by `manage.py sweep_lost_work`): check
    messages whose crisis check was lost, ask again for lost replies. Safe with several workers."""
    checked = crisis_protocol.sweep_unchecked()
    asked = replies.sweep_lost_replies()
    return {"checked": checked, "replies_asked": asked}
