from django.core.management.base import BaseCommand, CommandError

from accounts.models import verify_audit_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain; name the first broken row and exit 1 if any."

    def handle(self, *args, **options):
        checked, bad, reason = verify_audit_chain()
        if reason:
            where = f"row seq={bad.seq} (id {bad.pk}, {bad.event_type}, {bad.created_at.isoformat()})" if bad else "chain head"
            raise CommandError(f"Audit chain BROKEN at {where}: {reason}. {checked} rows before it verified.")
        self.stdout.write(f"Audit chain OK: {checked} rows verified.")
