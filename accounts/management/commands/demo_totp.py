from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PEOPLE, current_totp, require_demo_mode


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo person (demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="e.g. supervisor@demo.pixel")

    def handle(self, *args, email, **options):
        require_demo_mode()
        secrets = {p[0]: p[4] for p in DEMO_PEOPLE if p[4]}
        if email not in secrets:
            raise CommandError(f"No demo authenticator for {email}; choose one of {', '.join(secrets)}.")
        self.stdout.write(current_totp(secrets[email]))
