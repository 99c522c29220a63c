"""The Celery app. Workers: `celery -A config worker -Q inference,safety,training,default`.

In embedded mode (no REDIS_URL) tasks run eagerly in the calling process, so the same code paths
work without a broker; simulator.dispatch decides where queued work runs.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pixel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each worker's heartbeat for /readyz: a thread started on worker_ready (config/health.py).
import config.health  # noqa: E402, F401
