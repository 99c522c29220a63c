from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import read_anchors, verify_audit_chain


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain (and its keyed hashes and exported anchors, where set up); "
        "name the first broken row and exit 1 if any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchors",
            default=str(settings.PIXEL_AUDIT_ANCHOR_FILE or ""),
            help="anchor file written by audit_anchor (default PIXEL_AUDIT_ANCHOR_FILE); '' for none",
        )

    def handle(self, *args, anchors, **options):
        try:
            pairs = read_anchors(anchors) if anchors else []
        except ValueError as e:
            raise CommandError(f"Audit anchors BROKEN: {e}") from e
        checked, bad, reason = verify_audit_chain(pairs)
        if reason:
            where = (
                f"row seq={bad.seq} (id {bad.pk}, {bad.event_type}, {bad.created_at.isoformat()})"
                if bad
                else "chain head"
            )
            raise CommandError(f"Audit chain BROKEN at {where}: {reason}. {checked} rows before it verified.")
        keyed = "keyed hashes checked" if settings.PIXEL_AUDIT_KEY else "no PIXEL_AUDIT_KEY: keyed hashes not checked"
        self.stdout.write(f"Audit chain OK: {checked} rows verified; {len(pairs)} anchors held; {keyed}.")
