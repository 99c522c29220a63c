"""Sign-in: MFA for supervisors and admins, rate limits, idle logout, sign-in audit."""

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from tests.conftest import make_person

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def totp_now(secret):
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_supervisor_without_mfa_is_sent_to_set_it_up(client, cohorts):
    person = make_person("new-supervisor@example.org", "supervisor", mfa=False)
    assert sign_in(client, person.email).status_code == 302
    for name in ["home", "certifications"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url == reverse("mfa_activate_totp")
    # The set-up path stays reachable: allauth first asks for the password again (so a stolen
    # session alone cannot add an authenticator), then shows the set-up page.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "Authenticator" in page.content.decode()


def test_trainee_without_mfa_is_not_forced(client, trainee):
    client.force_login(trainee)
    assert client.get(reverse("home")).status_code == 200


def test_supervisor_sign_in_asks_for_the_code(client, supervisor):
    response = sign_in(client, supervisor.email)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("home")).status_code == 302  # not signed in yet
    response = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_now(supervisor.totp_secret) != "000000" else "111111"})
    assert client.get(reverse("home")).status_code == 302  # a wrong code keeps them out
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(supervisor.totp_secret)})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_sign_in_and_failure_are_audited(client, trainee):
    sign_in(client, trainee.email, "wrong password!")
    failed = AuditEvent.objects.get(event_type=AuditEvent.LOGIN_FAILED)
    assert failed.details == {"email": trainee.email}
    assert failed.ip == "127.0.0.1"
    assert "wrong password" not in str(failed.details)
    sign_in(client, trainee.email)
    assert AuditEvent.objects.filter(event_type=AuditEvent.LOGIN, actor=trainee).count() == 1


def test_login_rate_limit_kicks_in(client, trainee, settings):
    limit = settings.PIXEL_LOGIN_ATTEMPTS_LIMIT
    for _ in range(limit):
        response = sign_in(client, trainee.email, "wrong password!")
        assert response.status_code == 200
    # Now even the right password is refused until the timeout passes.
    response = sign_in(client, trainee.email)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_idle_session_logs_out(client, trainee, settings):
    client.force_login(trainee)
    assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.PIXEL_IDLE_MINUTES - 1)):
        assert client.get(reverse("home")).status_code == 200  # activity renews the session
    with time_machine.travel(timezone.now() + timedelta(minutes=2 * settings.PIXEL_IDLE_MINUTES + 1)):
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_role_change_is_audited(admin_user, trainee):
    from accounts.actions import do_set_role

    do_set_role(admin_user, trainee, "supervisor")
    trainee.refresh_from_db()
    assert trainee.role == "supervisor"
    event = AuditEvent.objects.get(event_type=AuditEvent.ROLE_CHANGED, target_user=trainee)
    assert event.details == {"from": "trainee", "to": "supervisor"}
    assert event.actor_id == admin_user.pk
