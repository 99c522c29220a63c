"""Learning objectives on the pages: the trainee's report opens with them, the replay shows the
same to supervisors, and a supervisor of the trainee's cohort may override a verdict with a note
(audited, append-only, hidden from the trainee until the review is released). Outsider
supervisors and trainees are refused, and bad input stores nothing."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from supervision.actions import do_override_objective
from supervision.models import ObjectiveOverride, Review
from tests.conftest import make_scenario
from tests.feedback.conftest import build_session

pytestmark = pytest.mark.django_db

OBJECTIVES = [
    {"id": "reflect", "text": "Reflect the client's feelings", "shown_by": {"kind": "behaviour", "codes": ["complex_reflection"], "min": 2}},
    {"id": "ask-suicide", "text": "Ask about suicidal thoughts in a calm, matter-of-fact way",
     "shown_by": {"kind": "checklist", "items": ["asked_directly"]}},
    {"id": "symptoms", "text": "Ask about sleep and appetite", "shown_by": {"kind": "topic", "topics": ["sleep", "appetite"], "min": 2}},
]  # fmt: skip
REFLECTION = "It sounds as if the days have lost all their shape."
QUESTION = "Have you had any thoughts of suicide?"
SCRIPT = [
    ("client", "I lost my job and now I just sit at home."),
    ("trainee", REFLECTION),
    ("client", "Sometimes I wonder what the point of me is."),
    ("trainee", QUESTION),
]


@pytest.fixture
def session(trainee, fixed_scores):
    fixed_scores[REFLECTION] = ("complex_reflection", {"emotional_reactions": 1})
    fixed_scores[QUESTION] = ("closed_question", {})
    scenario = make_scenario(slug="objectives")
    scenario.learning_objectives = OBJECTIVES
    scenario.save()
    return build_session(trainee, SCRIPT, scenario)


def report_page(client, user, session):
    client.force_login(user)
    response = client.get(reverse("feedback_report", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def override(client, user, session, **data):
    client.force_login(user)
    body = {"objective": "reflect", "verdict": "met", "note": "Message 2 names the loss well enough.", **data}
    return client.post(reverse("review_objective_override", args=[session.pk]), body, follow=True)


def overridden(session):
    return AuditEvent.objects.filter(event_type=AuditEvent.OBJECTIVE_OVERRIDDEN, object_id=str(session.pk))


def test_the_trainees_report_opens_with_the_objectives_their_verdicts_and_evidence_links(client, trainee, session):
    page = report_page(client, trainee, session)
    assert page.index('id="h-objectives"') < page.index('id="h-key"') < page.index('id="h-transcript"')
    section = page[page.index('id="objectives"') : page.index('id="h-key"')]
    assert "Reflect the client&#x27;s feelings" in section
    assert "Partly met" in section and "1 message coded complex reflection, goal 2" in section
    assert (
        "\u2713" in section
        and "Met" in section
        and "Asked directly about suicidal thoughts: found in message 4" in section
    )
    assert "Not met" in section and "0 of the topics asked about, goal 2" in section
    assert '<a href="#m-2">Message 2</a>' in section and '<a href="#m-4">Message 4</a>' in section
    assert 'id="m-2"' in page and 'id="m-4"' in page
    assert "Override this verdict" not in page


def test_a_session_of_an_older_card_with_plain_text_objectives_says_they_are_not_graded(client, trainee, fixed_scores):
    fixed_scores[REFLECTION] = ("complex_reflection", {})
    fixed_scores[QUESTION] = ("closed_question", {})
    older = build_session(trainee, SCRIPT)  # make_scenario's objectives are plain strings
    page = report_page(client, trainee, older)
    section = page[page.index('id="objectives"') : page.index('id="h-key"')]
    assert "Open questions" in section and "Not graded automatically" in section


def test_the_cohorts_supervisor_overrides_a_verdict_with_a_note_and_it_is_audited(client, supervisor, session):
    response = override(client, supervisor, session)
    assert response.status_code == 200
    row = ObjectiveOverride.objects.get()
    assert (row.session_id, row.objective_id, row.verdict, row.by) == (session.pk, "reflect", "met", supervisor)
    audit = overridden(session).get()
    assert audit.actor_id == supervisor.pk and audit.target_user_id == session.trainee_id
    assert audit.details == {"objective": "reflect", "verdict": "met", "override": row.pk}
    page = response.content.decode()
    assert (
        'data-override="met"' in page and "Supervisor: Met" in page and "Message 2 names the loss well enough." in page
    )
    assert "Automatic: Partly met" in page


def test_the_latest_override_wins_and_the_earlier_ones_stay_as_history(client, supervisor, session):
    override(client, supervisor, session, verdict="met", note="First look.")
    response = override(client, supervisor, session, verdict="not_met", note="On a second read, no.")
    assert ObjectiveOverride.objects.count() == 2 and overridden(session).count() == 2
    page = response.content.decode()
    assert 'data-override="not_met"' in page and "On a second read, no." in page
    assert "Earlier verdicts (1)" in page and "First look." in page


def test_the_trainee_sees_the_override_only_once_the_review_is_released(client, trainee, supervisor, session):
    override(client, supervisor, session)
    assert "Message 2 names the loss" not in report_page(client, trainee, session)
    Review.objects.filter(session=session).update(released_at=timezone.now(), released_by=supervisor)
    page = report_page(client, trainee, session)
    assert "Supervisor: Met" in page and "Message 2 names the loss well enough." in page


@pytest.mark.parametrize("who, status", [("outsider_supervisor", 404), ("trainee", 403), ("outsider", 403)])
def test_outsider_supervisors_and_trainees_cannot_override(client, session, who, status, request):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("review_objective_override", args=[session.pk]), {"objective": "reflect", "verdict": "met", "note": "x"}
    )
    assert response.status_code == status
    assert not ObjectiveOverride.objects.exists() and not overridden(session).exists()


def test_the_action_refuses_anyone_who_may_not_review_the_session(session, trainee, outsider_supervisor):
    for person in (trainee, outsider_supervisor, None):
        with pytest.raises(PermissionDenied):
            do_override_objective(person, session, "reflect", "met", "Looks fine.")
    assert not ObjectiveOverride.objects.exists()


@pytest.mark.parametrize(
    "data, error",
    [
        ({"objective": "charm"}, "This scenario has no such learning objective."),
        ({"verdict": "excellent"}, "Choose met, partly met or not met."),
        ({"note": "   "}, "Write a note saying why you changed the verdict."),
        ({"note": "x" * 4001}, "Keep the note under 4000 characters."),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_stored(client, supervisor, session, data, error):
    response = override(client, supervisor, session, **data)
    assert error in response.content.decode()
    assert not ObjectiveOverride.objects.exists() and not overridden(session).exists()


def test_no_override_once_the_review_is_signed_off(client, supervisor, session):
    Review.objects.create(session=session, signed_off_at=timezone.now(), signed_off_by=supervisor)
    with pytest.raises(ValidationError):
        do_override_objective(supervisor, session, "reflect", "met", "Too late.")
    response = override(client, supervisor, session)
    assert "This review is signed off and can no longer change." in response.content.decode()
    assert "Override this verdict" not in response.content.decode()
    assert not ObjectiveOverride.objects.exists()


def test_the_replay_shows_reviewers_the_objectives_and_the_override_form(client, supervisor, session):
    client.force_login(supervisor)
    page = client.get(reverse("review_replay", args=[session.pk])).content.decode()
    assert 'id="h-objectives"' in page and "Override this verdict" in page
    assert "1 message coded complex reflection, goal 2" in page and '<a href="#m-2">Message 2</a>' in page


def test_the_json_export_carries_the_objectives_with_the_override(client, supervisor, session):
    override(client, supervisor, session)
    response = client.get(reverse("review_export_json", args=[session.pk]))
    data = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    graded = {o["id"]: o for o in data["objectives"]}
    assert graded["reflect"]["verdict"] == "partly" and graded["reflect"]["override"]["verdict"] == "met"
    assert graded["ask-suicide"]["evidence"] == [{"seq": 4, "quote": QUESTION}]


def test_the_scenario_page_lists_each_objectives_text_whatever_its_shape(client, trainee):
    from simulator.library import load_library

    load_library()  # the real library: every objective an object
    older = make_scenario(slug="older-card")  # plain strings, as before
    client.force_login(trainee)
    page = client.get(reverse("scenario_detail", args=["job-loss-depression"])).content.decode()
    assert "<li>Ask about suicidal thoughts in a calm, matter-of-fact way</li>" in page and "shown_by" not in page
    assert "<li>Open questions</li>" in client.get(reverse("scenario_detail", args=[older.slug])).content.decode()


def test_the_admin_lists_overrides_and_refuses_to_add_change_or_delete_them(client, admin_user, supervisor, session):
    from accounts.roles import sync_role_groups

    sync_role_groups()  # as a second migrate would: supervision's permissions for the admin role
    override(client, supervisor, session)
    row = ObjectiveOverride.objects.get()
    client.force_login(admin_user)
    listing = client.get(reverse("admin:supervision_objectiveoverride_changelist"))
    assert listing.status_code == 200 and "reflect" in listing.content.decode()
    assert client.get(reverse("admin:supervision_objectiveoverride_change", args=[row.pk])).status_code == 200
    assert client.get(reverse("admin:supervision_objectiveoverride_add")).status_code == 403
    edit = {"objective_id": "reflect", "verdict": "not_met", "note": "edited"}
    assert client.post(reverse("admin:supervision_objectiveoverride_change", args=[row.pk]), edit).status_code == 403
    delete = client.post(reverse("admin:supervision_objectiveoverride_delete", args=[row.pk]), {"post": "yes"})
    assert delete.status_code == 403
    row.refresh_from_db()
    assert (row.verdict, row.note) == ("met", "Message 2 names the loss well enough.")


def test_the_pdf_export_prints_each_objective_its_verdict_and_the_supervisors_override(client, supervisor, session):
    import io

    from pypdf import PdfReader

    from supervision.exports import when

    override(client, supervisor, session, verdict="not_met", note="First look: too early to say.")
    override(client, supervisor, session)  # the latest wins; the first stays as history
    first, latest = ObjectiveOverride.objects.order_by("created_at", "pk")
    response = client.get(reverse("review_export_pdf", args=[session.pk]))
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)
    section = text[text.index("Learning objectives") : text.index("Transcript")]
    assert "Reflect the client's feelings" in section
    assert "\u25d0 Automatic: Partly met · 1 message coded complex reflection, goal 2 Shown in messages #2" in section
    assert f"\u2713 Supervisor: Met · Supervisor, {when(latest.created_at)}" in section
    assert "Note: Message 2 names the loss well enough." in section
    assert f"Earlier: Not met · Supervisor, {when(first.created_at)}: First look: too early to say." in section
    # Objectives nobody overrode print their automatic verdict alone.
    assert "Ask about suicidal thoughts in a calm, matter-of-fact way" in section
    assert (
        "\u2713 Automatic: Met · Asked directly about suicidal thoughts: found in message 4 Shown in messages #4"
        in section
    )
    assert "\u2717 Automatic: Not met · 0 of the topics asked about, goal 2" in section
    assert section.count("Supervisor: ") == 1
