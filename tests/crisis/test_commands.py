"""crisis_check, crisis_eval and their errors."""

import json

import pytest
from django.core.management import CommandError, call_command


def run_command(name, *args, capsys):
    call_command(name, *args)
    return json.loads(capsys.readouterr().out)


def test_crisis_check_prints_json(capsys):
    result = run_command("crisis_check", "I'm going to kill myself tonight", capsys=capsys)
    assert result["level"] == "imminent" and "intent" in result["categories"]


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_crisis_eval_cssrs(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [
        {"text": "I'm going to kill myself tonight.", "label": "behavior"},
        {"text": "I want to die.", "label": "ideation"},
        {"text": "I tried to kill myself last year.", "label": "attempt"},
        {"text": "We had a lovely picnic.", "label": "supportive"},
        {"text": "Nothing to see.", "label": None},
        {"text": "I want to die, said the song on the radio.", "label": "uninformative"},
    ])
    report = run_command("crisis_eval", "--data", str(data), capsys=capsys)
    assert report["n"] == 5 and report["skipped_null_label"] == 1 and report["n_crisis"] == 3
    for name in ("combined", "rules", "ml"):
        assert set(report[name]) >= {"recall", "precision", "f1", "confusion", "recall_by_label"}
    assert report["rules"]["recall"] == 1.0 and report["rules"]["confusion"]["tp"] == 3 and report["rules"]["confusion"]["fn"] == 0
    assert set(report["combined"]["recall_by_label"]) == {"ideation", "behavior", "attempt"}
    # The same figures without the uninformative posts (issue #4's population).
    informative = report["informative"]
    assert informative["n"] == 4
    assert informative["rules"]["confusion"] == {"tp": 3, "fp": 0, "fn": 0, "tn": 1}
    assert report["combined"]["confusion"]["fp"] + report["combined"]["confusion"]["tn"] == 2


def test_crisis_eval_binary(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [
        {"text": "I have a plan to end my life.", "label": "crisis"},
        {"text": "The weather was nice.", "label": "no_crisis"},
    ])
    report = run_command("crisis_eval", "--data", str(data), "--labels", "binary", capsys=capsys)
    assert report["combined"]["confusion"]["tp"] == 1 and report["rules"]["confusion"]["tn"] == 1


@pytest.mark.parametrize("lines, message", [
    (['{"text": "hi", "label": "supportive"}', "{not json"], ":2: not valid JSON"),
    (['["a list"]'], ":1: expected a JSON object"),
    (['{"label": "ideation"}'], ":1: missing or non-string 'text'"),
    (['{"text": "hi"}'], ":1: missing 'label'"),
    (['{"text": "hi", "label": "sad"}'], "label 'sad' is not one of"),
    ([], "no labelled rows"),
])
def test_crisis_eval_bad_lines_are_clear_errors(tmp_path, lines, message):
    data = write_jsonl(tmp_path / "bad.jsonl", lines)
    with pytest.raises(CommandError, match=message):
        call_command("crisis_eval", "--data", str(data))


def test_crisis_eval_missing_or_binary_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("crisis_eval", "--data", str(tmp_path / "absent.jsonl"))
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"\xff\xfe\x00\x80")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("crisis_eval", "--data", str(junk))


def test_crisis_eval_binary_labels_rejects_cssrs_labels(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "hi", "label": "ideation"}])
    with pytest.raises(CommandError, match="--labels binary"):
        call_command("crisis_eval", "--data", str(data), "--labels", "binary")


def test_by_level_gives_each_threshold_its_recall_precision_and_false_alarms():
    from modelserve.crisis.evaluate import by_level

    rows = [{"crisis": c} for c in (True, True, False, False, False, False)]
    results = [{"level": lv} for lv in ("imminent", "low", "moderate", "low", "none", "none")]
    figures = by_level(rows, results)
    assert list(figures) == ["low", "moderate", "high", "imminent"]
    assert (figures["low"]["recall"], figures["low"]["precision"], figures["low"]["flag_rate_negatives"]) == (1.0, 0.5, 0.5)
    assert (figures["moderate"]["recall"], figures["moderate"]["precision"]) == (0.5, 0.5)
    assert figures["moderate"]["flag_rate_negatives"] == 0.25
    assert figures["high"]["confusion"] == {"tp": 1, "fp": 0, "fn": 1, "tn": 4}
    # Negatives only: no recall to speak of, the false-alarm rate still.
    assert by_level(rows[2:], results[2:])["low"] == {"n": 4, "flag_rate_negatives": 0.5}


@pytest.mark.parametrize("args, n", [(["--sad", "test"], 1003), (["--xstest"], 119), (["--xstest", "all"], 250)])
@pytest.mark.needs_data("sad-stress", "xstest")
def test_crisis_eval_measures_false_alarms_on_the_shared_negative_sets(args, n, capsys):
    from modelserve.crisis import LEVELS, check
    from modelserve.crisis.data import sad_sentences, xstest_safe_prompts

    report = run_command("crisis_eval", *args, capsys=capsys)
    assert report["n"] == n and report["n_crisis"] == 0 and report["speaker"] == "client"
    rates = [report["by_level"][level]["flag_rate_negatives"] for level in LEVELS[1:]]
    assert rates == sorted(rates, reverse=True) and 0 <= rates[-1] <= rates[0] <= 1
    # The rate at "low" is what the detector says message by message, recounted here.
    from django.conf import settings

    rows = (sad_sentences(settings.PIXEL_DATA_DIR, "test") if "--sad" in args
            else xstest_safe_prompts(settings.PIXEL_DATA_DIR, None if "all" in args else "test"))
    flagged = sum(check(r["text"])["level"] != "none" for r in rows)
    assert rates[0] == round(flagged / n, 4)


def test_crisis_eval_reads_a_trainee_without_the_post_model(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "Have you thought about ending your life?", "label": "no_crisis"},
                                              {"text": "I'm going to kill myself tonight.", "label": "crisis"}])
    report = run_command("crisis_eval", "--data", str(data), "--labels", "binary", "--speaker", "trainee", "--by-level",
                         capsys=capsys)
    assert report["speaker"] == "trainee" and "crisis-lr" not in report["version"] and "crisis-msg" in report["version"]
    assert report["by_level"]["high"]["recall"] == 1.0
    assert report["by_level"]["low"]["flag_rate_negatives"] == 0.0  # the question is not a disclosure


def test_crisis_eval_without_the_shared_data_says_where_it_looked(tmp_path, settings):
    settings.PIXEL_DATA_DIR = tmp_path
    with pytest.raises(CommandError, match="sad-stress/sentences.jsonl: no such file"):
        call_command("crisis_eval", "--sad", "test")
    with pytest.raises(CommandError, match="xstest_prompts.csv: no such file"):
        call_command("crisis_eval", "--xstest")


@pytest.mark.needs_data("esconv", "annomi")
def test_crisis_eval_reads_real_client_turns_as_negatives(capsys):
    report = run_command("crisis_eval", "--client-turns", capsys=capsys)
    # ESConv's test help-seekers (3,144) and the clients of AnnoMI's 39 `test` transcripts, every non-empty turn.
    assert report["n"] == 4721 and report["n_crisis"] == 0
    assert report["by_level"]["low"]["flag_rate_negatives"] >= report["by_level"]["moderate"]["flag_rate_negatives"]


def test_crisis_eval_can_read_as_the_detector_did_before_the_message_model(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "work is killing me lol", "label": "no_crisis"},
                                              {"text": "I've been thinking about ending my life.", "label": "crisis"}])
    before = run_command("crisis_eval", "--data", str(data), "--labels", "binary", "--without-message-model",
                         capsys=capsys)
    now = run_command("crisis_eval", "--data", str(data), "--labels", "binary", capsys=capsys)
    # Before: the rules and the post model on every client message. Now: the message model, and the
    # post model only on long posts.
    assert "crisis-msg" not in before["version"] and "crisis-lr" in before["version"]
    assert "crisis-msg" in now["version"] and "crisis-lr" not in now["version"]
    assert before["message"]["confusion"]["tp"] + before["message"]["confusion"]["fp"] == 0
