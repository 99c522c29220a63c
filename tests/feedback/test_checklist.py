"""The crisis-handling checklist on a scripted crisis transcript: which items are met, by which
message, and which are not."""

import pytest

from feedback.checklist import crisis_checklist, is_crisis_session
from feedback.report import build_report
from tests.conftest import make_scenario
from tests.feedback.conftest import build_session

pytestmark = pytest.mark.django_db

ACK = "That sounds incredibly painful, and I'm glad you told me."
DIRECT = "Are you having thoughts of ending your life?"
PLAN = "Have you thought about how you would do it?"
SAFETY = "Who could you call tonight if things get worse?"
CRISIS_SCRIPT = [
    ("client", "I just can't see the point anymore. Everyone would be better off without me."),
    ("trainee", ACK),
    ("client", "It's been like this for weeks."),
    ("trainee", DIRECT),
    ("client", "Sometimes, yes."),
    ("trainee", PLAN),
    ("client", "I've got a stash of pills in the drawer."),
    ("trainee", SAFETY),
]


def test_checklist_on_a_scripted_crisis_transcript(trainee, crisis_scenario, fixed_scores):
    fixed_scores.update(
        {
            ACK: ("complex_reflection", {"emotional_reactions": 2}),
            DIRECT: ("closed_question", {}),
            PLAN: ("closed_question", {}),
            SAFETY: ("open_question", {"explorations": 1}),
        }
    )
    session = build_session(trainee, CRISIS_SCRIPT, scenario=crisis_scenario)
    items = {i["key"]: i for i in build_report(session)["crisis"]}
    met = {k: (i["seq"], i["text"]) for k, i in items.items() if i["done"]}
    assert met == {
        "feelings_first": (2, ACK),
        "asked_directly": (4, DIRECT),
        "asked_plan": (6, PLAN),
        "safety_planning": (8, SAFETY),
    }
    for key in ("asked_means", "asked_intent", "gave_resources"):
        assert not items[key]["done"] and items[key]["seq"] is None and items[key]["text"] == ""


def test_means_intent_and_resources_are_recognised():
    turns = [
        {"seq": 1, "role": "client", "text": "I want to die."},
        {
            "seq": 2,
            "role": "trainee",
            "text": "Do you have access to pills or anything else at home?",
            "code": "closed_question",
        },
        {"seq": 4, "role": "trainee", "text": "Do you intend to act on these thoughts?", "code": "closed_question"},
        {
            "seq": 6,
            "role": "trainee",
            "text": "You can call Samaritans on 116 123 any time, day or night.",
            "code": "giving_information",
        },
    ]
    items = {i["key"]: i for i in crisis_checklist(turns)}
    assert (items["asked_means"]["done"], items["asked_means"]["seq"]) == (True, 2)
    assert (items["asked_intent"]["done"], items["asked_intent"]["seq"]) == (True, 4)
    assert (items["gave_resources"]["done"], items["gave_resources"]["seq"]) == (True, 6)
    assert not items["asked_directly"]["done"]  # "want to die" is the client's, never the trainee's


def test_problem_solving_before_acknowledging_feelings_fails_that_item():
    turns = [
        {"seq": 1, "role": "client", "text": "I feel like ending it."},
        {"seq": 2, "role": "trainee", "text": "You should make an appointment with your GP.", "code": "advice"},
        {"seq": 4, "role": "trainee", "text": "That sounds really hard.", "code": "simple_reflection"},
    ]
    items = {i["key"]: i for i in crisis_checklist(turns)}
    assert not items["feelings_first"]["done"]


def test_a_statement_about_suicide_is_not_asking_directly():
    turns = [
        {
            "seq": 2,
            "role": "trainee",
            "text": "Suicide is something we take seriously here.",
            "code": "giving_information",
        }
    ]
    assert not {i["key"]: i for i in crisis_checklist(turns)}["asked_directly"]["done"]


def test_only_crisis_scenarios_get_a_checklist(trainee, crisis_scenario):
    assert is_crisis_session(build_session(trainee, [], scenario=crisis_scenario))
    assert is_crisis_session(build_session(trainee, [], scenario=make_scenario("cutting", topic="self-harm")))
    plain = build_session(trainee, [("client", "Hi.")])
    assert not is_crisis_session(plain)
    assert build_report(plain)["crisis"] is None
