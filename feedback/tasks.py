from celery import shared_task


@shared_task(name="feedback.tasks.score_message")
def score_message(message_id):
    """Skill scores of one trainee message (queue `default`); running it twice stores one row."""
    from feedback.actions import do_score_message

    row = do_score_message(message_id)
    return row.code if row is not None else None
