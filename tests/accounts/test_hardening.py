"""Issue 16's access and audit items: no way into the admin around MFA, no silent deletion in the
admin, and an audit chain that someone who can write the database cannot rewind unseen."""

import json

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse

from accounts.actions import do_audit
from accounts.models import AuditChainHead, AuditEvent, Cohort, User, verify_audit_chain
from tests.accounts.test_audit import _around_the_trigger
from tests.accounts.test_auth import PASSWORD, sign_in, totp_now

pytestmark = pytest.mark.django_db


# --- 1. The admin's login goes through allauth and its second factor ---------------------------


def test_admin_login_with_the_right_password_does_not_sign_staff_in(client, admin_user):
    assert admin_user.is_staff
    response = client.post("/admin/login/?next=/admin/", {"username": admin_user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    # Sent to allauth's login, which asks for the code after the password.
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert client.get("/admin/").status_code == 302
    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 302


def test_admin_is_reached_after_password_and_code(client, admin_user):
    response = sign_in(client, admin_user.email)
    assert response.url == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # password alone: not yet
    client.post(reverse("mfa_authenticate"), {"code": totp_now(admin_user.totp_secret)})
    assert client.get("/admin/").status_code == 200


def test_admin_login_failures_count_toward_the_same_rate_limit(client, admin_user, settings):
    # Wrong passwords at allauth's login (where /admin/login/ sends everyone) use up the limit, and
    # /admin/login/ offers no second door with a counter of its own.
    for _ in range(settings.PIXEL_LOGIN_ATTEMPTS_LIMIT):
        client.post("/admin/login/", {"username": admin_user.email, "password": "wrong password!"})
        sign_in(client, admin_user.email, "wrong password!")
    response = sign_in(client, admin_user.email)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_signed_in_trainee_gets_no_admin_login(client, trainee):
    client.force_login(trainee)
    response = client.get("/admin/login/")
    assert response.status_code in (302, 403)
    assert client.get("/admin/").status_code != 200


# --- 11. Deleting in the admin is refused or audited -------------------------------------------


def _admin_request(user):
    request = RequestFactory().post("/admin/")
    request.user = user
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    return request


def test_every_admin_refuses_deletion_or_audits_it(admin_user):
    from accounts.admin import AuditedDeleteMixin

    request = _admin_request(admin_user)
    admin_user.is_superuser = True  # the strongest admin: model permissions never say no
    silent = []
    for model, model_admin in admin.site._registry.items():
        if model_admin.has_delete_permission(request) and not isinstance(model_admin, AuditedDeleteMixin):
            silent.append(model._meta.label)
    assert not silent, f"admins that delete without an audit row: {silent}"


@pytest.mark.parametrize("name", ["accounts_user", "simulator_session", "accounts_certification"])
def test_people_sessions_and_certifications_cannot_be_deleted_in_the_admin(client, admin_user, name, trainee, scenario):
    from simulator.models import Session

    client.force_login(admin_user)
    session = Session.objects.create(trainee=trainee, scenario_version=scenario.snapshot())
    from accounts.actions import do_issue_certification

    cert = do_issue_certification(admin_user, trainee, "simulation")
    obj = {"accounts_user": trainee, "simulator_session": session, "accounts_certification": cert}[name]
    url = reverse(f"admin:{name}_delete", args=[obj.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_deleting_a_cohort_in_the_admin_writes_a_chained_audit_row(client, admin_user, cohorts):
    cohort = Cohort.objects.create(name="Spring 2027")
    client.force_login(admin_user)
    response = client.post(reverse("admin:accounts_cohort_delete", args=[cohort.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Cohort.objects.filter(pk=cohort.pk).exists()
    row = AuditEvent.objects.get(event_type=AuditEvent.ADMIN_DELETED)
    assert row.actor == admin_user and row.object_id == str(cohort.pk)
    assert row.details == {"model": "accounts.cohort", "id": str(cohort.pk), "name": "Spring 2027"}
    assert verify_audit_chain()[2] == ""


def test_resetting_a_lost_authenticator_in_the_admin_is_audited_against_its_owner(client, admin_user, supervisor):
    from allauth.mfa.models import Authenticator

    # Only a superuser holds allauth's model permissions (Pixel's admin role covers Pixel's apps).
    User.objects.filter(pk=admin_user.pk).update(is_superuser=True)
    authenticator = Authenticator.objects.get(user=supervisor)
    client.force_login(admin_user)
    client.post(reverse("admin:mfa_authenticator_delete", args=[authenticator.pk]), {"post": "yes"})
    assert not Authenticator.objects.filter(pk=authenticator.pk).exists()
    row = AuditEvent.objects.get(event_type=AuditEvent.ADMIN_DELETED)
    assert row.target_user == supervisor and row.details["model"] == "mfa.authenticator"


def test_bulk_delete_action_audits_each_cohort(client, admin_user, cohorts):
    extra = [Cohort.objects.create(name=f"Extra {i}") for i in range(2)]
    client.force_login(admin_user)
    client.post(
        reverse("admin:accounts_cohort_changelist"),
        {"action": "delete_selected", "_selected_action": [c.pk for c in extra], "post": "yes"},
    )
    rows = AuditEvent.objects.filter(event_type=AuditEvent.ADMIN_DELETED)
    assert sorted(r.object_id for r in rows) == sorted(str(c.pk) for c in extra)
    assert not Cohort.objects.filter(pk__in=[c.pk for c in extra]).exists()


# --- 12. The chain is anchored outside the database --------------------------------------------

KEY = "k" * 40


def write_rows(admin_user, trainee, n):
    return [do_audit(AuditEvent.CLINICAL_VIEW, admin_user, trainee, details={"i": i}) for i in range(n)]


def _rewrite_from(event, sha_only=True):
    """Edit EVENT's details and recompute the plain SHA-256 chain from it to the head, as someone
    with database superuser rights and the source code (but not the key) could."""
    _around_the_trigger("UPDATE accounts_auditevent SET details = %s WHERE id = %s", ['{"i": 99}', event.pk])
    prev = event.prev_hash
    for row in AuditEvent.objects.filter(seq__gte=event.seq).order_by("seq"):
        row.prev_hash = prev
        row.hash = row.compute_hash()
        _around_the_trigger(
            "UPDATE accounts_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", [row.prev_hash, row.hash, row.pk]
        )
        prev = row.hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev)


def _cut_tail_to(seq, head_mac=None):
    """Delete every row after SEQ and rewind the head to match."""
    _around_the_trigger("DELETE FROM accounts_auditevent WHERE seq > %s", [seq])
    last = AuditEvent.objects.get(seq=seq)
    update = {"count": seq, "last_hash": last.hash}
    if head_mac is not None:
        update["mac"] = head_mac
    AuditChainHead.objects.filter(pk=1).update(**update)


def test_without_a_key_a_recomputed_chain_passes_which_is_why_the_key_exists(admin_user, trainee, settings):
    # Shown first: the plain chain alone cannot catch a rewrite by someone who can write the
    # database; the keyed hash below does.
    settings.PIXEL_AUDIT_KEY = ""
    events = write_rows(admin_user, trainee, 4)
    _rewrite_from(events[1])
    assert verify_audit_chain()[2] == ""


def test_with_a_key_a_recomputed_chain_fails(admin_user, trainee, settings):
    settings.PIXEL_AUDIT_KEY = KEY
    events = write_rows(admin_user, trainee, 4)
    assert all(e.mac for e in events)
    _rewrite_from(events[1])
    checked, bad, reason = verify_audit_chain()
    assert bad.seq == events[1].seq and "keyed hash" in reason


def test_with_a_key_stripping_the_tags_fails(admin_user, trainee, settings):
    settings.PIXEL_AUDIT_KEY = KEY
    events = write_rows(admin_user, trainee, 4)
    _around_the_trigger("UPDATE accounts_auditevent SET mac = '' WHERE seq >= %s", [events[2].seq])
    assert "tags stripped" in verify_audit_chain()[2]


def test_with_a_key_cutting_the_tail_and_rewinding_the_head_fails(admin_user, trainee, settings):
    settings.PIXEL_AUDIT_KEY = KEY
    events = write_rows(admin_user, trainee, 5)
    _cut_tail_to(events[2].seq)
    checked, bad, reason = verify_audit_chain()
    assert "head" in reason and "keyed hash" in reason


def test_an_anchor_catches_a_cut_even_with_an_old_head_replayed(admin_user, trainee, settings, tmp_path, capsys):
    # Someone who kept a copy of the head from an earlier moment (a backup) can put it back after
    # cutting the tail, and the keyed head then matches. The anchor exported in between does not.
    settings.PIXEL_AUDIT_KEY = KEY
    settings.PIXEL_AUDIT_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    events = write_rows(admin_user, trainee, 3)
    old_head = AuditChainHead.objects.get(pk=1)
    write_rows(admin_user, trainee, 3)
    call_command("audit_anchor")
    anchor = json.loads(settings.PIXEL_AUDIT_ANCHOR_FILE.read_text().splitlines()[-1])
    assert anchor["seq"] == AuditEvent.objects.count() and anchor["mac"]
    call_command("audit_verify")
    assert "1 anchors held" in capsys.readouterr().out

    _cut_tail_to(events[-1].seq, head_mac=old_head.mac)
    assert verify_audit_chain()[2] == ""  # without the anchor the replayed head looks fine
    with pytest.raises(CommandError, match="tail cut off"):
        call_command("audit_verify")


def test_a_forged_anchor_line_is_refused(admin_user, trainee, settings, tmp_path):
    settings.PIXEL_AUDIT_KEY = KEY
    path = tmp_path / "anchors.jsonl"
    settings.PIXEL_AUDIT_ANCHOR_FILE = path
    write_rows(admin_user, trainee, 2)
    call_command("audit_anchor")
    record = json.loads(path.read_text())
    record["seq"] = 1
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(CommandError, match="forged or edited"):
        call_command("audit_verify")


def test_rows_written_before_the_key_still_verify_after_it_is_set(admin_user, trainee, settings):
    settings.PIXEL_AUDIT_KEY = ""
    write_rows(admin_user, trainee, 2)
    settings.PIXEL_AUDIT_KEY = KEY
    write_rows(admin_user, trainee, 2)
    assert [bool(e.mac) for e in AuditEvent.objects.order_by("seq")][-4:] == [False, False, True, True]
    assert verify_audit_chain()[2] == ""


# --- 4. Behind a proxy, the client address is the trusted one ----------------------------------


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_forged_forwarded_for_changes_neither_the_audit_row_nor_the_rate_limit(client, trainee, settings, proxies):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    # What the trusted proxies append (nearest last); REMOTE_ADDR is the nearest proxy itself.
    appended = ["203.0.113.7", "10.0.0.2"][:proxies]
    real = appended[0] if proxies else "127.0.0.1"
    limit = 20  # ACCOUNT_RATE_LIMITS: 20 failures a minute from one address, whatever the account
    for i in range(limit):
        forged = f"198.51.100.{i + 1}"
        response = client.post(
            reverse("account_login"),
            {"login": f"nobody{i}@example.org", "password": "wrong password!"},
            HTTP_X_FORWARDED_FOR=", ".join([forged, *appended]),
        )
        assert response.status_code == 200
    ips = set(AuditEvent.objects.filter(event_type=AuditEvent.LOGIN_FAILED).values_list("ip", flat=True))
    assert ips == {real}
    # The right password of a real account, from the same place under yet another forged address:
    # refused, because the limit counts the real address.
    response = client.post(
        reverse("account_login"),
        {"login": trainee.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=", ".join(["192.0.2.99", *appended]),
    )
    assert response.status_code == 429 or "Too many" in response.content.decode()
    assert "_auth_user_id" not in client.session
