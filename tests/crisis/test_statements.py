"""The written statements (modelserve/crisis/statements.py) and crisis_eval --statements: held out by
template, every level on both sides, and figures that add up."""

import json
from collections import Counter

from django.core.management import call_command

from modelserve.crisis.levels import LEVELS
from modelserve.crisis.statements import TEMPLATES, WRITTEN_1, WRITTEN_2, WRITTEN_3, statements


def test_each_template_sits_in_one_split_and_every_level_is_measured_on_unseen_wordings():
    train, test = statements("train"), statements("test")
    assert {r["template"] for r in train}.isdisjoint({r["template"] for r in test})
    assert {r["text"] for r in train}.isdisjoint({r["text"] for r in test})
    assert {r["level"] for r in train} == {r["level"] for r in test} == set(LEVELS)
    assert len(train) + len(test) == len(statements())
    assert statements("test") == test  # the same on every call: no randomness in the split


def test_every_level_has_enough_templates_on_both_sides():
    for level in LEVELS:
        templates = [t for t in TEMPLATES if t.level == level]
        assert len(templates) >= 14, level
        assert {t.split for t in templates} == {"train", "test"}, level
    assert len({t.id for t in TEMPLATES}) == len(TEMPLATES)


def test_no_template_dominates():
    counts = Counter(r["template"] for r in statements())
    assert set(counts) == {t.id for t in TEMPLATES}  # and none is swallowed by another's wordings
    assert max(counts.values()) <= 45, counts.most_common(1)


def test_counsellor_questions_are_level_none_and_held_out_too():
    questions = [t for t in TEMPLATES if t.question]
    assert all(t.level == "none" for t in questions)
    assert {t.split for t in questions} == {"train", "test"}
    rows = statements()
    assert {r["template"] for r in rows if r["question"]} == {t.id for t in questions}
    assert all(r["level"] == "none" for r in rows if r["question"])


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


# The first batch's held-out templates, as every figure before the second batch was measured on
# them: writing more templates must never move one of these into training.
FIRST_BATCH_TEST = {
    "denial", "goodbye", "high-context-means", "high-hospital", "high-note-texting", "high-plan-date", "high-research",
    "hn-dead-idioms", "hn-gave-away", "hn-jump", "hn-knife", "hn-shaving", "idiom-killing", "imm-context", "imm-gone",
    "imm-goodbye-sent", "imm-last", "low-context", "low-dead-weight", "low-no-better", "low-no-future",
    "mod-contradictory", "mod-feel-suicidal", "mod-guts", "mod-urges", "pointless", "q-direct", "q-followup", "q-means",
    "q-sounds-like", "ready-now", "rehearsal", "thoughts-harm", "topic-study", "topic-third-party",
}


# The second batch's, as measured from rules-5 and crisis-msg-4 on.
SECOND_BATCH_TEST = {
    "high-counted", "high-saving-texting", "high-which-bridge", "high-will-funeral", "hn-meds-review", "hn-range",
    "imm-done-something", "imm-station", "low-died-sleep", "low-not-worth", "mod-if-not-for", "mod-think-suicidal",
    "q-means-home", "q-scale",
}


def test_a_later_batch_of_templates_leaves_the_measured_split_alone():
    measured = {t.id for t in TEMPLATES if t.split == "test"}
    assert measured & {t.id for t in WRITTEN_1} == FIRST_BATCH_TEST
    assert measured & {t.id for t in WRITTEN_2} == SECOND_BATCH_TEST
    for batch in (WRITTEN_2, WRITTEN_3):
        assert {t.level for t in batch if t.split == "test"} == set(LEVELS)
    assert {r["batch"] for r in statements()} == {1, 2, 3}


def test_crisis_eval_reports_each_batch_on_its_own(capsys):
    call_command("crisis_eval", "--statements", "test", "--speaker", "trainee")
    report = json.loads(capsys.readouterr().out)
    batches = report["by_batch"]
    assert set(batches) == {"1", "2", "3"} and sum(b["n"] for b in batches.values()) == report["n"]
    assert sum(b["explicit"]["n"] for b in batches.values()) == report["explicit"]["n"]
