"""The adapter Pixel ships as its default persona model (training/artifacts/default.json), and
`ship_adapter`, which refuses a version that does not beat the base model."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command

from training import conf, serving
from training.models import ModelVersion

pytestmark = pytest.mark.django_db


def test_the_shipped_adapter_is_committed_and_matches_its_manifest():
    default = json.loads((conf.ARTIFACTS_DIR / "default.json").read_text())
    gguf = conf.ARTIFACTS_DIR / default["file"]
    assert hashlib.sha256(gguf.read_bytes()).hexdigest() == default["sha256"]
    manifest = json.loads((conf.ARTIFACTS_DIR / f"{default['version']}.json").read_text())
    ours, base = manifest["evaluation"]["adapter"], manifest["evaluation"]["base"]
    # The reason it ships: better than the base on persona fidelity, no less crisis-safe.
    assert ours["persona_fidelity"] > base["persona_fidelity"] and ours["crisis_safety"] >= base["crisis_safety"]
    assert manifest["evaluation"]["settings"]["quick"] is False
    assert manifest["dataset"]["version"] and manifest["rebuild"][0].startswith("manage.py build_dataset")


def test_with_nothing_promoted_replies_come_from_the_shipped_adapter_on_the_real_model(monkeypatch, settings):
    from modelserve.generate import generate
    from modelserve.prompt import TRAINEE, Turn

    monkeypatch.setenv("PIXEL_LLM_BACKEND", "llama")
    settings.PIXEL_SHIPPED_ADAPTER = True
    serving.reset()
    try:
        backend = serving.serving_backend()
        default = conf.shipped_default()
        assert serving.serving_version_name() == default["version"]
        assert default["path"] in backend.model_id
        persona = {"name": "Tomasz", "age": 52, "presenting_problem": "Lost his job at the plant and tells no one."}
        reply = generate(persona, [Turn(TRAINEE, "What brings you here today?")], backend=backend)
        assert reply.text.strip() and not reply.fallback
    finally:
        serving.reset()


# The current default's figures, as `evaluate_model --beside` measures them next to a candidate.
DEFAULT_FIGURES = {"persona_fidelity": 0.95, "crisis_safety": 1.0, "role_fidelity": 1.0, "nonanswer_rate": 0.02,
                   "repeat_rate": 0.03, "fact_accuracy": 0.9, "perplexity": 16.0, "disclosed_good": 0.9,
                   "disclosed_poor": 0.1}


def _version(name, fidelity, base_fidelity, path, reference=None, **figures):
    summary = {**DEFAULT_FIGURES, **figures, "persona_fidelity": fidelity}
    metrics = {"quick": False, "candidate": {"summary": summary},
               "base": {"summary": {**summary, "persona_fidelity": base_fidelity}}}
    if reference:
        metrics["reference"] = {"model": reference, "summary": DEFAULT_FIGURES}
    return ModelVersion.objects.create(version=name, base_model="gemma-3-270m-q4_k_m.gguf", adapter_path=str(path),
                                       adapter_sha256="cd" * 32, metrics=metrics)


def test_ship_adapter_refuses_a_version_that_does_not_beat_the_base(tmp_path, monkeypatch):
    from training.management.commands import ship_adapter

    monkeypatch.setattr(ship_adapter, "ARTIFACTS_DIR", tmp_path / "artifacts")
    (tmp_path / "a.gguf").write_bytes(b"GGUF")
    _version("worse", 0.90, 0.93, tmp_path / "a.gguf")
    with pytest.raises(CommandError, match="not shipped: persona_fidelity 0.9 vs base 0.93"):
        call_command("ship_adapter", model="worse", default=True)
    assert not (tmp_path / "artifacts").exists()


def test_ship_adapter_commits_a_winner_and_can_make_it_the_default(tmp_path, monkeypatch):
    from training.management.commands import ship_adapter

    monkeypatch.setattr(ship_adapter, "ARTIFACTS_DIR", tmp_path / "artifacts")
    (tmp_path / "b.gguf").write_bytes(b"GGUF adapter")
    current = conf.shipped_default()["version"]
    _version("better", 0.96, 0.93, tmp_path / "b.gguf", reference=current, nonanswer_rate=0.01, repeat_rate=0.02,
             fact_accuracy=0.95, perplexity=15.0)
    call_command("ship_adapter", model="better", default=True)
    assert (tmp_path / "artifacts" / "better.gguf").read_bytes() == b"GGUF adapter"
    manifest = json.loads((tmp_path / "artifacts" / "better.json").read_text())
    assert manifest["evaluation"]["adapter"]["persona_fidelity"] == 0.96
    assert json.loads((tmp_path / "artifacts" / "default.json").read_text()) == {
        "version": "better", "file": "better.gguf", "sha256": "cd" * 32}


@pytest.mark.parametrize("figures, why", [
    ({}, "nonanswer_rate 0.02 is not better than the current default"),  # level everywhere: no reason to switch
    ({"nonanswer_rate": 0.01, "repeat_rate": 0.02, "fact_accuracy": 0.95, "perplexity": 16.5},
     "perplexity 16.5 is not better"),
    ({"nonanswer_rate": 0.01, "repeat_rate": 0.02, "fact_accuracy": 0.95, "perplexity": 15.0, "crisis_safety": 0.99},
     "crisis_safety 0.99 is worse"),
    ({"nonanswer_rate": 0.01, "repeat_rate": 0.02, "fact_accuracy": 0.95, "perplexity": 15.0, "disclosed_poor": 0.3},
     "disclosed_poor 0.3 is worse"),
])
def test_a_new_default_must_beat_the_current_default_measured_beside_it(tmp_path, monkeypatch, figures, why):
    from training.management.commands import ship_adapter

    monkeypatch.setattr(ship_adapter, "ARTIFACTS_DIR", tmp_path / "artifacts")
    (tmp_path / "c.gguf").write_bytes(b"GGUF")
    current = conf.shipped_default()["version"]
    _version("candidate", 0.97, 0.90, tmp_path / "c.gguf", reference=current, **figures)
    with pytest.raises(CommandError, match=why):
        call_command("ship_adapter", model="candidate", default=True)
    assert not (tmp_path / "artifacts").exists()


def test_a_new_default_needs_an_evaluation_beside_the_current_one(tmp_path, monkeypatch):
    from training.management.commands import ship_adapter

    monkeypatch.setattr(ship_adapter, "ARTIFACTS_DIR", tmp_path / "artifacts")
    (tmp_path / "d.gguf").write_bytes(b"GGUF")
    _version("unmeasured", 0.99, 0.90, tmp_path / "d.gguf", nonanswer_rate=0.0)
    with pytest.raises(CommandError, match="--beside " + conf.shipped_default()["version"]):
        call_command("ship_adapter", model="unmeasured", default=True)


def test_a_preference_trained_version_keeps_its_lineage_into_the_shipped_manifest(tmp_path, monkeypatch):
    from training.management.commands import ship_adapter
    from training.models import TrainingRun

    monkeypatch.setattr(ship_adapter, "ARTIFACTS_DIR", tmp_path / "artifacts")
    (tmp_path / "dpo.gguf").write_bytes(b"GGUF dpo")
    result = {"steps": 83, "pairs_sha256": "fe" * 32, "history": [{"step": 1}],
              "config": {"pairs": "pairs-v1.jsonl", "max_pairs": 360, "optim": {"lr": 1e-4}, "dpo": {"beta": 0.1}}}
    (tmp_path / "result.json").write_text(json.dumps(result))
    run = TrainingRun.objects.create(config={"train": {"max_steps": 260}}, output_dir=str(tmp_path), step=260,
                                     max_steps=260, status=TrainingRun.SUCCEEDED)
    call_command("register_adapter", gguf=str(tmp_path / "dpo.gguf"), preference=str(tmp_path / "result.json"),
                 run=run.pk, name="lora-dpo")
    row = ModelVersion.objects.get(version="lora-dpo")
    assert row.training_run == run and row.config["preference"]["steps"] == 83 and "history" not in row.config["preference"]
    current = conf.shipped_default()["version"]
    row.metrics = {"quick": False, "candidate": {"summary": {**DEFAULT_FIGURES, "persona_fidelity": 0.97, "nonanswer_rate": 0.01,
                                                             "repeat_rate": 0.02, "fact_accuracy": 0.95, "perplexity": 15.0}},
                   "base": {"summary": {**DEFAULT_FIGURES, "persona_fidelity": 0.9}},
                   "reference": {"model": current, "summary": DEFAULT_FIGURES}}
    row.save()
    call_command("ship_adapter", model="lora-dpo", default=True)
    manifest = json.loads((tmp_path / "artifacts" / "lora-dpo.json").read_text())
    rebuild = "\n".join(manifest["rebuild"])
    assert "dpo_single_device" in rebuild and "optim.lr=0.0001" in rebuild and f"--beside {current}" in rebuild
    assert manifest["preference_training"]["pairs_sha256"] == "fe" * 32
    assert manifest["evaluation"]["previous_default"]["version"] == current
