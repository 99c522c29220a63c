from django.core.management.base import BaseCommand, CommandError

from supervision.actions import do_purge_recordings, retention_days


class Command(BaseCommand):
    help = "Delete session recordings older than PIXEL_RETENTION_DAYS (audited as recordings_purged)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only say what would be deleted.")
        parser.add_argument("--days", type=int, default=None, help="Override PIXEL_RETENTION_DAYS for this run.")

    def handle(self, *args, dry_run=False, days=None, **options):
        days = retention_days() if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")

        def progress(result):
            self.stdout.write(f"  … {result['sessions']} sessions deleted so far")

        result = do_purge_recordings(days=days, dry_run=dry_run, progress=None if dry_run else progress)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {result['sessions']} sessions ({result['messages']} messages, {result['events']} events) "
            f"with no activity since {result['cutoff']} (retention {days} days)."
        )
        if dry_run:
            for session_id in result["session_ids"]:
                self.stdout.write(f"  {session_id}")
