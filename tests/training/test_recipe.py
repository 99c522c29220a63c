"""The LoRA recipe on a tiny random Gemma 3 (seconds on CPU): the loss falls, runs resume exactly."""

import json

import pytest
import torch

from training.data.examples import conversation_examples, packed_sequences
from training.data.sources import CLIENT, COUNSELLOR, Conversation, Utterance
from training.recipes.lora_single_device import (
    Example,
    apply_lora,
    collate,
    encode,
    encode_packed,
    load_config,
    load_model,
    loss_fn,
    pick_device,
    pick_dtype,
    tiny_tokenizer,
    train,
)

LINES = [
    ("I haven't been sleeping since the move.", "What keeps you up at night?"),
    ("Mostly worrying about money and the new job.", "That is a lot to carry at once."),
    ("My sister says I should just relax.", "How does it feel when she says that?"),
    ("Like she doesn't get it at all.", "You'd like her to understand how hard it is."),
]


def tiny_dataset(folder, n_train=12, n_valid=4):
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_train + n_valid):
        turns = [Utterance(CLIENT if j % 2 == 0 else COUNSELLOR, text)
                 for pair in LINES[: 1 + i % len(LINES)] for j, text in enumerate(pair)]
        rows += conversation_examples(Conversation(f"t:{i}", "test", "MIT", True, turns, {"presenting_problem": "stress"}))
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:n_train * 2]))
    (folder / "valid.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[n_train * 2:]))
    return folder


def tiny_config(folder, **train):
    return load_config(overrides={
        "model": {"source": "tiny", "dtype": "fp32"},
        "dataset": {"path": str(folder), "modes": ["client", "counsellor"], "max_seq_len": 512, "max_valid_examples": 8},
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0},
        "optim": {"lr": 3e-2, "warmup_steps": 0, "scheduler": "constant"},
        "train": {"device": "cpu", "threads": 1, "batch_size": 4, "max_steps": 16, "log_every": 1, "eval_every": 4,
                  "checkpoint_every": 4, "early_stopping_patience": 100, **train},
        "output": {"export_gguf": False},
    })


def test_a_few_cpu_steps_on_a_tiny_model_lower_the_loss(tmp_path):
    folder = tiny_dataset(tmp_path / "ds")
    result = train(tiny_config(folder), tmp_path / "run", resume=False)
    assert result.status == "finished" and result.step == 16
    first, last = result.history[0]["train_loss"], result.history[-1]["train_loss"]
    assert last < first * 0.8, (first, last)
    assert result.best_val_loss < result.first_val_loss
    assert (tmp_path / "run" / "best" / "adapter_model.safetensors").exists()
    assert result.tokens_per_s and result.tokens_per_s > 0
    # every run records where it ran and on which data
    assert result.hardware["device"] == "cpu" and result.hardware["threads"] == 1 and result.hardware["torch"]
    assert result.wall_seconds > 0


def test_a_resumed_run_ends_exactly_where_an_uninterrupted_one_does(tmp_path):
    from safetensors.torch import load_file

    folder = tiny_dataset(tmp_path / "ds")
    straight = train(tiny_config(folder, max_steps=8), tmp_path / "straight", resume=False)
    train(tiny_config(folder, max_steps=4), tmp_path / "resumed", resume=False)
    resumed = train(tiny_config(folder, max_steps=8), tmp_path / "resumed", resume=True)
    assert resumed.step == straight.step == 8
    a = load_file(tmp_path / "straight" / "checkpoint" / "adapter_model.safetensors")
    b = load_file(tmp_path / "resumed" / "checkpoint" / "adapter_model.safetensors")
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    assert [h["train_loss"] for h in straight.history] == pytest.approx([h["train_loss"] for h in resumed.history], abs=1e-5)


def test_early_stopping_stops_when_validation_stops_improving(tmp_path):
    folder = tiny_dataset(tmp_path / "ds")
    # No evaluation can improve on the first by min_delta, so patience runs out after two more.
    result = train(tiny_config(folder, max_steps=40, eval_every=2, early_stopping_patience=2, min_delta=100.0),
                   tmp_path / "run", resume=False)
    assert result.status == "early_stopped" and result.step == 6 and result.best_step == 2


def test_cancel_stops_the_run_and_keeps_a_checkpoint(tmp_path):
    folder = tiny_dataset(tmp_path / "ds")
    calls = []
    result = train(tiny_config(folder, max_steps=50), tmp_path / "run", resume=False,
                   should_stop=lambda: calls.append(1) or len(calls) > 3)
    assert result.status == "cancelled" and result.step == 3
    assert json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())["step"] == 3


def test_loss_at_label_positions_only_equals_the_full_loss():
    device, dtype = pick_device("cpu"), pick_dtype("fp32", pick_device("cpu"))
    model, tok, _ = load_model({"source": "tiny"}, device, dtype)
    model = apply_lora(model, {"r": 4, "alpha": 8, "init_b_std": 0.05})
    examples = [Example(tok("hello there, how are you today?").input_ids, 4), Example(tok("fine").input_ids, 2)]
    ids, mask, labels = collate(examples, tok.pad_token_id, device)
    fast, n_fast = loss_fn(model, ids, mask, labels, positions_only=True)
    full, n_full = loss_fn(model, ids, mask, labels, positions_only=False)
    assert n_fast == n_full and torch.allclose(fast, full, atol=1e-5)


def test_encoding_masks_the_prompt_and_drops_overlong_examples():
    tok = tiny_tokenizer()
    rows = [{"prompt": "<pixel:client>\nMaria:", "completion": " Hi.\n"}, {"prompt": "x" * 600, "completion": " y\n"}]
    examples, dropped = encode(tok, rows, max_seq_len=100)
    assert dropped == 1 and len(examples) == 1
    (e,) = examples
    assert tok.decode(e.input_ids[e.first_target:]) == " Hi.\n"
    assert e.input_ids[0] == tok.bos_token_id


def test_a_packed_sequence_gives_the_same_loss_as_one_example_a_turn():
    """The packed file is a cheaper way to the same objective, not another one: over the same
    targets, token-weighted, the loss is that of one served prompt a turn."""
    device, dtype = pick_device("cpu"), pick_dtype("fp32", pick_device("cpu"))
    model, tok, _ = load_model({"source": "tiny"}, device, dtype)
    model = apply_lora(model, {"r": 4, "alpha": 8, "init_b_std": 0.05})
    turns = [Utterance(COUNSELLOR if j % 2 == 0 else CLIENT, text) for pair in LINES for j, text in enumerate(reversed(pair))]
    conv = Conversation("t:packed", "test", "MIT", True, turns, {"presenting_problem": "stress"})
    rows = conversation_examples(conv, modes=("client",))
    (packed_row,) = packed_sequences(conv, {i for i, u in enumerate(turns) if u.role == CLIENT})
    singles, _ = encode(tok, rows, 4096)
    (packed,), _ = encode_packed(tok, [packed_row], 4096)
    assert len(packed.spans) == len(singles) == 4

    def total(examples):
        ids, mask, labels = collate(examples, tok.pad_token_id, device)
        loss, n = loss_fn(model, ids, mask, labels)
        return float(loss) * n, n

    with torch.no_grad():
        (a, n_a), (b, n_b) = total(singles), total([packed])
    assert n_a == n_b and a == pytest.approx(b, rel=1e-4)


def test_training_on_packed_sequences_lowers_the_loss(tmp_path):
    folder = tiny_dataset(tmp_path / "ds")
    rows = []
    for i in range(12):
        turns = [Utterance(COUNSELLOR if j % 2 == 0 else CLIENT, text)
                 for pair in LINES[: 1 + i % len(LINES)] for j, text in enumerate(reversed(pair))]
        conv = Conversation(f"p:{i}", "test", "MIT", True, turns, {"presenting_problem": "stress"})
        rows += packed_sequences(conv, {k for k, u in enumerate(turns) if u.role == CLIENT})
    (folder / "train_packed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = tiny_config(folder)
    cfg["dataset"].update(modes=["client"], packed=True)
    result = train(cfg, tmp_path / "run", resume=False)
    log = (tmp_path / "run" / "train.log").read_text()
    assert "12 train sequences" in log
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"] * 0.8
    assert result.best_val_loss < result.first_val_loss


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_the_same_recipe_trains_on_cuda_in_bf16(tmp_path):
    folder = tiny_dataset(tmp_path / "ds")
    cfg = tiny_config(folder, device="auto")
    cfg["model"]["dtype"] = "auto"
    result = train(cfg, tmp_path / "run", resume=False)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_resuming_with_a_new_setting_keeps_the_runs_own_settings():
    """Found resuming a rank-16 run with `--set train.threads=1`: the whole default config came
    back with it (rank 8), and the checkpoint no longer fitted the model."""
    from django.core.management import CommandError

    from training.management.commands.train_model import resumed_config

    stored = tiny_config("ds")
    stored["lora"]["r"] = 16
    changed = resumed_config(stored, ["train.threads=2", "train.max_steps=40"])
    assert changed["lora"]["r"] == 16 and changed["train"]["threads"] == 2 and changed["train"]["max_steps"] == 40
    assert stored["train"]["threads"] == 1  # the stored config itself is not modified
    with pytest.raises(CommandError, match="lora.r cannot change"):
        resumed_config(stored, ["lora.r=8"])
