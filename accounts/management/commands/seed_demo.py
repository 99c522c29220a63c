from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import actions
from accounts.demo import DEMO_COHORT, DEMO_PEOPLE, require_demo_mode
from accounts.models import AuditEvent, Certification, Cohort, User
from simulator.library import load_library


class Command(BaseCommand):
    help = "Create the demo trainee, supervisor, admin, cohort and certifications. Safe to run twice."

    def handle(self, *args, **options):
        require_demo_mode()
        with transaction.atomic():
            self.seed()

    def seed(self):
        people = {}
        for email, name, role, password, secret in DEMO_PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, password, full_name=name)
                actions.do_audit(AuditEvent.USER_CREATED, None, user, user, {"role": role, "via": "seed_demo"})
            if user.role != role:
                user.set_role(role)
                actions.do_audit(AuditEvent.ROLE_CHANGED, None, user, user, {"to": role, "via": "seed_demo"})
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            if secret and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, secret)
            people[role] = user

        cohort, _ = Cohort.objects.get_or_create(name=DEMO_COHORT)
        if not cohort.trainees.filter(pk=people["trainee"].pk).exists() or not cohort.supervisors.exists():
            actions.do_set_cohort_members(people["admin"], cohort, [people["supervisor"]], [people["trainee"]])
        for kind, _label in Certification.KIND_CHOICES:
            if people["trainee"].valid_certification(kind) is None:
                actions.do_issue_certification(people["admin"], people["trainee"], kind, note="Demo certification")

        loaded = load_library()
        self.stdout.write(f"Scenario library: {len(loaded)} scenarios.")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/ as:"))
        for email, _name, role, password, secret in DEMO_PEOPLE:
            extra = f"  (two-factor code: python manage.py demo_totp {email}; secret {secret})" if secret else ""
            self.stdout.write(f"  {role:<10} {email:<24} password {password}{extra}")
