"""The demo: people, cohort and certifications (accounts' own action) and the scenario library.

It lives in the simulator app, which builds on accounts: accounts knows nothing of scenarios.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.actions import do_seed_demo_people
from accounts.demo import DEMO_PEOPLE, require_demo_mode
from simulator.library import load_library


class Command(BaseCommand):
    help = "Create the demo trainee, supervisor, admin, cohort and certifications, and load the scenarios. Safe to run twice."

    def handle(self, *args, **options):
        require_demo_mode()
        with transaction.atomic():
            do_seed_demo_people()
            loaded = load_library()
        self.stdout.write(f"Scenario library: {len(loaded)} scenarios.")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/ as:"))
        for email, _name, role, password, secret in DEMO_PEOPLE:
            extra = f"  (two-factor code: python manage.py demo_totp {email}; secret {secret})" if secret else ""
            self.stdout.write(f"  {role:<10} {email:<24} password {password}{extra}")
