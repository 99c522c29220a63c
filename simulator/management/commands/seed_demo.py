"""The demo: people, cohort and certifications (accounts' own action) and the scenario library.

It lives in the simulator app, which builds on accounts: accounts knows nothing of scenarios.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator
from django.db import transaction

from accounts.actions import do_seed_demo_people
from accounts.demo import DEMO_PEOPLE, require_demo_mode
from simulator.library import load_library


class Command(BaseCommand):
    help = "Create the demo trainee, supervisor, admin, cohort and certifications, and load the scenarios. Safe to run twice."

    def add_arguments(self, parser):
        # The command cannot know where the server will listen (it is not running yet), so it says
        # the address it is given; the README's command passes the one it starts runserver on.
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="Where the demo server will be reached, to print in the sign-in line (default: runserver's).",
        )

    def handle(self, *args, **options):
        url = options["url"]
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise CommandError(
                f"--url {url!r} is not an http:// or https:// address, e.g. http://127.0.0.1:8000/"
            ) from None
        require_demo_mode()
        with transaction.atomic():
            do_seed_demo_people()
            loaded = load_library()
        self.stdout.write(f"Scenario library: {len(loaded)} scenarios.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Once the server runs, sign in at {url} (--url if it listens elsewhere) as:"
            )
        )
        for email, _name, role, password, secret in DEMO_PEOPLE:
            extra = f"  (two-factor code: python manage.py demo_totp {email}; secret {secret})" if secret else ""
            self.stdout.write(f"  {role:<10} {email:<24} password {password}{extra}")
