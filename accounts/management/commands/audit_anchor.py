from django.core.management.base import BaseCommand

from accounts.tasks import anchor_audit_chain


class Command(BaseCommand):
    help = "Append the audit chain's head (seq, hash, time, keyed tag) to PIXEL_AUDIT_ANCHOR_FILE and the log."

    def handle(self, *args, **options):
        self.stdout.write(anchor_audit_chain())
