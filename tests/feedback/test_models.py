"""The committed skill models recognise each code and empathy level on clear examples (written for
these tests, not taken from the training data), given the client's turn before."""

import json

import pytest
from django.core.management import call_command

from feedback.scoring import score
from feedback.skills.model import ARTIFACT_DIR

LOSS = "I lost my mum last month and I can't stop crying."


@pytest.mark.parametrize(
    "prev, text, code",
    [
        (
            "I don't know, things have just been hard lately.",
            "How have things been at home since you lost your job?",
            "open_question",
        ),
        (
            "I don't know, things have just been hard lately.",
            "What would you like to talk about today?",
            "open_question",
        ),
        ("I drink most nights after work.", "Do you drink every day?", "closed_question"),
        ("I drink most nights after work.", "Are you still drinking on weekends?", "closed_question"),
        (
            "I've been feeling really tired and I can't sleep at night.",
            "You've been feeling tired.",
            "simple_reflection",
        ),
        (
            "I've been feeling really tired and I can't sleep at night.",
            "You're tired and you can't sleep.",
            "simple_reflection",
        ),
        (
            "My wife keeps nagging me about the drinking, but honestly it's the only thing that helps me relax after work.",
            "Drinking has become the way you unwind, and part of you wonders what it is costing you at home.",
            "complex_reflection",
        ),
        (
            "My wife keeps nagging me about the drinking, but honestly it's the only thing that helps me relax after work.",
            "It's your way of coping with the stress, even though it's causing friction in your marriage.",
            "complex_reflection",
        ),
        (
            "I managed to go a whole week without a cigarette.",
            "That's great, well done! You're doing amazing.",
            "affirmation",
        ),
        (
            "What does the medication do?",
            "This medication works by lowering your blood pressure, and the most common side effect is a dry cough.",
            "giving_information",
        ),
        (
            "How much is too much?",
            "The guidelines say no more than fourteen units a week, spread over three or more days.",
            "giving_information",
        ),
        ("I don't know what to do.", "I think you should cut down to two drinks a night.", "advice"),
        ("Hi.", "Hi, nice to meet you. Have a seat.", "other"),
        ("Okay.", "Okay.", "other"),
    ],
)
def test_each_code_is_recognised_on_a_clear_example(prev, text, code):
    assert score(text, prev)["code"] == code


def test_main_behaviour_agrees_with_the_fine_code():
    result = score("Do you drink every day?", "I drink most nights after work.")
    assert (result["main"], result["code"]) == ("question", "closed_question")
    assert 0.5 < result["confidence"] <= 1


@pytest.mark.parametrize(
    "text, dimension, minimum",
    [
        ("I'm so sorry for your loss, that must be heartbreaking.", "emotional_reactions", 2),
        ("I understand how you feel, I lost my dad two years ago and it was the hardest thing.", "interpretations", 2),
        ("What has it been like for you since she died?", "explorations", 1),
    ],
)
def test_each_empathy_dimension_is_recognised_on_a_clear_example(text, dimension, minimum):
    assert score(text, LOSS)["empathy"][dimension] >= minimum


def test_a_reply_without_empathy_scores_zero_on_every_dimension():
    assert score("The bus leaves at five.", LOSS)["empathy"] == {
        "emotional_reactions": 0,
        "interpretations": 0,
        "explorations": 0,
    }


def test_advice_records_whether_permission_was_asked():
    assert (
        score("I think you should cut down to two drinks a night.", "I don't know what to do.")["asked_permission"]
        is False
    )
    asked = score(
        "I think you should cut down to two drinks a night.", "Okay, go on.", "Would it be okay if I shared an idea?"
    )
    assert asked["asked_permission"] is True


def test_artifacts_load_without_pickle():
    import numpy as np

    for path in ARTIFACT_DIR.glob("*.npz"):
        with np.load(path, allow_pickle=False) as z:
            assert all(z[k].dtype != object for k in z.files)


@pytest.mark.needs_data("annomi", "epitome-empathy", "esconv")
def test_skills_eval_json_reports_the_committed_figures(capsys):
    call_command("skills_eval", "--json")
    figures = json.loads(capsys.readouterr().out)
    committed = json.loads((ARTIFACT_DIR / "skills_eval.json").read_text())
    assert figures == committed
    for key in ("behaviour", "behaviour_fine"):
        assert {"macro_f1", "kappa", "classes"} <= set(figures[key])
    assert set(figures["behaviour"]["classes"]) == {"reflection", "question", "therapist_input", "other"}
    assert set(figures["empathy"]) == {"emotional_reactions", "interpretations", "explorations"}
    for dim in figures["empathy"].values():
        assert {"macro_f1", "kappa"} <= set(dim) and set(dim["classes"]) == {"0", "1", "2"}
