"""The GPU session script (training/recipes/device_session.py), tried here on CPU as the issue asks:
the carry is split under the per-call limit, and a run of a tiny step count trains and reports."""

import json

from tests.training.test_recipe import LINES
from training.data.examples import packed_sequences
from training.data.sources import CLIENT, COUNSELLOR, Conversation, Utterance
from training.recipes import device_session


def test_prepare_splits_the_wheels_and_dataset_into_carries_under_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(device_session, "CARRY_LIMIT", 1000)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name, size in (("part1.whl", 900), ("part2.whl", 800), ("part3.whl", 700), ("gguf.whl", 150), ("glue.whl", 20)):
        (wheels / name).write_bytes(b"x" * size)
    dataset = tmp_path / "ds"
    dataset.mkdir()
    for name in device_session.DATASET_FILES:
        (dataset / name).write_text("{}\n")
    folders = device_session.prepare(dataset, tmp_path / "device", wheels_from=wheels)
    carried = sorted(p.name for folder in folders for p in folder.iterdir())
    assert carried == ["dataset", "gguf.whl", "glue.whl", "part1.whl", "part2.whl", "part3.whl"]
    assert len(folders) == 3  # each part needs its own call; the small pieces ride along
    for folder in folders:
        assert sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) <= 1000


def test_a_run_of_a_tiny_step_count_trains_and_writes_its_session_record(tmp_path):
    folder = tmp_path / "dataset"
    folder.mkdir()
    rows = []
    for i in range(8):
        turns = [Utterance(COUNSELLOR if j % 2 == 0 else CLIENT, text)
                 for pair in LINES[: 1 + i % len(LINES)] for j, text in enumerate(reversed(pair))]
        rows += packed_sequences(Conversation(f"d:{i}", "test", "MIT", True, turns, {"presenting_problem": "stress"}),
                                 {k for k, u in enumerate(turns) if u.role == CLIENT})
    (folder / "train_packed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    valid = [{"mode": "client", "prompt": "<pixel:client>\nAlex:", "completion": " I haven't been sleeping.\n"}]
    (folder / "valid.jsonl").write_text("".join(json.dumps(r) + "\n" for r in valid))
    (folder / "manifest.json").write_text(json.dumps({"content_hash": "abc123"}))
    session = device_session.run(steps=2, out=tmp_path / "out", dataset=folder, device="cpu", batch_size=2,
                                 model="tiny", eval_every=1)
    assert session["steps"] == 2 and session["dataset_hash"] == "abc123"
    assert session["hardware"]["device"] == "cpu" and session["tokens_per_s"] > 0
    assert json.loads((tmp_path / "out" / "session.json").read_text())["best_step"] in (1, 2)
