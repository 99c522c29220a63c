"""Reading the licensed data sets from settings.PIXEL_DATA_DIR (never copied into the repository).

Every split is by conversation (AnnoMI transcript, EPITOME seeker post), never by utterance:
utterances of one conversation share words and speakers, and a split by utterance would let the
test set leak into training. The held-out fifth is fixed by a hash of the id, so it never moves
when rows are added or the code is reordered. It is measured on, never fitted or tuned on.
"""

import csv
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

from django.conf import settings

from training.data.datacheck import require

# AnnoMI's therapist_input subtypes folded into our "advice" code: options and goal negotiation
# steer the client towards a course of action just as advice does (MITI counts them together
# under "persuade"/"give information" depending on permission; AnnoMI has too few of each alone).
FINE_FROM_ANNOMI = {
    ("question", "open"): "open_question",
    ("question", "closed"): "closed_question",
    ("reflection", "simple"): "simple_reflection",
    ("reflection", "complex"): "complex_reflection",
    ("therapist_input", "information"): "giving_information",
    ("therapist_input", "advice"): "advice",
    ("therapist_input", "options"): "advice",
    ("therapist_input", "negotiation"): "advice",
    ("other", "n/a"): "other",
}
SUBTYPE_FIELD = {
    "question": "question_subtype",
    "reflection": "reflection_subtype",
    "therapist_input": "therapist_input_subtype",
}
EPITOME_FILES = {
    "emotional_reactions": "emotional-reactions-reddit.csv",
    "interpretations": "interpretations-reddit.csv",
    "explorations": "explorations-reddit.csv",
}
ESCONV_AFFIRMATION = "Affirmation and Reassurance"


def data_dir() -> Path:
    return Path(settings.PIXEL_DATA_DIR)


def held_out(namespace: str, key: str) -> bool:
    """True for the fixed test fifth: a hash, so the split does not depend on row order."""
    return int(hashlib.sha256(f"{namespace}:{key}".encode()).hexdigest(), 16) % 5 == 0


def _read_csv(path):
    with open(require(path), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def annomi_therapist_turns(root: Path | None = None):
    """One dict per therapist utterance of AnnoMI, in transcript order.

    The main behaviour is AnnoMI-simple's label (one per utterance; for the 216 utterances that ten
    annotators coded, the authors' consolidated one). The subtype comes from AnnoMI-full: the most
    common subtype among the annotations that agree with that main behaviour. `prev` is the last
    client utterance before this one, as the simulator has it at scoring time.
    """
    root = root or data_dir() / "annomi"
    full = defaultdict(list)
    for r in _read_csv(root / "AnnoMI-full.csv"):
        full[(r["transcript_id"], r["utterance_id"])].append(r)
    transcripts = defaultdict(list)
    for r in _read_csv(root / "AnnoMI-simple.csv"):
        transcripts[r["transcript_id"]].append(r)
    turns = []
    for tid in sorted(transcripts, key=int):
        prev_client = ""
        for r in sorted(transcripts[tid], key=lambda r: int(r["utterance_id"])):
            if r["interlocutor"] == "client":
                prev_client = r["utterance_text"]
                continue
            main = r["main_therapist_behaviour"]
            subtype = "n/a"
            if main in SUBTYPE_FIELD:
                field = SUBTYPE_FIELD[main]
                votes = Counter(
                    a[field] for a in full[(tid, r["utterance_id"])] if a["main_therapist_behaviour"] == main
                )
                votes.pop("n/a", None)
                subtype = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if votes else "n/a"
            turns.append(
                {
                    "transcript_id": tid,
                    "utterance_id": r["utterance_id"],
                    "mi_quality": r["mi_quality"],
                    "title": r["video_title"],
                    "text": r["utterance_text"],
                    "prev": prev_client,
                    "main": main,
                    "fine": FINE_FROM_ANNOMI.get((main, subtype)),
                    "test": held_out("annomi", tid),
                }
            )
    return turns


def epitome_pairs(dimension: str, root: Path | None = None):
    root = root or data_dir() / "epitome-empathy"
    return [
        {
            "seeker": r["seeker_post"],
            "text": r["response_post"],
            "level": r["level"],
            "test": held_out("epitome", r["sp_id"]),
        }
        for r in _read_csv(root / EPITOME_FILES[dimension])
    ]


def esconv_supporter_turns(split: str, root: Path | None = None):
    """Supporter turns of ESConv's published split, labelled affirmation or not, with the seeker's
    previous turn. ESConv's own train/test split is by conversation already."""
    root = root or data_dir() / "esconv"
    rows = []
    with open(require(root / f"{split}.jsonl"), encoding="utf-8") as f:
        for line in f:
            prev = ""
            for turn in json.loads(line)["dialog"]:
                if turn["speaker"] == "usr":
                    prev = turn["text"]
                elif turn.get("strategy"):
                    rows.append(
                        {
                            "text": turn["text"],
                            "prev": prev,
                            "label": "1" if turn["strategy"] == ESCONV_AFFIRMATION else "0",
                        }
                    )
    return rows
