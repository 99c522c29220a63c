from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from accounts import actions
from accounts.access import certification_required, missing_certification
from accounts.models import AuditEvent, Certification

pytestmark = pytest.mark.django_db


def test_valid_certification_counts(trainee, certify):
    cert = certify(trainee, "simulation")
    assert cert.is_valid()
    assert cert.status() == "valid"
    assert missing_certification(trainee, "simulation") is None


def test_expired_certification_does_not_count(trainee, certify):
    cert = certify(trainee, "simulation", valid_until=timezone.now() + timedelta(days=10))
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        assert not cert.is_valid()
        assert cert.status() == "expired"
        assert "simulation" in missing_certification(trainee, "simulation")


def test_revoked_certification_does_not_count(trainee, certify, admin_user):
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        cert = certify(trainee, "simulation")
    actions.do_revoke_certification(admin_user, cert, "Left the programme")
    cert.refresh_from_db()
    assert not cert.is_valid()
    assert cert.status() == "revoked"
    assert cert.revoke_reason == "Left the programme"
    # It still counted before the revocation: history stays truthful.
    assert cert.is_valid(cert.revoked_at - timedelta(seconds=1))


def test_not_yet_valid_certification_does_not_count(trainee, certify):
    cert = certify(trainee, "crisis", valid_from=timezone.now() + timedelta(days=3))
    assert cert.status() == "not yet valid"
    assert missing_certification(trainee, "crisis") is not None
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert missing_certification(trainee, "crisis") is None


def test_gate_message_names_the_missing_certification(trainee, certify):
    certify(trainee, "simulation")
    message = missing_certification(trainee, "crisis")
    assert "Crisis (high-risk) scenarios" in message
    assert "(crisis)" in message


def test_gate_decorator_refuses_with_403_and_message(trainee, certify):
    @certification_required("crisis")
    def view(request):
        return HttpResponse("inside")

    request = RequestFactory().get("/x")
    request.user = trainee
    response = view(request)
    assert response.status_code == 403
    assert "Crisis (high-risk) scenarios" in response.content.decode()
    certify(trainee, "crisis")
    assert view(request).content == b"inside"


def test_end_before_start_is_refused(trainee, admin_user):
    with pytest.raises(ValidationError):
        actions.do_issue_certification(admin_user, trainee, "simulation", valid_until=timezone.now() - timedelta(days=1))
    assert not Certification.objects.exists()


def test_trainee_cannot_certify_anyone(trainee, outsider):
    with pytest.raises(PermissionDenied):
        actions.do_issue_certification(trainee, outsider, "simulation")


def test_supervisor_certifies_own_trainee_but_not_outsider(supervisor, trainee, outsider):
    actions.do_issue_certification(supervisor, trainee, "simulation")
    with pytest.raises(PermissionDenied):
        actions.do_issue_certification(supervisor, outsider, "simulation")


def test_issue_and_revoke_are_audited(admin_user, trainee):
    cert = actions.do_issue_certification(admin_user, trainee, "simulation")
    actions.do_revoke_certification(admin_user, cert, "Expired placement")
    actions.do_revoke_certification(admin_user, cert, "Again")  # idempotent: no second row
    events = list(AuditEvent.objects.filter(object_id=str(cert.pk)).order_by("seq"))
    assert [e.event_type for e in events] == [AuditEvent.CERT_ISSUED, AuditEvent.CERT_REVOKED]
    assert events[0].actor_id == admin_user.pk and events[0].target_user_id == trainee.pk
    assert events[1].details["reason"] == "Expired placement"


def test_revoke_needs_a_reason(admin_user, trainee, certify):
    cert = certify(trainee)
    with pytest.raises(ValidationError):
        actions.do_revoke_certification(admin_user, cert, "   ")
    cert.refresh_from_db()
    assert cert.revoked_at is None
