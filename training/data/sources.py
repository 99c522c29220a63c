"""Importers: each counselling corpus into one conversation schema.

A Conversation is a list of client/counsellor turns with where it came from, its licence, and a
`context` of what the data knows about the client (ESConv's situation, AnnoMI's topic, MIBot's
smoking). `counsellor_targets` says whether the counsellor's turns are good enough to teach
counsellor mode (ESConv supporters, high-quality AnnoMI therapists, counsel-chat answers) or are
there only as context (low-quality AnnoMI, MIBot's GPT-4o counsellor).

Licences (each folder's SOURCE.txt): docs/training.md, "Sources and licences".
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from training.data.datacheck import require

CLIENT = "client"
COUNSELLOR = "counsellor"
ROLES = (CLIENT, COUNSELLOR)


@dataclass(frozen=True)
class Source:
    name: str
    licence: str
    commercial: bool  # False: the licence forbids commercial use (dropped by --exclude-noncommercial)
    path: str  # relative to PIXEL_DATA_DIR


SOURCES = {
    "esconv": Source("esconv", "CC BY-NC 4.0", False, "esconv"),
    "annomi": Source("annomi", "Public domain (authors' statement)", True, "annomi/AnnoMI-simple.csv"),
    "mibot": Source("mibot", "CC BY-SA 4.0", True, "mibot-mi-smoking/transcripts"),
    "counselchat": Source("counselchat", "MIT", True, "counsel-chat/20200325_counsel_chat.csv"),
}


@dataclass
class Utterance:
    role: str
    text: str
    meta: dict = field(default_factory=dict)


@dataclass
class Conversation:
    id: str  # unique across sources: "<source>:<native id>"
    source: str
    licence: str
    commercial: bool
    turns: list[Utterance]
    context: dict = field(default_factory=dict)  # persona facts: presenting_problem, topic, emotion...
    metadata: dict = field(default_factory=dict)
    counsellor_targets: bool = True
    # Conversations sharing a group (counsel-chat answers to one question) go to the same split.
    group: str = ""

    def __post_init__(self):
        self.group = self.group or self.id

    def to_json(self) -> dict:
        return {"id": self.id, "source": self.source, "licence": self.licence, "commercial": self.commercial,
                "group": self.group, "context": self.context, "metadata": self.metadata,
                "counsellor_targets": self.counsellor_targets,
                "turns": [{"role": t.role, "text": t.text, **({"meta": t.meta} if t.meta else {})} for t in self.turns]}


def read_esconv(folder: Path, splits=("train", "valid"), limit: int | None = None) -> Iterator[Conversation]:
    """ESConv (Liu et al. 2021): usr = help-seeker (client), sys = supporter (counsellor).

    The 'test' split is kept out of training on purpose: it is for measuring only.
    """
    src = SOURCES["esconv"]
    count = 0
    for split in splits:
        with open(require(Path(folder) / f"{split}.jsonl"), encoding="utf-8") as f:
            for number, line in enumerate(f):
                if limit is not None and count >= limit:
                    return
                if not line.strip():
                    continue
                item = json.loads(line)
                turns = [Utterance(CLIENT if d["speaker"] == "usr" else COUNSELLOR, d["text"],
                                   {"strategy": d["strategy"]} if d.get("strategy") else {})
                         for d in item["dialog"]]
                context = {"presenting_problem": item.get("situation", ""), "emotion": item.get("emotion_type", ""),
                           "problem_type": item.get("problem_type", "")}
                count += 1
                yield Conversation(f"esconv:{split}:{number}", src.name, src.licence, src.commercial, turns, context,
                                   {"split": split, "experience_type": item.get("experience_type", "")})


def read_annomi(path: Path, limit: int | None = None) -> Iterator[Conversation]:
    """AnnoMI (Wu et al. 2022): demonstration MI sessions; low-quality therapists are context only."""
    src = SOURCES["annomi"]
    by_id: dict[str, list[dict]] = {}
    with open(require(path), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_id.setdefault(row["transcript_id"], []).append(row)
    for count, (tid, rows) in enumerate(sorted(by_id.items(), key=lambda kv: int(kv[0]))):
        if limit is not None and count >= limit:
            return
        rows.sort(key=lambda r: int(r["utterance_id"]))
        turns = [Utterance(COUNSELLOR if r["interlocutor"] == "therapist" else CLIENT, r["utterance_text"],
                           {k: r[k] for k in ("main_therapist_behaviour", "client_talk_type") if r.get(k, "n/a") != "n/a"})
                 for r in rows]
        first = rows[0]
        quality = first["mi_quality"]
        yield Conversation(f"annomi:{tid}", src.name, src.licence, src.commercial, turns,
                           {"topic": first["topic"].strip()},
                           {"mi_quality": quality, "video_title": first["video_title"]},
                           counsellor_targets=quality == "high")


def read_mibot(folder: Path, limit: int | None = None) -> Iterator[Conversation]:
    """MIBot (Mahmood et al. 2025): real smokers talking with a GPT-4o MI counsellor.

    The clients are real people, so their turns teach client mode; the counsellor is a model, so
    its turns are context only.
    """
    src = SOURCES["mibot"]
    # A missing folder would glob to nothing and look like an empty corpus: refuse it instead.
    for count, path in enumerate(sorted(require(folder).glob("*.json"))):
        if limit is not None and count >= limit:
            return
        item = json.loads(path.read_text(encoding="utf-8"))
        utterances = sorted(item["utterances"], key=lambda u: u["utterance_number"])
        turns = [Utterance(CLIENT if u["speaker"] == "client" else COUNSELLOR, u["text"],
                           {"misc": u["auto_misc_label"]} if u.get("auto_misc_label") else {}) for u in utterances]
        yield Conversation(f"mibot:{item.get('participant_id') or path.stem}", src.name, src.licence, src.commercial,
                           turns, {"topic": "smoking", "presenting_problem": "smokes cigarettes and is unsure about quitting"},
                           {"file": path.name}, counsellor_targets=False)


def read_counselchat(path: Path, limit: int | None = None) -> Iterator[Conversation]:
    """counsel-chat: a question from the public and one licensed therapist's answer per row."""
    src = SOURCES["counselchat"]
    with open(require(path), encoding="utf-8", newline="") as f:
        for count, row in enumerate(csv.DictReader(f)):
            if limit is not None and count >= limit:
                return
            question = " ".join(x for x in (row.get("questionTitle", ""), row.get("questionText", "")) if x and x.strip())
            answer = row.get("answerText") or ""
            turns = [Utterance(CLIENT, question), Utterance(COUNSELLOR, answer)]
            yield Conversation(f"counselchat:{row['questionID']}:{count}", src.name, src.licence, src.commercial, turns,
                               {"topic": row.get("topic", "")}, {"upvotes": row.get("upvotes", ""), "split": row.get("split", "")},
                               group=f"counselchat:{row['questionID']}")


_ROLE_ALIASES = {"client": CLIENT, "user": CLIENT, "patient": CLIENT, "seeker": CLIENT, "usr": CLIENT,
                 "counsellor": COUNSELLOR, "counselor": COUNSELLOR, "therapist": COUNSELLOR, "assistant": COUNSELLOR,
                 "supporter": COUNSELLOR, "sys": COUNSELLOR}


def read_chat_jsonl(path: Path, *, name: str = "", licence: str = "", commercial: bool = False,
                    limit: int | None = None) -> Iterator[Conversation]:
    """Any chat corpus, one conversation a line:

        {"id": "...", "messages": [{"role": "user|client|assistant|counsellor|...", "content": "..."}],
         "context": {"presenting_problem": "..."}, "licence": "...", "commercial": false,
         "counsellor_targets": true}

    Per-line licence and commercial flags override the defaults; unknown licences count as
    non-commercial. System messages are dropped (the prompt header is built by build_prompt).
    """
    name = name or Path(path).stem
    with open(path, encoding="utf-8") as f:
        count = 0
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            if limit is not None and count >= limit:
                return
            item = json.loads(line)
            turns = []
            for message in item.get("messages") or item.get("turns") or []:
                role = _ROLE_ALIASES.get(str(message.get("role", "")).lower())
                text = message.get("content", message.get("text", ""))
                if role is None:
                    if str(message.get("role", "")).lower() == "system":
                        continue
                    raise ValueError(f"{path}:{number}: unknown role {message.get('role')!r}")
                turns.append(Utterance(role, str(text)))
            count += 1
            yield Conversation(f"{name}:{item.get('id', number)}", name, str(item.get("licence", licence) or "unknown"),
                               bool(item.get("commercial", commercial)), turns, dict(item.get("context") or {}),
                               {"line": number}, counsellor_targets=bool(item.get("counsellor_targets", True)))


def read_all(data_dir: Path, *, sources=tuple(SOURCES), limit: int | None = None,
             extra_jsonl: list[tuple[Path, dict]] = ()) -> Iterator[Conversation]:
    data_dir = Path(data_dir)
    readers = {
        "esconv": lambda: read_esconv(data_dir / SOURCES["esconv"].path, limit=limit),
        "annomi": lambda: read_annomi(data_dir / SOURCES["annomi"].path, limit=limit),
        "mibot": lambda: read_mibot(data_dir / SOURCES["mibot"].path, limit=limit),
        "counselchat": lambda: read_counselchat(data_dir / SOURCES["counselchat"].path, limit=limit),
    }
    for name in sources:
        yield from readers[name]()
    for path, options in extra_jsonl:
        yield from read_chat_jsonl(path, limit=limit, **options)
