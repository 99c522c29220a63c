"""The dataset pipeline, start to finish: import, clean, label, report, write (docs/training.md).

    manifest, folder = build(options, out_root)

No database here: training.actions.do_build_dataset records the result as a DatasetVersion, and
`manage.py build_dataset` and the Celery task both call that.
"""

import hashlib
import json
import platform
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from modelserve.prompt import CLIENT_MODE, COUNSELLOR_MODE, PROMPT_FORMAT_VERSION
from training.data import steps
from training.data.examples import conversation_examples, packed_sequences, split_of, target_key
from training.data.sources import SOURCES, read_all

PIPELINE_VERSION = "2"  # 2: repeated and stock-phrase targets dropped


@dataclass
class BuildOptions:
    sources: list[str] = field(default_factory=lambda: list(SOURCES))
    exclude_noncommercial: bool = False
    limit: int | None = None  # conversations per source, for quick builds
    extra_jsonl: list[dict] = field(default_factory=list)  # [{"path", "name", "licence", "commercial"}]
    near_dup_threshold: float = 0.8
    quality_threshold: float = 0.5
    valid_fraction: float = 0.1
    modes: list[str] = field(default_factory=lambda: [CLIENT_MODE, COUNSELLOR_MODE])
    # Short contexts keep CPU steps short (docs/training.md, "Speed"); served prompts may be longer.
    max_context_turns: int = 6
    max_prompt_chars: int = 1200
    max_target_words: int = 120
    # Turns the same speaker already said in the conversation are not targets (examples.py).
    drop_repeated_targets: bool = True
    # A client turn found word for word more often than this across the training data ("I don't
    # know what to do") is kept this many times: stock phrases otherwise dominate what the model
    # learns to say, and a model with few phrases repeats itself. null keeps all.
    max_target_repeats: int | None = 3
    use_role_classifier: bool = True
    # Also write train_packed.jsonl: the client targets a conversation window to a sequence, the
    # recipe's cheap way to a full epoch (examples.packed_sequences). Windows end before this many
    # characters (~600 tokens).
    packed: bool = True
    packed_max_chars: int = 2400
    split_seed: str = "pixel"


def _counts(conversations) -> dict:
    by_source = Counter(c.source for c in conversations)
    return {"conversations": len(conversations), "turns": sum(len(c.turns) for c in conversations),
            "by_source": dict(sorted(by_source.items()))}


class Progress:
    """Calls back with (stage, done, total) so a command can draw bars and a task can log."""

    def __init__(self, callback: Callable[[str, int, int], None] | None):
        self.callback = callback

    def __call__(self, stage, done=0, total=0):
        if self.callback:
            self.callback(stage, done, total)


def run_pipeline(options: BuildOptions, data_dir: Path, progress=None):
    """(manifest, train examples, valid examples, packed sequences) for OPTIONS; nothing is written."""
    progress = Progress(progress)
    started = time.monotonic()
    manifest = {"pipeline_version": PIPELINE_VERSION, "prompt_format_version": PROMPT_FORMAT_VERSION,
                "options": asdict(options), "steps": [], "sources": {}}
    conversations = read_sources(options, data_dir, manifest, progress)
    for name, clean in CLEANING_STEPS:
        conversations = _apply(manifest, name, clean, conversations, options, progress)
    progress("bias")
    manifest["bias_report"] = steps.bias_report(conversations)
    train, valid, train_conversations, stats = build_examples(conversations, options, progress)
    train = cap_stock_phrases(train, options, stats, manifest)
    packed = pack(train, train_conversations, options)
    straddling = {e["group"] for e in train} & {e["group"] for e in valid}
    assert not straddling, "a conversation group straddles train and valid"
    manifest["splits"] = describe_splits(train, valid, packed)
    manifest["licences"] = sorted({f"{e['source']}: {e['licence']}" for e in train + valid})
    manifest["seconds"] = round(time.monotonic() - started, 1)
    manifest["python"] = platform.python_version()
    return manifest, train, valid, packed


def _note(manifest: dict, name: str, before, after, **details) -> None:
    manifest["steps"].append({"step": name, "before": before, "after": after, **details})


def _apply(manifest: dict, name: str, clean, conversations, options: BuildOptions, progress: Progress):
    """CLEAN(conversations, options, progress) -> (conversations, details), noted in the manifest
    under NAME with the counts before and after it."""
    before = _counts(conversations)
    conversations, details = clean(conversations, options, progress)
    _note(manifest, name, before, _counts(conversations), **details)
    return conversations


def read_sources(options: BuildOptions, data_dir: Path, manifest: dict, progress: Progress) -> list:
    """Every selected source's conversations; each source's licence goes into the manifest."""
    progress("import")
    extra = [(Path(e["path"]), {k: v for k, v in e.items() if k != "path"}) for e in options.extra_jsonl]
    conversations = list(read_all(data_dir, sources=options.sources, limit=options.limit, extra_jsonl=extra))
    for conv in conversations:
        info = manifest["sources"].setdefault(conv.source, {"licence": conv.licence, "commercial": conv.commercial,
                                                            "conversations": 0})
        info["conversations"] += 1
    _note(manifest, "import", None, _counts(conversations))
    return conversations


# ---------------------------------------------------------------- cleaning steps

def filter_licences(conversations, options, progress):
    if options.exclude_noncommercial:
        conversations = [c for c in conversations if c.commercial]
    return conversations, {"exclude_noncommercial": options.exclude_noncommercial}


def normalise(conversations, options, progress):
    progress("normalise")
    return steps.normalise(conversations), {}


def drop_exact_duplicates(conversations, options, progress):
    progress("deduplicate")
    conversations, dropped = steps.remove_exact_duplicates(conversations)
    return conversations, {"dropped": dropped[:50]}


def drop_near_duplicates(conversations, options, progress):
    conversations, near = steps.remove_near_duplicates(conversations, threshold=options.near_dup_threshold)
    return conversations, {"threshold": options.near_dup_threshold,
                           "dropped": [{"dropped": a, "kept": b} for a, b in near[:50]]}


def scrub(conversations, options, progress):
    progress("scrub")
    conversations, replaced = steps.scrub(conversations)
    return conversations, {"replaced": dict(replaced)}


def filter_quality(conversations, options, progress):
    progress("quality")
    role_model = None
    if options.use_role_classifier:
        from modelserve import roleclf

        role_model = roleclf.get() if roleclf.artifact_exists() else None
    conversations, low, reasons = steps.score_quality(conversations, options.quality_threshold, role_model)
    return conversations, {"threshold": options.quality_threshold, "role_classifier": role_model is not None,
                           "weakest_component_of_dropped": dict(reasons), "dropped": low[:50]}


def label_crisis(conversations, options, progress):
    progress("crisis", 0, len(conversations))
    levels = steps.label_crisis(conversations)
    return conversations, {"conversation_levels": dict(levels)}


# In order, each with its name in the manifest's "steps".
CLEANING_STEPS = (
    ("licence_filter", filter_licences),
    ("normalise", normalise),
    ("exact_duplicates", drop_exact_duplicates),
    ("near_duplicates", drop_near_duplicates),
    ("scrub_personal_data", scrub),
    ("quality", filter_quality),
    ("crisis_labels", label_crisis),
)


# ---------------------------------------------------------------- examples

def build_examples(conversations, options: BuildOptions, progress: Progress):
    """(train, valid, train conversations, stats): each conversation's examples, in the split of
    its group."""
    progress("examples", 0, len(conversations))
    train, valid, stats = [], [], Counter()
    train_conversations = []
    for done, conv in enumerate(conversations, 1):
        split = split_of(conv.group, options.valid_fraction, options.split_seed)
        examples = conversation_examples(conv, modes=tuple(options.modes), max_context_turns=options.max_context_turns,
                                         max_prompt_chars=options.max_prompt_chars, max_target_words=options.max_target_words,
                                         drop_repeated_targets=options.drop_repeated_targets, stats=stats)
        (valid if split == "valid" else train).extend(examples)
        if split != "valid":
            train_conversations.append(conv)
        if done % 200 == 0:
            progress("examples", done, len(conversations))
    return train, valid, train_conversations, stats


def cap_stock_phrases(train: list[dict], options: BuildOptions, stats: Counter, manifest: dict) -> list[dict]:
    before = len(train)
    train, capped = cap_repeated_targets(train, options.max_target_repeats)
    _note(manifest, "stock_phrases", {"examples": before}, {"examples": len(train)},
          max_target_repeats=options.max_target_repeats, most_repeated=capped[:30],
          repeated_in_conversation_dropped=stats["repeated_targets"])
    return train


def pack(train: list[dict], train_conversations, options: BuildOptions) -> list[dict]:
    """The same client targets, packed a conversation to a sequence (examples.packed_sequences):
    the turns the steps before kept, and no others."""
    if not (options.packed and CLIENT_MODE in options.modes):
        return []
    kept = {e["id"] for e in train if e["mode"] == CLIENT_MODE}
    packed = []
    for conv in train_conversations:
        targets = {i for i in range(len(conv.turns)) if f"{conv.id}#{i}" in kept}
        if targets:
            packed += packed_sequences(conv, targets, max_chars=options.packed_max_chars,
                                       max_target_words=options.max_target_words)
    return packed


def _example_counts(rows: list[dict]) -> dict:
    return {"examples": len(rows), "by_mode": dict(sorted(Counter(e["mode"] for e in rows).items())),
            "by_source": dict(sorted(Counter(e["source"] for e in rows).items())),
            "by_crisis_level": dict(sorted(Counter(e["crisis_level"] for e in rows).items())),
            "conversations": len({e["conversation_id"] for e in rows})}


def describe_splits(train: list[dict], valid: list[dict], packed: list[dict]) -> dict:
    splits = {"train": _example_counts(train), "valid": _example_counts(valid)}
    if packed:
        splits["train_packed"] = {
            "sequences": len(packed), "targets": sum(r["targets"] for r in packed),
            "conversations": len({r["conversation_id"] for r in packed}),
            "by_source": dict(sorted(Counter(r["source"] for r in packed).items()))}
    return splits


def cap_repeated_targets(examples: list[dict], limit: int | None) -> tuple[list[dict], list[dict]]:
    """EXAMPLES with each (mode, completion words) kept at most LIMIT times, in order; and the
    most frequent completions with how often they occurred."""
    if limit is None:
        return examples, []
    seen, kept = Counter(), []
    for example in examples:
        key = (example["mode"], target_key(example["completion"]))
        seen[key] += 1
        if seen[key] <= limit:
            kept.append(example)
    capped = [{"mode": mode, "text": text, "occurrences": n} for (mode, text), n in seen.most_common() if n > limit]
    return kept, capped


def _write_jsonl(path: Path, rows) -> str:
    digest = hashlib.sha256()
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            line = json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"
            f.write(line)
            digest.update(line.encode())
    return digest.hexdigest()


def write_dataset(manifest: dict, train: list[dict], valid: list[dict], out_root: Path,
                  packed: list[dict] = ()) -> tuple[str, Path]:
    """Write under OUT_ROOT/<version>/; the version name is the content hash, so a rebuild of the
    same data with the same options lands on the same name."""
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    tmp = out_root / f".building-{time.time_ns()}"
    tmp.mkdir()
    try:
        files = {"train.jsonl": _write_jsonl(tmp / "train.jsonl", train),
                 "valid.jsonl": _write_jsonl(tmp / "valid.jsonl", valid)}
        if packed:
            files["train_packed.jsonl"] = _write_jsonl(tmp / "train_packed.jsonl", packed)
        content = hashlib.sha256(json.dumps({"files": files, "options": manifest["options"],
                                             "prompt_format_version": manifest["prompt_format_version"]},
                                            sort_keys=True).encode()).hexdigest()
        version = f"ds-{content[:12]}"
        manifest = {**manifest, "version": version, "content_hash": content, "files": files}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        final = out_root / version
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return version, final


def read_manifest(folder: Path) -> dict:
    return json.loads((Path(folder) / "manifest.json").read_text())
