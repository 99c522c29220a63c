"""Rubrics: the seeded default, and the admin's validation of items and anchors."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from supervision.models import Rubric, RubricItem


def test_default_rubric_is_seeded_with_anchored_items(rubric):
    titles = [i.title for i in rubric.items.all()]
    assert titles == [
        "Rapport and empathy", "Open questions", "Reflective listening", "Risk assessment",
        "Structure and collaboration", "Summarising",
    ]  # fmt: skip
    for item in rubric.items.all():
        item.full_clean()
        assert item.anchor_1 and item.anchor_3 and item.anchor_5
    assert Rubric.default() == rubric


def test_an_item_needs_anchors_for_1_and_5(db):
    rubric = Rubric.objects.create(name="Loose")
    with pytest.raises(ValidationError, match="1 and 5"):
        RubricItem(rubric=rubric, title="Warmth", anchor_1="", anchor_5="").full_clean()
    with pytest.raises(ValidationError):
        RubricItem(rubric=rubric, title="Warmth", anchor_1="cold", anchor_5=" ").full_clean()


def admin_post(item_count, **item):
    data = {
        "name": "Motivational interviewing", "description": "", "is_active": "on",
        "items-TOTAL_FORMS": str(item_count), "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "1", "items-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for n in range(item_count):
        data.update({f"items-{n}-order": n, f"items-{n}-title": item.get("title", "Evoking"),
                     f"items-{n}-anchor_1": item.get("anchor_1", "none"), f"items-{n}-anchor_5": item.get("anchor_5", "rich")})  # fmt: skip
    return data


@pytest.fixture
def admin_permissions(db):
    # accounts.roles.sync_role_groups runs on accounts' post_migrate, before the supervision
    # app's permissions exist on a fresh database; run it again as a second migrate would.
    from accounts.roles import sync_role_groups

    sync_role_groups()


def test_admin_creates_a_rubric_with_items(client, admin_user, admin_permissions):
    client.force_login(admin_user)
    response = client.post(reverse("admin:supervision_rubric_add"), admin_post(1))
    assert response.status_code == 302, [str(e) for e in response.context["errors"]]
    assert Rubric.objects.get(name="Motivational interviewing").items.get().title == "Evoking"


def test_admin_refuses_a_rubric_without_items_or_anchors(client, admin_user, admin_permissions):
    client.force_login(admin_user)
    assert client.post(reverse("admin:supervision_rubric_add"), admin_post(0)).status_code == 200
    assert client.post(reverse("admin:supervision_rubric_add"), admin_post(1, anchor_5="")).status_code == 200
    assert not Rubric.objects.filter(name="Motivational interviewing").exists()


def test_reviews_cannot_be_edited_in_the_admin(client, admin_user, admin_permissions, supervisor, recorded):
    from supervision.actions import do_release_review

    review = do_release_review(supervisor, recorded)
    client.force_login(admin_user)
    assert client.get(reverse("admin:supervision_review_change", args=[review.pk])).status_code == 200
    response = client.post(reverse("admin:supervision_review_change", args=[review.pk]), {"overall_comment": "edited"})
    assert response.status_code == 403
