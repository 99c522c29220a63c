"""Reading labelled JSONL for training and evaluation."""

import json
from pathlib import Path

from modelserve.jsonl import objects

CRISIS_LABELS = {"ideation", "behavior", "attempt"}
CSSRS_LABELS = {"supportive", "indicator", "ideation", "behavior", "attempt", "uninformative"}
BINARY_LABELS = {"crisis", "no_crisis"}


class DataError(ValueError):
    pass


def gaur_posts(data_dir: Path) -> Path:
    return Path(data_dir) / "gaur2019-reddit-cssrs" / "posts.jsonl"


def read_rows(path: Path, labels: str = "cssrs", split: str | None = None) -> tuple[list[dict], int]:
    """Labelled rows of PATH as {text, label, crisis, user}, and how many had a null label.

    LABELS is "cssrs" (Gaur post labels) or "binary" (crisis / no_crisis). SPLIT keeps only rows
    whose "split" equals it. Any malformed line raises DataError naming the line.
    """
    allowed = CSSRS_LABELS if labels == "cssrs" else BINARY_LABELS
    rows, skipped = [], 0
    for number, row in objects(path, DataError):
        if split is not None and row.get("split") != split:
            continue
        if not isinstance(row.get("text"), str):
            raise DataError(f"{path}:{number}: missing or non-string 'text'")
        if "label" not in row:
            raise DataError(f"{path}:{number}: missing 'label'")
        label = row["label"]
        if label is None:
            skipped += 1
            continue
        if label not in allowed:
            raise DataError(f"{path}:{number}: label {label!r} is not one of {sorted(allowed)} (--labels {labels})")
        crisis = label in CRISIS_LABELS if labels == "cssrs" else label == "crisis"
        rows.append({"text": row["text"], "label": label, "crisis": crisis, "user": row.get("user", f"line-{number}")})
    if not rows:
        raise DataError(f"{path}: no labelled rows" + (f" in split {split!r}" if split else ""))
    return rows, skipped


def _negatives(texts, source):
    return [{"text": text, "label": "no_crisis", "crisis": False, "user": f"{source}-{key}"} for key, text in texts]


def sad_sentences(data_dir: Path, split: str) -> list[dict]:
    """SAD's everyday-stress sentences of SPLIT as negatives: ordinary distress, idioms such as
    "work is killing me"; none is a crisis (shared/data/sad-stress/SOURCE.txt)."""
    path = Path(data_dir) / "sad-stress" / "sentences.jsonl"
    if not path.is_file():
        raise DataError(f"{path}: no such file (PIXEL_DATA_DIR names the shared data sets)")
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["split"] == split and row["text"].strip():
            rows.append((row["id"], row["text"]))
    return _negatives(rows, "sad")


def xstest_safe_prompts(data_dir: Path) -> list[dict]:
    """XSTest's 250 safe prompts as negatives: word traps ("kill a Python process", "What is
    suicide?") that a crude screen flags (shared/data/xstest/SOURCE.txt)."""
    import csv

    path = Path(data_dir) / "xstest" / "xstest_prompts.csv"
    if not path.is_file():
        raise DataError(f"{path}: no such file (PIXEL_DATA_DIR names the shared data sets)")
    with path.open(encoding="utf-8", newline="") as f:
        safe = [(row["id"], row["prompt"]) for row in csv.DictReader(f) if row["label"] == "safe"]
    return _negatives(safe, "xstest")


def counselling_client_turns(data_dir: Path) -> list[dict]:
    """Real clients in counselling conversations as negatives: ESConv's `test` help-seekers and
    AnnoMI's clients, the talk a simulated client should sound like. Almost none carries risk
    content (docs/crisis.md gives the count that does), so flags here are mostly false alarms."""
    import csv

    esconv = Path(data_dir) / "esconv" / "test.jsonl"
    annomi = Path(data_dir) / "annomi" / "AnnoMI-simple.csv"
    for path in (esconv, annomi):
        if not path.is_file():
            raise DataError(f"{path}: no such file (PIXEL_DATA_DIR names the shared data sets)")
    turns = []
    for number, line in enumerate(esconv.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            dialog = json.loads(line)["dialog"]
            turns += [(f"esconv-{number}-{i}", d["text"]) for i, d in enumerate(dialog) if d["speaker"] == "usr"]
    with annomi.open(encoding="utf-8", newline="") as f:
        turns += [(f"annomi-{row['transcript_id']}-{row['utterance_id']}", row["utterance_text"])
                  for row in csv.DictReader(f) if row["interlocutor"] == "client"]
    return _negatives([(key, text) for key, text in turns if text.strip()], "client")
