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
