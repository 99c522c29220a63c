"""Each protected page against each persona."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    for name in ["home", "certifications", "invite"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_trainee_is_refused_staff_pages(client, trainee, cohorts):
    client.force_login(trainee)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("certifications")).status_code == 403
    assert client.get(reverse("invite")).status_code == 403
    assert client.get(reverse("cohort_detail", args=[cohorts[0].pk])).status_code == 403
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_supervisor_sees_own_cohort_not_the_other(client, supervisor, trainee, outsider, cohorts):
    client.force_login(supervisor)
    response = client.get(reverse("cohort_detail", args=[cohorts[0].pk]))
    assert response.status_code == 200
    assert trainee.email in response.content.decode()
    assert client.get(reverse("cohort_detail", args=[cohorts[1].pk])).status_code == 404
    assert client.get(reverse("invite")).status_code == 403


def test_outsider_supervisor_never_sees_other_cohorts_data(client, outsider_supervisor, trainee, supervisor, certify, cohorts):
    certify(trainee)
    client.force_login(outsider_supervisor)
    assert client.get(reverse("cohort_detail", args=[cohorts[0].pk])).status_code == 404
    page = client.get(reverse("certifications")).content.decode()
    assert trainee.email not in page
    home = client.get(reverse("home")).content.decode()
    assert "Cohort A" not in home


def test_supervisor_cannot_revoke_outsiders_certification(client, supervisor, outsider, certify):
    cert = certify(outsider)
    client.force_login(supervisor)
    response = client.post(reverse("revoke_certification", args=[cert.pk]), {"reason": "x"})
    assert response.status_code == 404
    cert.refresh_from_db()
    assert cert.revoked_at is None


def test_admin_sees_everything(client, admin_user, cohorts, trainee, outsider):
    client.force_login(admin_user)
    for cohort in cohorts:
        assert client.get(reverse("cohort_detail", args=[cohort.pk])).status_code == 200
    assert client.get(reverse("invite")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_certification_changelist") + "?status=expiring").status_code == 200


def test_certification_page_issues_through_form(client, supervisor, trainee):
    client.force_login(supervisor)
    response = client.post(reverse("certifications"), {"user": trainee.pk, "kind": "simulation"}, follow=True)
    assert response.status_code == 200
    assert trainee.certifications.get().issued_by == supervisor
    assert "Issued:" in response.content.decode()


def test_signup_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in response.content.decode() or response.status_code in (403, 404)
