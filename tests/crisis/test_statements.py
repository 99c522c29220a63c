"""The written statements (modelserve/crisis/statements.py) and crisis_eval --statements: held out by
template, every level on both sides, and figures that add up."""

import json

from django.core.management import call_command

from modelserve.crisis.levels import LEVELS
from modelserve.crisis.statements import TEMPLATES, statements


def test_each_template_sits_in_one_split_and_every_level_is_measured_on_unseen_wordings():
    train, test = statements("train"), statements("test")
    assert {r["template"] for r in train}.isdisjoint({r["template"] for r in test})
    assert {r["text"] for r in train}.isdisjoint({r["text"] for r in test})
    assert {r["level"] for r in train} == {r["level"] for r in test} == set(LEVELS)
    assert len(train) + len(test) == len(statements())
    assert statements("test") == test  # the same on every call: no randomness in the split


def test_only_statements_of_method_means_plan_or_act_are_marked_explicit():
    for template in TEMPLATES:
        if template.explicit:
            assert template.level in ("high", "imminent"), template.id
    assert all(r["text"] == " ".join(r["text"].split()) for r in statements())


def test_crisis_eval_statements_reports_graded_figures_that_add_up(capsys):
    call_command("crisis_eval", "--statements", "test")
    report = json.loads(capsys.readouterr().out)
    rows = statements("test")
    assert report["n"] == len(rows) and report["templates"] == len({r["template"] for r in rows})
    confusion = report["gold_to_detected"]
    assert sum(sum(counts.values()) for counts in confusion.values()) == len(rows)
    # Recall at "high": gold high or imminent detected at high or imminent, from the same counts.
    gold_high = [counts for level, counts in confusion.items() if level in ("high", "imminent")]
    hits = sum(counts.get("high", 0) + counts.get("imminent", 0) for counts in gold_high)
    assert report["by_level"]["high"]["recall"] == round(hits / sum(sum(c.values()) for c in gold_high), 4)
    assert report["explicit"]["n"] == sum(r["explicit"] for r in rows)
