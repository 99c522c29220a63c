"""Retention: old recordings are purged by a task and a command; the audit trail keeps that it happened."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEvent, Certification
from simulator.models import Message, Session, SessionEvent
from supervision import actions, tasks
from supervision.models import Annotation, Review
from tests.supervision.conftest import build_recording, score_all


@pytest.fixture
def old_and_new(trainee, supervisor, settings):
    settings.PIXEL_RETENTION_DAYS = 30
    old = build_recording(trainee, supervisor, started_at=timezone.now() - timedelta(days=40))
    new = build_recording(trainee, supervisor, old.scenario, started_at=timezone.now() - timedelta(days=10))
    return old, new


def purges():
    return list(AuditEvent.objects.filter(event_type=AuditEvent.RECORDINGS_PURGED))


def test_task_purges_old_recordings_and_audits_it(old_and_new, supervisor, rubric):
    old, new = old_and_new
    actions.do_annotate(supervisor, old, 2, "Old note", [])
    actions.do_save_review(supervisor, old, rubric, score_all(rubric, 4))
    actions.do_sign_off_review(supervisor, old, "issue", "simulation")
    result = tasks.purge_old_recordings.apply().get()
    assert result == {"sessions": 1, "messages": 5, "events": 5}
    assert list(Session.objects.all()) == [new]
    assert not Message.objects.filter(session_id=old.pk).exists()
    assert not SessionEvent.objects.filter(session_id=old.pk).exists()
    assert not Annotation.objects.exists() and not Review.objects.filter(session_id=old.pk).exists()
    # The certification the sign-off issued is the trainee's, not the recording's: it stays.
    assert Certification.objects.filter(user=old.trainee, kind="simulation").exists()
    (row,) = purges()
    assert row.actor is None and row.details["session_ids"] == [str(old.pk)]
    assert row.details["sessions"] == 1 and row.details["messages"] == 5 and row.details["events"] == 5
    assert row.details["retention_days"] == 30 and row.details["trainee_ids"] == [old.trainee_id]


def test_running_the_purge_twice_does_no_harm(old_and_new):
    tasks.purge_old_recordings.apply()
    assert tasks.purge_old_recordings.apply().get() == {"sessions": 0, "messages": 0, "events": 0}
    assert len(purges()) == 1


def test_dry_run_deletes_nothing(old_and_new, capsys):
    old, _ = old_and_new
    call_command("purge_recordings", "--dry-run")
    out = capsys.readouterr().out
    assert "Would delete 1 sessions (5 messages, 5 events)" in out and str(old.pk) in out
    assert Session.objects.count() == 2 and not purges()


def test_command_purges_with_a_days_override(old_and_new, capsys):
    call_command("purge_recordings", "--days", "5")
    assert "Deleted 2 sessions" in capsys.readouterr().out
    assert not Session.objects.exists()
    assert sum(r.details["sessions"] for r in purges()) == 2


def test_a_recently_active_session_is_kept(old_and_new):
    old, _ = old_and_new
    Session.objects.filter(pk=old.pk).update(ended_at=timezone.now() - timedelta(days=1))
    assert actions.do_purge_recordings()["sessions"] == 0


def test_only_admins_may_purge_by_hand(old_and_new, supervisor):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_purge_recordings(actor=supervisor)
    assert Session.objects.count() == 2
