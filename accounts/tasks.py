"""Periodic work of the accounts app (run by `celery -A config beat`, settings.CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task
from django.conf import settings

from accounts.models import AuditChainHead, anchor_line

log = logging.getLogger("pixel.audit.anchor")


@shared_task(name="accounts.tasks.anchor_audit_chain")
def anchor_audit_chain():
    """Export the chain head outside the database: one line appended to the anchor file and the
    same line logged, so a log shipper carries a copy off the machine. Returns the line."""
    head, _ = AuditChainHead.objects.get_or_create(pk=1)
    line = anchor_line(head)
    path = settings.PIXEL_AUDIT_ANCHOR_FILE
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    log.info("audit anchor %s", line)
    return line
