"""Grading learning objectives (feedback/objectives.py): each kind of criterion on hand-written
turns, every verdict it can give, plain-text objectives from older cards, and the real skill
models on the library's good and poor trainee scripts."""

import json
from pathlib import Path

import pytest

from feedback import objectives, report
from feedback.objectives import MET, NOT_GRADED, NOT_MET, PARTLY
from feedback.scoring import score

LIBRARY = Path(__file__).resolve().parents[2] / "simulator" / "scenario_library"
EMPTY = {"emotional_reactions": 0, "interpretations": 0, "explorations": 0}


def turns(*script):
    """[(role, text, code)] as the report's turns; client lines need no code."""
    out = []
    for seq, (role, text, *code) in enumerate(script, 1):
        turn = {"seq": seq, "role": role, "text": text}
        if role == "trainee":
            turn.update(code=code[0], main="", empathy=dict(EMPTY), empathy_total=0, asked_permission=None)
        out.append(turn)
    return out


def one(shown_by, script, states=None, **extra):
    card = {"learning_objectives": [{"id": "x", "text": "Do the thing", "shown_by": shown_by, **extra}]}
    return objectives.grade(card, script, report.summarise(script), states)[0]


REFLECTIVE = turns(
    ("client", "I lost my job and I just sit at home."),
    ("trainee", "It sounds as if the days have lost their shape.", "complex_reflection"),
    ("client", "Yes."),
    ("trainee", "Did you sleep last night?", "closed_question"),
    ("trainee", "Part of you feels you let your family down.", "complex_reflection"),
)


# --- behaviour ----------------------------------------------------------------------------------


@pytest.mark.parametrize("goal, verdict", [(2, MET), (3, PARTLY)])
def test_a_behaviour_count_is_met_at_its_goal_and_partly_met_below_it(goal, verdict):
    graded = one({"kind": "behaviour", "codes": ["complex_reflection"], "min": goal}, REFLECTIVE)
    assert graded["verdict"] == verdict
    assert graded["reason"] == f"2 messages coded complex reflection, goal {goal}"
    assert [e["seq"] for e in graded["evidence"]] == [2, 5]
    assert graded["evidence"][0]["quote"] == "It sounds as if the days have lost their shape."


def test_a_behaviour_nobody_showed_is_not_met_and_has_no_evidence():
    graded = one({"kind": "behaviour", "codes": ["affirmation", "open_question"], "min": 1}, REFLECTIVE)
    assert graded["verdict"] == NOT_MET and graded["evidence"] == []
    assert graded["reason"] == "0 messages coded affirmation or open question, goal 1"
    assert graded["label"] == "Not met" and graded["cue"] == "\u2717"


# --- checklist ----------------------------------------------------------------------------------

ASKED = turns(
    ("client", "I don't see the point any more."),
    ("trainee", "That sounds really heavy.", "complex_reflection"),
    ("trainee", "Are you having thoughts of suicide?", "closed_question"),
    ("trainee", "Have you made a plan?", "closed_question"),
)


def test_a_checklist_item_is_met_by_the_message_that_matches_its_rule_in_any_scenario():
    graded = one({"kind": "checklist", "items": ["asked_directly"]}, ASKED)
    assert graded["verdict"] == MET
    assert graded["reason"] == "Asked directly about suicidal thoughts: found in message 3"
    assert graded["evidence"] == [{"seq": 3, "quote": "Are you having thoughts of suicide?"}]


def test_several_checklist_items_are_partly_met_when_some_are_found_and_not_met_when_none():
    graded = one({"kind": "checklist", "items": ["asked_plan", "asked_means", "asked_intent"]}, ASKED)
    assert graded["verdict"] == PARTLY
    assert graded["reason"] == "1 of 3 found; not found: asked about means, asked about intent"
    assert [e["seq"] for e in graded["evidence"]] == [4]
    assert one({"kind": "checklist", "items": ["asked_directly"]}, REFLECTIVE)["verdict"] == NOT_MET


# --- ratio --------------------------------------------------------------------------------------


def test_a_ratio_is_met_at_its_goal_partly_met_from_the_fair_band_and_not_met_below():
    # Two reflections to one question: 2.0 : 1.
    assert one({"kind": "ratio", "measure": "rq_ratio", "min": 2.0}, REFLECTIVE)["verdict"] == MET
    partly = one({"kind": "ratio", "measure": "rq_ratio", "min": 3.0}, REFLECTIVE)
    assert partly["verdict"] == PARTLY
    assert partly["reason"] == "Reflections per question 2 : 1, goal 3 : 1 (fair from 1 : 1)"
    assert [e["seq"] for e in partly["evidence"]] == [2, 5]
    # One open question of two: 50%, "fair" for pct_open, so partly met against a goal of 70%.
    mixed = turns(("trainee", "What brings you here?", "open_question"), ("trainee", "Is it work?", "closed_question"))
    assert one({"kind": "ratio", "measure": "pct_open", "min": 70}, mixed)["verdict"] == PARTLY
    closed = turns(("trainee", "Is it work?", "closed_question"), ("trainee", "Is it home?", "closed_question"))
    below = one({"kind": "ratio", "measure": "pct_open", "min": 70}, closed)
    assert below["verdict"] == NOT_MET and below["reason"].startswith("Open questions as a share of all questions 0%")


def test_a_ratio_with_nothing_to_count_is_not_met_and_says_why():
    graded = one({"kind": "ratio", "measure": "rq_ratio", "min": 1.0}, turns(("trainee", "Hello.", "other")))
    assert graded["verdict"] == NOT_MET
    assert "none to count (no questions)" in graded["reason"]


# --- topic --------------------------------------------------------------------------------------

SYMPTOMS = {"kind": "topic", "topics": ["mood", "interest", "sleep", "appetite", "energy", "concentrat"], "min": 4}


def test_topics_count_distinct_topics_matched_at_the_start_of_a_word():
    script = turns(
        ("trainee", "How has your mood been, and how are you sleeping?", "open_question"),
        ("trainee", "What about your appetite?", "open_question"),
        ("trainee", "And your energy and concentration through the day?", "open_question"),
        ("trainee", "Is anything still of interest? Your moods?", "closed_question"),
    )
    graded = one(SYMPTOMS, script)
    assert graded["verdict"] == MET
    assert (
        graded["reason"] == "6 of the topics asked about, goal 4 (mood, interest, sleep, appetite, energy, concentrat)"
    )
    assert [e["seq"] for e in graded["evidence"]] == [1, 2, 3, 4]


def test_topics_are_partly_met_from_one_and_a_word_inside_another_does_not_count():
    # "asleep" and "disinterested" do not start with the topic, "moody" does.
    script = turns(("trainee", "You seem moody and asleep on your feet, a bit disinterested.", "complex_reflection"))
    graded = one(SYMPTOMS, script)
    assert graded["verdict"] == PARTLY and graded["reason"].endswith("goal 4 (mood)")
    assert one(SYMPTOMS, turns(("trainee", "What brings you here today?", "open_question")))["verdict"] == NOT_MET


def test_a_word_inside_a_pasted_link_is_not_a_topic_asked_about():
    script = turns(
        (
            "trainee",
            "Here is a leaflet: https://example.org/coping-with-low-mood-and-poor-sleep.pdf",
            "giving_information",
        )
    )
    assert one(SYMPTOMS, script)["verdict"] == NOT_MET
    script = turns(("trainee", "How is your sleep? See www.example.org/mood too.", "open_question"))
    graded = one(SYMPTOMS, script)
    assert graded["reason"].endswith("(sleep)") and graded["evidence"][0]["quote"].startswith(
        "How is your sleep? See www."
    )


def test_a_topic_given_as_a_list_of_words_counts_once():
    criterion = {"kind": "topic", "topics": [["eating", "food", "meal"], ["exercise", "training"]], "min": 2}
    script = turns(("trainee", "Tell me about food and meals, and eating out?", "open_question"))
    graded = one(criterion, script)
    assert graded["verdict"] == PARTLY and graded["reason"] == "1 of the topics asked about, goal 2 (eating)"


# --- disclosure ---------------------------------------------------------------------------------


def test_a_disclosure_is_met_by_the_message_after_which_the_client_opened_up():
    states = [(2, {"newly_unlocked": []}), (5, {"newly_unlocked": ["brother-secret"]})]
    graded = one({"kind": "disclosure", "disclosure": "brother-secret"}, REFLECTIVE, states)
    assert graded["verdict"] == MET
    assert graded["reason"] == "The client opened up about \u201cbrother-secret\u201d after message 5"
    assert graded["evidence"] == [{"seq": 5, "quote": "Part of you feels you let your family down."}]
    not_yet = one({"kind": "disclosure", "disclosure": "brother-secret"}, REFLECTIVE, states[:1])
    assert not_yet["verdict"] == NOT_MET and not_yet["evidence"] == []


# --- cards that cannot be graded ----------------------------------------------------------------


def test_plain_text_objectives_from_older_cards_are_not_graded_rather_than_failing():
    card = {"learning_objectives": ["Open questions", {"id": "y", "text": "Odd", "shown_by": {"kind": "vibes"}}]}
    graded = objectives.grade(card, REFLECTIVE)
    assert [g["verdict"] for g in graded] == [NOT_GRADED, NOT_GRADED]
    assert graded[0]["text"] == "Open questions" and graded[0]["label"] == "Not graded automatically"
    assert objectives.grade({}, REFLECTIVE) == []


def test_measures_and_the_override_slot_travel_with_the_verdict():
    graded = one({"kind": "behaviour", "codes": ["affirmation"], "min": 1}, REFLECTIVE, measures="A proxy.")
    assert graded["measures"] == "A proxy."
    [with_override] = objectives.with_overrides([graded], {"x": {"verdict": MET}})
    assert with_override["override"] == {"verdict": MET}


# --- the real skill models on the library's scripts ---------------------------------------------


def play(card, kind):
    """The report's turns for a library script, each line scored by the real models after the
    client's opening line (the scripts have no client replies)."""
    opening = card["persona"]["opening_line"]
    lines = [
        json.loads(line)["text"]
        for line in (LIBRARY / "scripts" / f"{card['slug']}.{kind}.jsonl").read_text().splitlines()
    ]
    out, prev, earlier = [{"seq": 1, "role": "client", "text": opening}], opening, ""
    for n, text in enumerate(lines):
        result = score(text, prev, earlier)
        out.append({
            "seq": n + 2, "role": "trainee", "text": text, "code": result["code"], "main": result["main"],
            "empathy": result["empathy"], "empathy_total": sum(result["empathy"].values()),
            "asked_permission": result["asked_permission"], "client_state": None,
        })  # fmt: skip
        prev, earlier = "", text
    return out


def graded_script(card, kind):
    script = play(card, kind)
    return objectives.grade(card, script, report.summarise(script), report.client_states(card, script))


def points(graded):
    return sum({MET: 2, PARTLY: 1}.get(g["verdict"], 0) for g in graded)


def test_on_the_job_loss_scripts_the_good_trainee_meets_what_the_poor_one_misses():
    card = json.loads((LIBRARY / "job-loss-depression.json").read_text())
    good = {g["id"]: g for g in graded_script(card, "good")}
    poor = {g["id"]: g for g in graded_script(card, "poor")}
    assert good["ask-suicide"]["verdict"] == MET and poor["ask-suicide"]["verdict"] == NOT_MET
    assert good["build-rapport"]["verdict"] == MET and poor["build-rapport"]["verdict"] == NOT_MET
    assert good["ask-suicide"]["evidence"][0]["seq"] > 1
    assert points(good.values()) > points(poor.values())


def test_in_every_scenario_the_good_script_earns_more_than_the_poor_one():
    behind = []
    for path in sorted(LIBRARY.glob("*.json")):
        card = json.loads(path.read_text())
        good, poor = points(graded_script(card, "good")), points(graded_script(card, "poor"))
        if good <= poor:
            behind.append(f"{card['slug']}: good {good}, poor {poor}")
    assert not behind, behind
