"""The audit trail is append-only in the database and tamper-evident by its hash chain."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.actions import do_audit
from accounts.models import AuditEvent, User, verify_audit_chain

pytestmark = pytest.mark.django_db


def write_some(admin_user, trainee, n=3):
    return [do_audit(AuditEvent.CLINICAL_VIEW, admin_user, trainee, details={"i": i}) for i in range(n)]


def test_chain_links_each_row_to_the_last(admin_user, trainee):
    events = write_some(admin_user, trainee)
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    checked, bad, reason = verify_audit_chain()
    assert reason == "" and bad is None and checked == AuditEvent.objects.count()


def test_raw_sql_update_is_refused(admin_user, trainee):
    event = write_some(admin_user, trainee, 1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditevent SET details = '{}' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_refuses_to_change_a_row(admin_user, trainee):
    event = write_some(admin_user, trainee, 1)[0]
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def _around_the_trigger(sql, params):
    # A superuser can switch triggers off for the session: exactly the "written around the
    # trigger" forgery that audit_verify exists to catch.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_audit_verify_finds_an_edited_row(admin_user, trainee, capsys):
    events = write_some(admin_user, trainee, 4)
    call_command("audit_verify")
    assert "Audit chain OK" in capsys.readouterr().out
    forged = events[2]
    _around_the_trigger("UPDATE accounts_auditevent SET details = %s WHERE id = %s", ['{"i": 99}', forged.pk])
    with pytest.raises(CommandError, match=f"seq={forged.seq} "):
        call_command("audit_verify")


def test_audit_verify_finds_a_deleted_row(admin_user, trainee):
    events = write_some(admin_user, trainee, 4)
    _around_the_trigger("DELETE FROM accounts_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=f"seq={events[2].seq} .*rows missing"):
        call_command("audit_verify")


def test_audit_verify_finds_an_inserted_row(admin_user, trainee):
    events = write_some(admin_user, trainee, 2)
    last = events[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_auditevent (seq, created_at, event_type, actor_label, target_label, object_type,"
            " object_id, details, prev_hash, hash, mac) VALUES (%s, now(), 'login', 'mallory', '', '', '', '{}', %s, %s, '')",
            [last.seq + 1, last.hash, "f" * 64],
        )
    with pytest.raises(CommandError, match=f"seq={last.seq + 1} "):
        call_command("audit_verify")


def test_audit_rows_survive_user_deletion(admin_user, trainee):
    event = write_some(admin_user, trainee, 1)[0]
    label = trainee.label
    User.objects.filter(pk=trainee.pk).delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.target_label == label
    assert verify_audit_chain()[2] == ""


def test_unknown_event_type_is_refused(admin_user):
    with pytest.raises(ValueError):
        do_audit("made_up", admin_user)


def test_admin_csv_export_is_audited(client, admin_user, trainee):
    events = write_some(admin_user, trainee, 2)
    client.force_login(admin_user)
    response = client.post(
        "/admin/accounts/auditevent/",
        {"action": "export_csv", "_selected_action": [e.pk for e in events]},
    )
    assert response.status_code == 200
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("seq,created_at,event_type")
    assert len(lines) == 3
    assert AuditEvent.objects.filter(event_type=AuditEvent.AUDIT_EXPORTED, actor=admin_user).exists()
