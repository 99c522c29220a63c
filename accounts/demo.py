"""The demo people. Their passwords and authenticator secrets are public: demo mode only."""

from django.conf import settings
from django.core.management.base import CommandError

DEMO_PEOPLE = [
    # email, name, role, password, TOTP secret (base32) or None
    ("trainee@demo.pixel", "Dana Trainee", "trainee", "pixel-demo-trainee", None),
    ("supervisor@demo.pixel", "Sam Supervisor", "supervisor", "pixel-demo-supervisor", "PIXELDEMOSUPERVISORSECRET2345672"),
    ("admin@demo.pixel", "Alex Admin", "admin", "pixel-demo-admin", "PIXELDEMOADMINSECRET234567ABCDEF"),
]
DEMO_COHORT = "Demo cohort"


def require_demo_mode():
    if settings.PRODUCTION:
        raise CommandError("Refusing: demo accounts have public passwords and PIXEL_PRODUCTION is true.")


def current_totp(secret):
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))
