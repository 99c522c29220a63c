from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, User

pytestmark = pytest.mark.django_db(transaction=True)  # the e-mail goes out on commit
NEW_PASSWORD = "a sturdy new passphrase"


def invite(client, admin_user, cohorts, email="newcomer@example.org", role="trainee"):
    client.force_login(admin_user)
    response = client.post(reverse("invite"), {"email": email, "role": role, "cohort": cohorts[0].pk})
    assert response.status_code == 302
    client.logout()
    body = mail.outbox[-1].body
    return body[body.index("http"):].split()[0]


def test_invitation_link_works_once(client, admin_user, cohorts):
    link = invite(client, admin_user, cohorts)
    assert mail.outbox[-1].to == ["newcomer@example.org"]
    path = link.replace("http://testserver", "")
    assert client.get(path).status_code == 200
    response = client.post(path, {"full_name": "New Person", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(email="newcomer@example.org")
    assert user.role == "trainee" and user.check_password(NEW_PASSWORD)
    assert cohorts[0].trainees.filter(pk=user.pk).exists()
    assert client.login(email=user.email, password=NEW_PASSWORD)
    client.logout()
    # Second use: refused, and no second account.
    assert client.get(path).status_code == 410
    response = client.post(path, {"password1": "another passphrase 9", "password2": "another passphrase 9"})
    assert response.status_code == 410
    assert User.objects.filter(email="newcomer@example.org").count() == 1
    types = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {AuditEvent.INVITATION_SENT, AuditEvent.INVITATION_ACCEPTED, AuditEvent.USER_CREATED} <= types


def test_invitation_link_expires(client, admin_user, cohorts, settings):
    link = invite(client, admin_user, cohorts)
    path = link.replace("http://testserver", "")
    with time_machine.travel(timezone.now() + timedelta(hours=settings.PIXEL_INVITATION_HOURS, minutes=1)):
        assert client.get(path).status_code == 410
        client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert not User.objects.filter(email="newcomer@example.org").exists()


def test_weak_password_is_refused_and_link_stays_usable(client, admin_user, cohorts):
    path = invite(client, admin_user, cohorts).replace("http://testserver", "")
    response = client.post(path, {"password1": "12345", "password2": "12345"})
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert Invitation.objects.get().accepted_at is None


def test_only_admins_invite(client, supervisor, cohorts):
    client.force_login(supervisor)
    response = client.post(reverse("invite"), {"email": "x@example.org", "role": "admin"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_existing_account_cannot_be_invited(client, admin_user, trainee, cohorts):
    client.force_login(admin_user)
    response = client.post(reverse("invite"), {"email": trainee.email.upper(), "role": "trainee"})
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()
