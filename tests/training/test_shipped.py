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


def _version(name, fidelity, base_fidelity, path):
    summary = {"persona_fidelity": fidelity, "crisis_safety": 1.0}
    return ModelVersion.objects.create(version=name, base_model="gemma-3-270m-q4_k_m.gguf", adapter_path=str(path),
                                       adapter_sha256="cd" * 32,
                                       metrics={"quick": False, "candidate": {"summary": summary},
                                                "base": {"summary": {**summary, "persona_fidelity": base_fidelity}}})


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
    _version("better", 0.96, 0.93, tmp_path / "b.gguf")
    call_command("ship_adapter", model="better", default=True)
    assert (tmp_path / "artifacts" / "better.gguf").read_bytes() == b"GGUF adapter"
    manifest = json.loads((tmp_path / "artifacts" / "better.json").read_text())
    assert manifest["evaluation"]["adapter"]["persona_fidelity"] == 0.96
    assert json.loads((tmp_path / "artifacts" / "default.json").read_text()) == {
        "version": "better", "file": "better.gguf", "sha256": "cd" * 32}
