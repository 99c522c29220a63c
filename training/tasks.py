"""Celery tasks on the `training` queue (config/settings.py routes training.* there).

Both are idempotent: a dataset rebuild with the same options lands on the same DatasetVersion, and
a training run is claimed with a conditional UPDATE, so a redelivered task either resumes a run
whose worker died (from its last checkpoint) or does nothing. acks_late holds for that reason; set
PIXEL_CELERY_VISIBILITY_TIMEOUT above the longest run on the training queue's broker (docs/training.md).
"""

from celery import shared_task


@shared_task(name="training.tasks.build_dataset", acks_late=True)
def build_dataset(options=None, user_id=None):
    from accounts.models import User
    from training.actions import do_build_dataset
    from training.data.build import BuildOptions

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    row = do_build_dataset(actor, options=BuildOptions(**(options or {})))
    return row.version


@shared_task(name="training.tasks.run_training", acks_late=True, reject_on_worker_lost=True)
def run_training(run_id):
    from training.actions import execute_training_run

    run = execute_training_run(run_id)
    return run.status if run is not None else None
