"""The report's numbers on a fixed transcript, with the models replaced by a fixed mapping, equal
values computed by hand (the arithmetic is in the comments)."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from feedback.actions import do_score_session
from feedback.models import MessageScore
from feedback.report import build_report, summarise, turns_for, weak_moments
from tests.feedback.conftest import build_session

pytestmark = pytest.mark.django_db

SCRIPT = [
    ("client", "I've been so tired and sad since the breakup."),  # 9 words, "sad": emotional
    ("trainee", "What has that been like for you?"),  # 7
    ("client", "Lonely. I come home and the flat is empty."),  # 9, emotional
    ("trainee", "Do you live alone?"),  # 4
    ("client", "Yes, just me and the cat."),  # 6
    ("trainee", "Coming home to the quiet flat brings the loss back every evening."),  # 12
    ("client", "Exactly. I keep thinking about her."),  # 6
    ("trainee", "You keep thinking about her."),  # 5
    ("client", "I don't know what to do with myself."),  # 8
    ("trainee", "You could try joining a class in the evenings."),  # 9
    ("client", "Maybe."),  # 1
    ("trainee", "It sounds like part of you is ready to try something new."),  # 12
]
CODES = {
    "What has that been like for you?": ("open_question", {"emotional_reactions": 1, "explorations": 2}),
    "Do you live alone?": ("closed_question", {}),
    "Coming home to the quiet flat brings the loss back every evening.": ("complex_reflection", {"interpretations": 2}),
    "You keep thinking about her.": ("simple_reflection", {"interpretations": 1}),
    "You could try joining a class in the evenings.": ("advice", {}),
    "It sounds like part of you is ready to try something new.": (
        "complex_reflection",
        {"emotional_reactions": 1, "interpretations": 1},
    ),
}


@pytest.fixture
def scored(trainee, fixed_scores):
    fixed_scores.update(CODES)
    return build_session(trainee, SCRIPT)


def test_session_numbers_equal_hand_computed_values(scored):
    report = build_report(scored)
    s = report["summary"]
    assert s["trainee_turns"] == 6
    assert s["counts"] == {
        "open_question": 1,
        "closed_question": 1,
        "simple_reflection": 1,
        "complex_reflection": 2,
        "affirmation": 0,
        "giving_information": 0,
        "advice": 1,
        "other": 0,
    }
    # 3 reflections / 2 questions = 1.5 : 1, between MITI fair (1) and good (2).
    assert (s["reflections"], s["questions"], s["rq_ratio"], s["rq_band"]) == (3, 2, 1.5, "fair")
    # 2 complex of 3 reflections = 66.7% (good from 50%); 1 open of 2 questions = 50% (fair from 50%).
    assert (s["pct_complex"], s["complex_band"]) == (66.7, "good")
    assert (s["pct_open"], s["open_band"]) == (50.0, "fair")
    # Emotional reactions 1+0+0+0+0+1 = 2/6; interpretations 0+0+2+1+0+1 = 4/6; explorations 2/6.
    assert s["empathy_mean"] == {"emotional_reactions": 0.33, "interpretations": 0.67, "explorations": 0.33}
    assert s["empathy_total_mean"] == 1.33  # (3+0+2+1+0+2)/6
    # Words: trainee 7+4+12+5+9+12 = 49, client 9+9+6+6+8+1 = 39; trainee share 49/88 = 55.7%.
    assert (s["trainee_words"], s["client_words"], s["trainee_share"]) == (49, 39, 55.7)


def test_emotional_intelligence_profile_follows_its_recipes(scored):
    profile = {d["key"]: d["score"] for d in build_report(scored)["profile"]}
    assert profile == {
        "self_awareness": 0.0,  # no message checks understanding
        "self_regulation": 50.0,  # after the 2 emotional client turns: an open question (held) and a closed one
        "motivation": 50.0,  # 2 complex reflections + 1 open question of 6 messages
        "empathy": 22.2,  # 1.33 / 6
        "social_skill": 73.8,  # client share 44.3% / 60%
    }
    for d in build_report(scored)["profile"]:
        assert d["recipe"]


def test_weakest_moment_is_the_closed_question_after_feelings_with_annomi_suggestions(scored):
    weak = build_report(scored)["weak"]
    assert [w["turn"]["seq"] for w in weak] == [4]
    assert len(weak[0]["reasons"]) == 2
    suggestions = weak[0]["suggestions"]
    assert 1 <= len(suggestions) <= 2
    for s in suggestions:
        assert s["text"] and s["transcript_id"] and s["title"]
        assert s["code"] in ("complex_reflection", "open_question")


def test_summary_of_an_unscored_session_has_no_ratios(trainee):
    session = build_session(trainee, [("client", "Hello.")])
    s = summarise(turns_for(session))
    assert (s["rq_ratio"], s["pct_complex"], s["pct_open"], s["empathy_total_mean"]) == (None, None, None, None)
    assert weak_moments(turns_for(session)) == []


def test_advice_after_asking_permission_is_not_a_weak_moment(trainee, fixed_scores):
    fixed_scores.update(
        {
            "Would it be okay if I shared an idea?": ("closed_question", {"explorations": 1}),
            "Some people find a walk after work helps.": ("advice", {"emotional_reactions": 1}),
        }
    )
    session = build_session(
        trainee,
        [
            ("client", "I feel awful every evening."),
            ("trainee", "Would it be okay if I shared an idea?"),
            ("client", "Sure, I feel stuck."),
            ("trainee", "Some people find a walk after work helps."),
        ],
    )
    report = build_report(session)
    advice = [t for t in report["turns"] if t.get("code") == "advice"][0]
    assert advice["asked_permission"] is True and advice["label"] == "Advice (with permission)"
    assert 4 not in [w["turn"]["seq"] for w in report["weak"]]


# ---------------------------------------------------------------- reading writes nothing


def test_a_report_of_unscored_messages_stores_no_score_and_reads_as_the_stored_scores_will(scored):
    # The scoring task has not run: the report scores the messages for itself and keeps nothing.
    unstored = build_report(scored, with_suggestions=False)
    assert not MessageScore.objects.filter(session=scored).exists()
    assert do_score_session(scored) == 6
    stored = build_report(scored, with_suggestions=False)
    assert unstored["summary"] == stored["summary"] and unstored["opened_up"] == stored["opened_up"]
    assert [t.get("label") for t in unstored["turns"]] == [t.get("label") for t in stored["turns"]]


@pytest.mark.parametrize("page", ["feedback_report", "feedback_history"])
def test_opening_a_feedback_page_writes_only_its_audit_row(client, trainee, scored, page):
    client.force_login(trainee)
    url = reverse(page, args=[scored.pk]) if page == "feedback_report" else reverse(page)
    messages = list(scored.messages.order_by("seq").values())
    response = client.get(url)
    assert response.status_code == 200
    assert not MessageScore.objects.exists()
    assert list(scored.messages.order_by("seq").values()) == messages
    assert AuditEvent.objects.filter(event_type=AuditEvent.CLINICAL_VIEW, actor=trainee).count() == 1
    # What the page shows is computed all the same: 3 reflections / 2 questions.
    assert b"1.5" in response.content
