"""Preference pairs against the client's failure modes, and the DPO recipe on a tiny model."""

import json

import pytest
import torch

from modelserve.prompt import CLIENT_MODE, Turn, build_prompt
from training.preference import (
    FAILURE_KINDS,
    build_pairs,
    context_turns,
    contradiction_pairs,
    failure_kind,
    failure_share,
    write_pairs,
)
from training.recipes.dpo_single_device import dpo_loss, load_config, train

PERSONA = {"name": "Alex"}
CARD = {"name": "Owen Byrne", "age": 44, "pronouns": "he/him", "occupation": "a bus driver",
        "living_situation": "Lives with his wife Dana"}
EARLIER = "My manager keeps piling work on me and I can't say no to him."
COUNSELLOR_LINE = "It sounds like you're feeling really overwhelmed. What do you think would help you right now?"


def row(i=0, completion=" Honestly the weekends are the worst, I just sit at home and stew about it.\n"):
    turns = [Turn("trainee", "What brings you in today?"), Turn("client", EARLIER),
             Turn("trainee", "That sounds hard. When does it feel worst?")]
    return {"id": f"esconv:train:{i}#3", "mode": CLIENT_MODE, "persona": PERSONA, "source": "esconv",
            "prompt": build_prompt(PERSONA, turns), "completion": completion}


# ---------------------------------------------------------------- each failure kind

def test_context_turns_reads_the_transcript_back_from_a_prompt():
    turns = context_turns(row())
    assert [t.role for t in turns] == ["trainee", "client", "trainee"] and turns[1].text == EARLIER


@pytest.mark.parametrize("reply, kind", [
    ("I'm not sure.", "nonanswer"),
    ("I don't know, really.", "nonanswer"),
    ("My manager keeps piling work on me and I can't say no.", "repeat"),
    (COUNSELLOR_LINE, "counsellor"),
    ("Probably Sunday nights, when I know Monday is coming and the inbox will be full again.", None),
])
def test_failure_kind_names_each_failure_and_passes_a_real_answer(reply, kind):
    r = row()
    assert failure_kind(reply, r["persona"], context_turns(r)) == kind


def test_failure_kind_sees_a_contradiction_of_the_card():
    turns = [Turn("trainee", "How old are you?")]
    assert failure_kind("I'm 61, and I still drive the number 9 bus.", CARD, turns) == "contradiction"
    assert failure_kind("I'm 44, and I still drive the number 9 bus.", CARD, turns) is None


def test_contradiction_pairs_reject_a_swapped_fact_and_choose_the_card():
    pairs = contradiction_pairs(30, seed=1)
    assert len(pairs) == 30 and {p["kind"] for p in pairs} == {"contradiction"}
    for pair in pairs:
        assert pair["chosen"] != pair["rejected"]
        assert "Session transcript:" in pair["prompt"] and pair["prompt"].endswith(":")
    # the made-up cards are not the library's: the evaluation interviews those
    from simulator.library import library_paths, read_card

    library_names = {read_card(path)["persona"]["name"].split()[0] for path in library_paths()}
    assert not library_names & {p["prompt"].split("A counselling session. ")[1].split()[0] for p in pairs}


def test_build_pairs_keeps_the_models_own_failures_and_fills_each_kind():
    replies = iter(["I'm not sure.", EARLIER, COUNSELLOR_LINE, "Mostly at night, when the house goes quiet."] * 50)
    rows = [row(i) for i in range(20)]
    pairs, report = build_pairs(rows, sampler=lambda r, n: [next(replies) for _ in range(n)], samples_per_context=2,
                                contexts=10, per_kind=7, counsellor_lines=[COUNSELLOR_LINE])
    kinds = {kind: [p for p in pairs if p["kind"] == kind] for kind in FAILURE_KINDS}
    assert all(len(kinds[k]) == 7 for k in FAILURE_KINDS), {k: len(v) for k, v in kinds.items()}
    # the model's 5 failures of each kind first, then 2 made from the data to reach 7
    for kind in ("nonanswer", "repeat", "counsellor"):
        assert [p["origin"] for p in kinds[kind]] == ["model"] * 5 + ["synthetic"] * 2
    assert kinds["nonanswer"][0]["rejected"] == " I'm not sure.\n"
    assert report["samples"] == 20 and report["model_failure_share"] == 0.75
    assert report["model_failures"] == {"nonanswer": 5, "repeat": 5, "contradiction": 0, "counsellor": 5, "ok": 5}
    for pair in pairs:
        if pair["kind"] != "contradiction":
            assert pair["chosen"] == row()["completion"]  # the real client's next turn


def test_synthetic_pairs_alone_cover_every_kind_and_each_rejected_fails_its_check():
    rows = [row(i) for i in range(30)]
    pairs, report = build_pairs(rows, sampler=None, per_kind=10, counsellor_lines=[COUNSELLOR_LINE])
    assert report["model_failure_share"] is None
    assert {k: sum(p["kind"] == k for p in pairs) for k in FAILURE_KINDS} == {k: 10 for k in FAILURE_KINDS}
    for pair in pairs:
        if pair["kind"] != "contradiction":
            r = {**row(), "prompt": pair["prompt"]}
            assert failure_kind(pair["rejected"], r["persona"], context_turns(r)) == pair["kind"]


def test_a_context_whose_real_turn_is_itself_a_failure_is_not_used():
    pairs, _ = build_pairs([row(0, completion=" I don't know.\n")], per_kind=5)
    assert all(p["kind"] == "contradiction" for p in pairs)


def test_failure_share_counts_replies_by_kind():
    replies = iter(["I'm not sure.", "Mostly at night, when the house goes quiet and I think too much."] * 5)
    share = failure_share([row(i) for i in range(5)], lambda r, n: [next(replies) for _ in range(n)], 2)
    assert share["samples"] == 10 and share["failure_share"] == 0.5 and share["nonanswer"] == 0.5


# ---------------------------------------------------------------- the DPO recipe

def test_dpo_loss_falls_with_the_margin():
    zero = torch.zeros(2)
    at_start, _ = dpo_loss(zero, zero, zero, zero, beta=0.1)
    better, margin = dpo_loss(torch.tensor([-1.0, -1.0]), torch.tensor([-9.0, -9.0]), zero - 2, zero - 2, beta=0.1)
    assert at_start.mean() == pytest.approx(0.6931, abs=1e-4)  # log 2: no preference yet
    assert (margin > 0).all() and (better < at_start).all()


def tiny_pairs(path, n=48):
    pairs = []
    for i in range(n):
        r = row(i)
        pairs.append({"prompt": r["prompt"], "chosen": " Sunday nights mostly, when work comes back.\n",
                      "rejected": " I'm not sure.\n", "kind": "nonanswer", "origin": "synthetic",
                      "context_id": f"c{i}"})
    write_pairs(path, pairs)
    return path


def test_dpo_on_a_tiny_model_learns_to_prefer_the_chosen_reply(tmp_path):
    cfg = load_config({"model": {"source": "tiny", "dtype": "fp32"}, "pairs": str(tiny_pairs(tmp_path / "pairs.jsonl")),
                       "valid_fraction": 0.25, "lora": {"r": 4, "alpha": 8, "dropout": 0.0},
                       "optim": {"lr": 2e-2, "warmup_steps": 0, "scheduler": "constant", "grad_clip": 1.0},
                       "dpo": {"beta": 0.5, "sft_weight": 0.1},
                       "train": {"device": "cpu", "threads": 1, "batch_size": 4, "max_steps": 12, "eval_every": 6,
                                 "log_every": 3},
                       "output": {"export_gguf": False}})
    result = train(cfg, tmp_path / "dpo")
    first, last = result["first"], result["history"][-1]
    assert first["val_dpo_loss"] == pytest.approx(0.6931, abs=1e-3)  # policy == reference at the start
    assert last["val_dpo_loss"] < 0.5 and last["val_accuracy"] == 1.0
    assert result["best_step"] > 0 and (tmp_path / "dpo" / "best" / "adapter_model.safetensors").exists()
    logged = (tmp_path / "dpo" / "train.log").read_text()
    assert "reference log-probs" in logged and json.loads((tmp_path / "dpo" / "result.json").read_text())["steps"] == 12
