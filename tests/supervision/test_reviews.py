"""Annotations, rubric scores, release to the trainee and sign-off, each change audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, Certification
from supervision import actions
from supervision.models import Review
from tests.supervision.conftest import score_all


def review_changes(action=None):
    rows = AuditEvent.objects.filter(event_type=AuditEvent.REVIEW_CHANGED).order_by("seq")
    return [r for r in rows if action is None or r.details["action"] == action]


def test_supervisor_annotates_a_message_through_the_page(client, supervisor, recorded):
    client.force_login(supervisor)
    response = client.post(
        reverse("review_annotate", args=[recorded.pk]),
        {
            "seq": 6,
            "comment": "Direct and kind.",
            "tags": ["empathic response"],
            "other_tags": "Asked about risk, asked about risk",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#m-6")
    annotation = recorded.annotations.get()
    assert annotation.message.seq == 6 and annotation.author == supervisor
    assert annotation.tags == ["empathic response", "asked about risk"]
    row = review_changes("annotation_added")[0]
    assert row.actor == supervisor and row.target_user == recorded.trainee and row.details["seq"] == 6


def test_annotation_needs_a_comment_or_a_tag(supervisor, recorded):
    with pytest.raises(ValidationError):
        actions.do_annotate(supervisor, recorded, 2, "  ", [])
    with pytest.raises(ValidationError):
        actions.do_annotate(supervisor, recorded, 99, "No such message", [])
    assert not recorded.annotations.exists() and not review_changes()


def test_annotations_reach_the_trainee_only_after_release(client, trainee, supervisor, recorded, rubric):
    actions.do_annotate(supervisor, recorded, 2, "A warm, open start.", ["open question"])
    actions.do_save_review(supervisor, recorded, rubric, score_all(rubric, 4), "Solid session.")
    client.force_login(trainee)
    body = client.get(reverse("review_replay", args=[recorded.pk])).content.decode()
    assert "A warm, open start." not in body and "Solid session." not in body
    assert "has not released a review" in body

    actions.do_release_review(supervisor, recorded)
    body = client.get(reverse("review_replay", args=[recorded.pk])).content.decode()
    assert "A warm, open start." in body and "open question" in body
    assert "Solid session." in body and "4 / 5" in body

    actions.do_retract_review(supervisor, recorded)
    body = client.get(reverse("review_replay", args=[recorded.pk])).content.decode()
    assert "A warm, open start." not in body
    assert [r.details["action"] for r in review_changes()] == [
        "annotation_added",
        "scores_saved",
        "released",
        "retracted",
    ]


def test_release_tells_the_trainee_by_mail_once(django_capture_on_commit_callbacks, supervisor, recorded, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_release_review(supervisor, recorded)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_release_review(supervisor, recorded)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [recorded.trainee.email]
    assert f"/supervision/sessions/{recorded.pk}/replay/" in mail.body
    assert "better off without me" not in mail.body  # no clinical content in e-mail
    assert len(review_changes("released")) == 1


def test_scores_through_the_page(client, supervisor, recorded, rubric):
    items = list(rubric.items.all())
    client.force_login(supervisor)
    data = {
        "rubric": rubric.pk,
        "overall_comment": "Good pacing.",
        f"score_{items[0].pk}": "5",
        f"score_{items[1].pk}": "2",
    }
    response = client.post(reverse("review_save", args=[recorded.pk]), data)
    assert response.status_code == 302
    review = Review.objects.get(session=recorded)
    assert review.score_map() == {items[0].pk: 5, items[1].pk: 2}
    assert review.overall_comment == "Good pacing." and review.supervisor == supervisor
    client.post(reverse("review_save", args=[recorded.pk]), {**data, f"score_{items[0].pk}": "9"})
    assert review.score_map()[items[0].pk] == 5  # out of range: refused, nothing changed


def test_sign_off_needs_every_item_scored(supervisor, recorded, rubric):
    first = rubric.items.first()
    actions.do_save_review(supervisor, recorded, rubric, {first.pk: 3})
    with pytest.raises(ValidationError, match="Score every item"):
        actions.do_sign_off_review(supervisor, recorded, Review.RECOMMEND, Certification.SIMULATION)
    assert not Review.objects.get(session=recorded).is_signed_off


def test_sign_off_issues_a_certification_through_accounts_actions(monkeypatch, supervisor, recorded, rubric):
    from accounts import actions as account_actions

    calls = []
    real = account_actions.do_issue_certification

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "do_issue_certification", spy)
    actions.do_save_review(supervisor, recorded, rubric, score_all(rubric, 5))
    review = actions.do_sign_off_review(
        supervisor, recorded, Review.ISSUE, Certification.CRISIS, "Ready for crisis work."
    )

    assert len(calls) == 1 and calls[0][0][:3] == (supervisor, recorded.trainee, Certification.CRISIS)
    cert = Certification.objects.get(user=recorded.trainee, kind=Certification.CRISIS)
    assert cert.issued_by == supervisor and cert.is_valid() and cert.note == "Ready for crisis work."
    assert review.certification == cert and review.signed_off_by == supervisor and review.recommendation == Review.ISSUE
    issued = AuditEvent.objects.get(event_type=AuditEvent.CERT_ISSUED, target_user=recorded.trainee)
    signed = review_changes("signed_off")[0]
    assert signed.details == {
        "action": "signed_off", "recommendation": "issue", "certification_kind": "crisis", "certification": cert.pk,
    }  # fmt: skip
    assert signed.seq > issued.seq


def test_sign_off_through_the_page_with_a_recommendation(client, supervisor, recorded, rubric):
    actions.do_save_review(supervisor, recorded, rubric, score_all(rubric, 3))
    client.force_login(supervisor)
    client.post(
        reverse("review_sign_off", args=[recorded.pk]),
        {"recommendation": "recommend", "certification_kind": "simulation"},
    )
    review = Review.objects.get(session=recorded)
    assert review.is_signed_off and review.recommendation == "recommend" and review.certification is None
    assert not Certification.objects.filter(user=recorded.trainee).exists()


def test_signed_off_review_is_frozen(supervisor, recorded, rubric):
    annotation = actions.do_annotate(supervisor, recorded, 2, "Before sign-off", [])
    actions.do_save_review(supervisor, recorded, rubric, score_all(rubric, 4))
    actions.do_sign_off_review(supervisor, recorded, Review.NONE)
    for change in (
        lambda: actions.do_annotate(supervisor, recorded, 2, "After", []),
        lambda: actions.do_delete_annotation(supervisor, annotation),
        lambda: actions.do_save_review(supervisor, recorded, rubric, score_all(rubric, 1)),
        lambda: actions.do_sign_off_review(supervisor, recorded, Review.NONE),
    ):
        with pytest.raises(ValidationError, match="signed off"):
            change()
    assert set(Review.objects.get(session=recorded).score_map().values()) == {4}


def test_failed_certification_leaves_review_unsigned(supervisor, recorded, rubric):
    actions.do_save_review(supervisor, recorded, rubric, score_all(rubric, 4))
    recorded.trainee.cohorts.clear()  # no longer the supervisor's trainee: may not certify them
    with pytest.raises(PermissionDenied):
        actions.do_sign_off_review(supervisor, recorded, Review.ISSUE, Certification.SIMULATION)
    assert not Review.objects.get(session=recorded).is_signed_off
    assert not Certification.objects.filter(user=recorded.trainee).exists()


def test_only_author_or_admin_removes_an_annotation(supervisor, admin_user, cohorts, recorded):
    from tests.conftest import make_person

    colleague = make_person("colleague@example.org", "supervisor")
    cohorts[0].supervisors.add(colleague)
    annotation = actions.do_annotate(supervisor, recorded, 2, "Mine", [])
    with pytest.raises(PermissionDenied):
        actions.do_delete_annotation(colleague, annotation)
    actions.do_delete_annotation(admin_user, annotation)
    assert not recorded.annotations.exists()
    assert review_changes("annotation_deleted")[0].actor == admin_user


def test_switching_rubric_drops_old_scores(supervisor, recorded, rubric):
    from supervision.models import Rubric, RubricItem

    other = Rubric.objects.create(name="Brief")
    item = RubricItem.objects.create(rubric=other, title="Warmth", anchor_1="cold", anchor_5="warm")
    actions.do_save_review(supervisor, recorded, rubric, score_all(rubric, 4))
    review = actions.do_save_review(supervisor, recorded, other, {item.pk: 2})
    assert review.score_map() == {item.pk: 2}
    with pytest.raises(ValidationError):
        actions.do_save_review(supervisor, recorded, rubric, {item.pk: 3})  # an item of another rubric


def test_bad_posts_are_refused_without_side_effects(client, supervisor, recorded):
    client.force_login(supervisor)
    assert client.post(reverse("review_save", args=[recorded.pk]), {"rubric": "x"}).status_code == 404
    response = client.post(reverse("review_annotate", args=[recorded.pk]), {"seq": "abc", "comment": "hi"})
    assert response.status_code == 302 and response["Location"].endswith("/replay/")
    response = client.post(reverse("review_annotate", args=[recorded.pk]), {"seq": 2, "comment": ""})
    assert "Write a comment or choose a tag." in [str(m) for m in response.wsgi_request._messages]
    assert not recorded.annotations.exists() and not review_changes()
