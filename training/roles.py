"""The role classifier's data: AnnoMI and ESConv utterances with their speaker, split by conversation.

Kept in training (not modelserve) because it reads the licensed corpora through training's
importers; modelserve.roleclf only fits, stores and applies the model.
"""

from pathlib import Path

from modelserve import roleclf
from training.data.examples import split_of
from training.data.sources import SOURCES, read_annomi, read_esconv
from training.data.steps import normalise_text

HELD_OUT_FRACTION = 0.2


def role_rows(data_dir: Path, limit: int | None = None) -> dict[str, list[tuple[str, str]]]:
    """{"train", "held_out", "esconv_test"}: (text, role) rows; no conversation straddles two."""
    rows = {"train": [], "held_out": [], "esconv_test": []}
    conversations = [*read_esconv(data_dir / SOURCES["esconv"].path, limit=limit),
                     *read_annomi(data_dir / SOURCES["annomi"].path, limit=limit)]
    for conv in conversations:
        split = "held_out" if split_of(conv.group, HELD_OUT_FRACTION, seed="roleclf") == "valid" else "train"
        for turn in conv.turns:
            text = normalise_text(turn.text)
            if len(text.split()) >= 2:  # "Mm-hmm." says nothing about who speaks
                rows[split].append((text, turn.role))
    for conv in read_esconv(data_dir / SOURCES["esconv"].path, splits=("test",), limit=limit):
        rows["esconv_test"].extend((normalise_text(t.text), t.role) for t in conv.turns if len(t.text.split()) >= 2)
    return rows


def train_role_classifier(data_dir: Path, out: Path | None = roleclf.ARTIFACT_DIR, limit: int | None = None):
    rows = role_rows(Path(data_dir), limit)
    meta = {"version": "roleclf-1", "sources": ["annomi", "esconv"], "split": "by conversation, sha256 mod, 20% held out",
            "limit": limit}
    return roleclf.train(rows["train"], {"held_out": rows["held_out"], "esconv_test": rows["esconv_test"]}, out, meta)
