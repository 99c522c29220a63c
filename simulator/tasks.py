"""The simulator's Celery tasks. Queued by name from simulator.dispatch (never imported there),
so the actions that queue them and the code they run do not import each other."""

from celery import shared_task

from simulator import crisis_protocol, replies


@shared_task(name="simulator.tasks.generate_reply", acks_late=True, reject_on_worker_lost=True)
def generate_reply(session_id, trainee_seq):
    """Celery entry point (queue `inference`). acks_late: a worker that dies mid-reply leaves the
    task to be redelivered, and generate_reply stores at most one reply per trainee message."""
    message = replies.generate_reply(session_id, trainee_seq)
    return message.seq if message is not None else None


@shared_task(name="simulator.tasks.check_message", acks_late=True)
def check_message(message_id):
    """Crisis check of one stored message (queue `safety`); running it twice does nothing more."""
    message = crisis_protocol.do_check_message(message_id)
    return message.crisis_level if message is not None else None
