"""Reading labelled JSONL for training and evaluation."""

import hashlib
import json
from pathlib import Path

from modelserve.jsonl import objects

CRISIS_LABELS = {"ideation", "behavior", "attempt"}
CSSRS_LABELS = {"supportive", "indicator", "ideation", "behavior", "attempt", "uninformative"}
BINARY_LABELS = {"crisis", "no_crisis"}


class DataError(ValueError):
    pass


def gaur_posts(data_dir: Path) -> Path:
    path = Path(data_dir) / "gaur2019-reddit-cssrs" / "posts.jsonl"
    _require(path)
    return path


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
    _require(path)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["split"] == split and row["text"].strip():
            rows.append((row["id"], row["text"]))
    return _negatives(rows, "sad")


XSTEST_TEST_SHARE = 0.5


def xstest_split(prompt_id) -> str:
    """XSTest has no split of its own: half its safe prompts (by a hash of the id) are `test`, the
    word traps the message model is measured on; the other half it learns from as ordinary talk."""
    digest = hashlib.sha256(f"xstest-{prompt_id}".encode()).hexdigest()
    return "test" if int(digest[:8], 16) / 0xFFFFFFFF < XSTEST_TEST_SHARE else "train"


def xstest_safe_prompts(data_dir: Path, split: str | None = "test") -> list[dict]:
    """XSTest's safe prompts as negatives: word traps ("kill a Python process", "What is suicide?")
    that a crude screen flags (shared/data/xstest/SOURCE.txt). SPLIT "test" (the default, what
    crisis_eval measures), "train" (what the message model learns from) or None for all 250."""
    import csv

    path = Path(data_dir) / "xstest" / "xstest_prompts.csv"
    _require(path)
    with path.open(encoding="utf-8", newline="") as f:
        safe = [(row["id"], row["prompt"]) for row in csv.DictReader(f)
                if row["label"] == "safe" and (split is None or xstest_split(row["id"]) == split)]
    return _negatives(safe, "xstest")


ANNOMI_TEST_SHARE = 0.3


def annomi_split(transcript_id) -> str:
    """AnnoMI has no split of its own: a transcript is `test` by a hash of its id (about 30%), so
    the message model never learns from the transcripts it is measured on."""
    digest = hashlib.sha256(f"annomi-{transcript_id}".encode()).hexdigest()
    return "test" if int(digest[:8], 16) / 0xFFFFFFFF < ANNOMI_TEST_SHARE else "train"


def _require(*paths):
    # Each file read here sits at the top of its set's folder, so the folder names the set.
    # The wording follows training.data.datacheck's, which modelserve does not import.
    for path in paths:
        if not path.is_file():
            raise DataError(f"{path}: no such file: it belongs to the licensed data set {path.parent.name}, read from "
                            "PIXEL_DATA_DIR (default ../shared/data beside the clone). See docs/data.md; "
                            "`python3 -m training.data.datacheck` lists what is missing.")


def _esconv_turns(path, speaker):
    """(conversation number, turn number, text) of SPEAKER ("usr" seeker, "sys" supporter) in PATH."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            for i, turn in enumerate(json.loads(line)["dialog"]):
                if turn["speaker"] == speaker and turn["text"].strip():
                    yield number, i, turn["text"]


def _annomi_turns(path, interlocutor, split):
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["interlocutor"] == interlocutor and annomi_split(row["transcript_id"]) == split and row["utterance_text"].strip():
                yield row["transcript_id"], row["utterance_id"], row["utterance_text"]


def counselling_client_turns(data_dir: Path) -> list[dict]:
    """Real clients in counselling conversations as negatives: ESConv's `test` help-seekers and
    the clients of AnnoMI's `test` transcripts (annomi_split), the talk a simulated client should
    sound like. Almost none carries risk content (docs/crisis.md gives the count that does), so
    flags here are mostly false alarms."""
    esconv = Path(data_dir) / "esconv" / "test.jsonl"
    annomi = Path(data_dir) / "annomi" / "AnnoMI-simple.csv"
    _require(esconv, annomi)
    turns = [(f"esconv-{n}-{i}", text) for n, i, text in _esconv_turns(esconv, "usr")]
    turns += [(f"annomi-{t}-{u}", text) for t, u, text in _annomi_turns(annomi, "client", "test")]
    return _negatives(turns, "client")


# How many turns of each real source the message model learns from as ordinary talk: enough to
# cover how people write, few enough that a retrain (two fine-tuning runs on 2 cores) stays near 15 minutes.
NEGATIVE_CAPS = {"esconv-seeker": 3000, "esconv-supporter": 1500, "annomi-client": 1500, "annomi-therapist": 1500}
# The next turns of each source, which the fit never reads: the message model's thresholds are
# chosen on them (message_train.py), so that its false-alarm targets are measured on talk it did not learn.
CALIBRATION_CAPS = {"esconv-seeker": 2000, "esconv-supporter": 500, "annomi-client": 1000, "annomi-therapist": 500}


def _by_hash(items, source):
    # The same order on every run: by the hashes of the items' keys.
    return sorted(items, key=lambda kv: hashlib.sha256(f"{source}:{kv[0]}".encode()).hexdigest())


def _counselling_turns(data_dir: Path) -> dict:
    """{source: [(group, text), ...] in hash order} for the training side of ESConv and AnnoMI."""
    esconv = [data_dir / "esconv" / f"{split}.jsonl" for split in ("train", "valid")]
    annomi = data_dir / "annomi" / "AnnoMI-simple.csv"
    _require(*esconv, annomi)
    out = {}
    for speaker, source in (("usr", "esconv-seeker"), ("sys", "esconv-supporter")):
        items = [((path.stem, n, i), text) for path in esconv for n, i, text in _esconv_turns(path, speaker)]
        out[source] = [(f"esconv-{key[0]}-{key[1]}", text) for key, text in _by_hash(items, source)]
    for interlocutor in ("client", "therapist"):
        source = f"annomi-{interlocutor}"
        items = [((t, u), text) for t, u, text in _annomi_turns(annomi, interlocutor, "train")]
        out[source] = [(f"annomi-{key[0]}", text) for key, text in _by_hash(items, source)]
    return out


def training_negatives(data_dir: Path) -> list[dict]:
    """Ordinary talk the message model learns as level none, from the training parts only: SAD
    `train`, XSTest's `train` half of safe prompts, ESConv `train`/`valid` seekers and supporters,
    AnnoMI `train` clients and therapists
    (the supporters and therapists are the questions and reflections a trainee also writes).
    Rows: {"text", "group", "source"}; GROUP keeps a conversation in one cross-validation fold."""
    data_dir = Path(data_dir)
    rows = [{"text": r["text"], "group": r["user"], "source": "sad"} for r in sad_sentences(data_dir, "train")]
    rows += [{"text": r["text"], "group": r["user"], "source": "xstest"} for r in xstest_safe_prompts(data_dir, "train")]
    for source, items in _counselling_turns(data_dir).items():
        rows += [{"text": text, "group": group, "source": source} for group, text in items[:NEGATIVE_CAPS[source]]]
    return rows


def calibration_negatives(data_dir: Path) -> list[dict]:
    """Training-side counselling turns after the ones training_negatives takes (CALIBRATION_CAPS
    of each source), as rows like its own. No `test` split is read."""
    rows = []
    for source, items in _counselling_turns(Path(data_dir)).items():
        start = NEGATIVE_CAPS[source]
        rows += [{"text": text, "group": group, "source": source}
                 for group, text in items[start:start + CALIBRATION_CAPS[source]]]
    return rows
