"""Who may open the feedback pages, and the CLINICAL_VIEW row each view writes."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.feedback.conftest import build_session

pytestmark = pytest.mark.django_db

SCRIPT = [("client", "I feel so alone since she left."), ("trainee", "You're feeling really alone right now.")]


@pytest.fixture
def session(trainee, fixed_scores):
    fixed_scores["You're feeling really alone right now."] = ("simple_reflection", {"emotional_reactions": 1})
    return build_session(trainee, SCRIPT)


def clinical_views(user, page):
    return AuditEvent.objects.filter(event_type=AuditEvent.CLINICAL_VIEW, actor=user, details__page=page)


@pytest.mark.parametrize("who", ["trainee", "supervisor", "admin_user"])
def test_trainee_their_supervisor_and_admins_see_the_report_and_each_view_is_audited(client, session, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("feedback_report", args=[session.pk]))
    assert response.status_code == 200
    assert b"Simple reflection" in response.content and b"<svg" in response.content
    row = clinical_views(user, "feedback_report").get()
    assert row.object_id == str(session.pk) and row.target_user_id == session.trainee_id


@pytest.mark.parametrize("who", ["outsider", "outsider_supervisor"])
def test_outsider_cannot_see_another_trainees_report(client, session, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("feedback_report", args=[session.pk])).status_code == 404
    assert not AuditEvent.objects.filter(event_type=AuditEvent.CLINICAL_VIEW, actor=user).exists()


def test_anonymous_is_sent_to_sign_in(client, session):
    response = client.get(reverse("feedback_report", args=[session.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_trainee_sees_own_history_with_key_numbers_and_a_chart(client, trainee, session):
    client.force_login(trainee)
    response = client.get(reverse("feedback_history"))
    assert response.status_code == 200
    assert reverse("feedback_report", args=[session.pk]).encode() in response.content
    assert b'id="chart-progress"' in response.content
    row = clinical_views(trainee, "feedback_history").get()
    assert row.target_user_id == trainee.pk


def test_supervisor_sees_their_trainees_history_and_it_is_audited(client, supervisor, trainee, session):
    client.force_login(supervisor)
    assert client.get(reverse("feedback_trainee_history", args=[trainee.pk])).status_code == 200
    assert clinical_views(supervisor, "feedback_history").get().target_user_id == trainee.pk


@pytest.mark.parametrize("who", ["outsider", "outsider_supervisor"])
def test_outsider_cannot_see_another_trainees_history(client, trainee, session, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("feedback_trainee_history", args=[trainee.pk])).status_code == 404
    assert not clinical_views(user, "feedback_history").exists()


# ---------------------------------------------------------------- live tags after a reload

def test_live_tags_are_fetched_again_by_the_trainee_while_the_cohort_shows_them(client, trainee, session, cohorts):
    from feedback.actions import do_score_session

    do_score_session(session)
    client.force_login(trainee)
    url = reverse("feedback_live_tags", args=[session.pk])
    # Off by default: the scores exist, but the cohort has not chosen to show them during sessions.
    assert client.get(url).json() == {"enabled": False, "tags": []}
    cohorts[0].show_live_feedback = True
    cohorts[0].save()
    body = client.get(url).json()
    assert body["enabled"] is True
    assert [(t["seq"], t["codes"], t["empathy"]["emotional_reactions"]) for t in body["tags"]] == [
        (2, ["simple_reflection"], 1)]
    assert clinical_views(trainee, "feedback_live_tags").get().object_id == str(session.pk)


@pytest.mark.parametrize("who", ["supervisor", "admin_user", "outsider"])
def test_live_tags_are_the_trainees_own(client, session, cohorts, who, request):
    cohorts[0].show_live_feedback = True
    cohorts[0].save()
    user = request.getfixturevalue(who)
    client.force_login(user)
    url = reverse("feedback_live_tags", args=[session.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code in (404, 405)  # read-only
    assert not clinical_views(user, "feedback_live_tags").exists()
