"""Who may open which review page: each role against each page, and a CLINICAL_VIEW row for each view."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from supervision.actions import do_annotate, do_release_review

SESSION_PAGES = ["review_replay", "review_export_pdf", "review_export_json"]
SESSION_POSTS = ["review_annotate", "review_save", "review_release", "review_sign_off"]


def clinical_views(user):
    return AuditEvent.objects.filter(event_type=AuditEvent.CLINICAL_VIEW, actor=user)


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_supervisor_opens_own_cohorts_recording_and_it_is_audited(client, supervisor, recorded, name):
    client.force_login(supervisor)
    response = client.get(reverse(name, args=[recorded.pk]))
    assert response.status_code == 200
    row = clinical_views(supervisor).get()
    assert row.object_id == str(recorded.pk) and row.target_user_id == recorded.trainee_id
    assert row.details["page"] in ("replay", "export")


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_admin_opens_any_recording(client, admin_user, recorded, name):
    client.force_login(admin_user)
    assert client.get(reverse(name, args=[recorded.pk])).status_code == 200
    assert clinical_views(admin_user).count() == 1


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_outsider_supervisor_gets_404_on_another_cohorts_recording(client, outsider_supervisor, recorded, name):
    client.force_login(outsider_supervisor)
    assert client.get(reverse(name, args=[recorded.pk])).status_code == 404
    assert not clinical_views(outsider_supervisor).exists()


@pytest.mark.parametrize("name", SESSION_POSTS)
def test_outsider_supervisor_cannot_review_another_cohorts_session(client, outsider_supervisor, recorded, name):
    client.force_login(outsider_supervisor)
    data = {"seq": 2, "comment": "x", "rubric": 1, "recommendation": "none"}
    assert client.post(reverse(name, args=[recorded.pk]), data).status_code == 404
    assert not AuditEvent.objects.filter(event_type=AuditEvent.REVIEW_CHANGED).exists()


@pytest.mark.parametrize("name", SESSION_POSTS)
def test_trainee_cannot_annotate_or_review_their_own_session(client, trainee, recorded, name):
    client.force_login(trainee)
    data = {"seq": 2, "comment": "I did great", "rubric": 1, "recommendation": "issue", "certification_kind": "crisis"}
    assert client.post(reverse(name, args=[recorded.pk]), data).status_code == 403
    assert not recorded.annotations.exists()
    assert not AuditEvent.objects.filter(event_type=AuditEvent.REVIEW_CHANGED).exists()


@pytest.mark.parametrize("name", ["review_export_pdf", "review_export_json"])
def test_trainee_cannot_export(client, trainee, recorded, name):
    client.force_login(trainee)
    assert client.get(reverse(name, args=[recorded.pk])).status_code == 403


def test_trainee_replays_own_session_without_flags(client, trainee, recorded):
    client.force_login(trainee)
    response = client.get(reverse("review_replay", args=[recorded.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Are you having thoughts of ending your life?" in body
    assert "Crisis flag" not in body and "suicidal ideation" not in body
    assert "Annotate message" not in body
    assert clinical_views(trainee).get().details == {"page": "replay"}


def test_outsider_trainee_gets_404_on_someone_elses_replay(client, outsider, recorded):
    client.force_login(outsider)
    assert client.get(reverse("review_replay", args=[recorded.pk])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, recorded):
    response = client.get(reverse("review_replay", args=[recorded.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_recordings_list_shows_only_own_cohorts(client, supervisor, recorded, other_recorded):
    client.force_login(supervisor)
    response = client.get(reverse("review_recordings"))
    assert response.status_code == 200
    ids = {s.pk for s in response.context["page"]}
    assert ids == {recorded.pk}


def test_recordings_list_filters(client, admin_user, recorded, other_recorded):
    from simulator.models import Message

    Message.objects.filter(session=other_recorded).update(crisis_level="", crisis=None)
    other_recorded.events.filter(kind="crisis_flag").delete()
    client.force_login(admin_user)
    everything = client.get(reverse("review_recordings")).context["page"]
    assert {s.pk for s in everything} == {recorded.pk, other_recorded.pk}
    flagged = client.get(reverse("review_recordings"), {"flagged": "on"}).context["page"]
    assert [s.pk for s in flagged] == [recorded.pk]
    assert [s.flagged for s in flagged] == [1]
    by_trainee = client.get(reverse("review_recordings"), {"trainee": other_recorded.trainee_id}).context["page"]
    assert [s.pk for s in by_trainee] == [other_recorded.pk]
    by_scenario = client.get(reverse("review_recordings"), {"scenario": recorded.scenario.pk}).context["page"]
    assert [s.pk for s in by_scenario] == [recorded.pk]


def test_trainee_may_not_open_the_recordings_list(client, trainee):
    client.force_login(trainee)
    assert client.get(reverse("review_recordings")).status_code == 403


def test_trainee_lists_own_sessions_and_released_reviews(client, trainee, supervisor, recorded, other_recorded):
    client.force_login(trainee)
    response = client.get(reverse("my_reviews"))
    assert [s.pk for s in response.context["sessions"]] == [recorded.pk]
    assert "not released yet" in response.content.decode()
    do_release_review(supervisor, recorded)
    assert "Review ready" in client.get(reverse("my_reviews")).content.decode()


def test_cohort_csv_only_for_its_supervisors_and_admins(
    client, supervisor, outsider_supervisor, trainee, cohorts, recorded
):
    url = reverse("review_cohort_csv", args=[cohorts[0].pk])
    client.force_login(outsider_supervisor)
    assert client.get(url).status_code == 404
    client.force_login(trainee)
    assert client.get(url).status_code == 403
    client.force_login(supervisor)
    assert client.get(url).status_code == 200
    row = clinical_views(supervisor).get()
    assert row.object_type == "accounts.cohort" and row.details["format"] == "csv"


def test_outsider_supervisor_cannot_delete_an_annotation(client, supervisor, outsider_supervisor, recorded):
    annotation = do_annotate(supervisor, recorded, 2, "Nice open question.", [])
    client.force_login(outsider_supervisor)
    assert client.post(reverse("review_annotation_delete", args=[annotation.pk])).status_code == 404
    assert recorded.annotations.count() == 1
