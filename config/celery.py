"""The Celery app. Workers: `celery -A config worker -Q inference,safety,training,default`.

In embedded mode (no REDIS_URL) tasks run eagerly in the calling process, so the same code paths
work without a broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pixel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def queue_or_run(task, run, *args, what: str):
    """Queue TASK with ARGS; run RUN(*ARGS) here instead in embedded mode (eager, no worker) or
    when the broker cannot be reached, so the work is never lost to a broker outage. WHAT names
    the work in the log line."""
    import logging

    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return run(*args)
    try:
        return task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure: do the work here
        logging.getLogger(__name__).exception("could not queue %s; running it in-process", what)
        return run(*args)
