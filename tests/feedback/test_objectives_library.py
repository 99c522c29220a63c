"""check_library validates every card's learning objectives: each kind of mistake is refused
with a message naming the scenario and the objective, and the real library passes."""

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from feedback import checklist, report
from feedback.models import CODE_LABELS

LIBRARY = Path(__file__).resolve().parents[2] / "simulator" / "scenario_library"
_spec = importlib.util.spec_from_file_location("check_library", LIBRARY / "check_library.py")
check_library = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_library)

CARD = json.loads((LIBRARY / "job-loss-depression.json").read_text(encoding="utf-8"))


def errors_for(objectives):
    card = copy.deepcopy(CARD)
    card["learning_objectives"] = objectives
    errors = []
    check_library.check_objectives(
        card["learning_objectives"],
        {d["id"] for d in card["persona"]["disclosures"]},
        "job-loss-depression.json.learning_objectives",
        errors,
    )
    return errors


def with_first(**changes):
    objectives = copy.deepcopy(CARD["learning_objectives"])
    first = objectives[0]
    for key, value in changes.items():
        if key == "shown_by":
            first["shown_by"] = value
        elif value is None:
            first.pop(key)
        else:
            first[key] = value
    return objectives


def test_the_real_library_passes_and_every_card_grades_every_objective():
    assert check_library.main([]) == 0
    for path in sorted(LIBRARY.glob("*.json")):
        card = json.loads(path.read_text(encoding="utf-8"))
        assert all(
            isinstance(o, dict) and o["shown_by"]["kind"] in check_library.SHOWN_BY_KEYS
            for o in card["learning_objectives"]
        )


def test_the_validators_lists_match_what_the_grader_knows():
    # check_library runs without Django, so it keeps its own copies; they must not drift.
    assert set(check_library.BEHAVIOUR_CODES) == set(CODE_LABELS)
    assert set(check_library.CHECKLIST_ITEMS) == {key for key, _, _ in checklist.ITEMS}
    assert check_library.RATIO_MEASURES == {k: fair for k, (fair, _) in report.BANDS.items()}


@pytest.mark.parametrize(
    "objectives, message",
    [
        (["Ask about suicidal thoughts"] * 3, "[0]: must be an object with id, text and shown_by (not a plain string)"),
        (with_first(id=None), "[0]: missing key 'id'"),
        (with_first(id="Build Rapport"), "[0] 'Build Rapport'.id: must be a short lowercase slug"),
        (with_first(id="ask-suicide"), "[2] 'ask-suicide'.id: used by another objective in this card"),
        (with_first(text=" "), "[0] 'build-rapport'.text: empty string"),
        (with_first(measures=""), "[0] 'build-rapport'.measures: must be a non-empty string when given"),
        (with_first(shown_by={"kind": "vibes"}), "[0] 'build-rapport'.shown_by.kind: 'vibes' is not one of"),
        (
            with_first(shown_by={"kind": "behaviour", "codes": ["reflection"], "min": 2}),
            "unknown behaviour code 'reflection'",
        ),
        (
            with_first(shown_by={"kind": "behaviour", "codes": [], "min": 2}),
            "shown_by.codes: list one or more behaviour codes",
        ),
        (
            with_first(shown_by={"kind": "behaviour", "codes": ["affirmation"], "min": 0}),
            "shown_by.min: must be a whole number, 1 or more",
        ),
        (
            with_first(shown_by={"kind": "behaviour", "codes": ["affirmation"]}),
            "shown_by: a behaviour criterion needs 'min'",
        ),
        (with_first(shown_by={"kind": "checklist", "items": ["asked_why"]}), "unknown checklist item 'asked_why'"),
        (
            with_first(shown_by={"kind": "checklist", "item": "asked_plan"}),
            "unknown key 'item' for a checklist criterion",
        ),
        (
            with_first(shown_by={"kind": "ratio", "measure": "pct_closed", "min": 50}),
            "shown_by.measure: unknown ratio 'pct_closed'",
        ),
        (
            with_first(shown_by={"kind": "ratio", "measure": "pct_open", "min": 170}),
            "shown_by.min: must be a number above 0 and at most 100",
        ),
        (with_first(shown_by={"kind": "topic", "topics": [], "min": 1}), "shown_by.topics: list one or more topics"),
        (
            with_first(shown_by={"kind": "topic", "topics": ["Sleep"], "min": 1}),
            "topics[0]: write every topic in lowercase",
        ),
        (
            with_first(shown_by={"kind": "topic", "topics": ["sleep", "mood"], "min": 3}),
            "shown_by.min: 3 topics asked for, but only 2 listed",
        ),
        (
            with_first(shown_by={"kind": "disclosure", "disclosure": "sister-secret"}),
            "'sister-secret' is not one of this card's persona.disclosures",
        ),
        (CARD["learning_objectives"][:2], "expected 3-5 objectives, got 2"),
    ],
)
def test_each_kind_of_mistake_is_refused_naming_the_scenario_and_objective(objectives, message):
    errors = errors_for(objectives)
    assert any(message in e for e in errors), errors
    assert all(e.startswith("job-loss-depression.json.learning_objectives") for e in errors)


def test_a_card_file_with_a_bad_objective_fails_the_whole_check(tmp_path, monkeypatch):
    card = copy.deepcopy(CARD)
    card["learning_objectives"][2]["shown_by"] = {"kind": "checklist", "items": ["asked_nicely"]}
    path = tmp_path / "job-loss-depression.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    errors = []
    check_library.check_scenario(path, errors)
    assert errors == [
        "job-loss-depression.json.learning_objectives[2] 'ask-suicide'.shown_by.items: unknown checklist item "
        "'asked_nicely' (known: asked_directly, asked_plan, asked_means, asked_intent, feelings_first, safety_planning, gave_resources)"
    ]
