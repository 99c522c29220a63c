"""The model registry: promotion gate, audit, rollback, and workers following the promoted version."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import AuditEvent
from modelserve.backends import FakeBackend
from training import serving
from training.actions import (
    PromotionRefused,
    do_promote_model,
    do_rollback_model,
    promotion_check,
)
from training.models import ModelPromotion, ModelVersion, serving_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_shipped_adapter(settings):
    # These tests are about promotion; the shipped default has its own tests below.
    settings.PIXEL_SHIPPED_ADAPTER = False


def summary(fidelity, safety):
    return {"summary": {"persona_fidelity": fidelity, "crisis_safety": safety}}


def make_version(name, fidelity, safety, base=(0.80, 1.0), path=""):
    return ModelVersion.objects.create(version=name, base_model="gemma-3-270m-q4_k_m.gguf", adapter_path=path,
                                       adapter_sha256=name * 2,
                                       metrics={"quick": False, "candidate": summary(fidelity, safety),
                                                "base": summary(*base)})


def test_a_candidate_better_than_the_base_is_promoted_and_audited(admin_user):
    good = make_version("good", 0.90, 1.0)
    promotion = do_promote_model(admin_user, good, reason="beats base")
    assert serving_version() == good and promotion.previous is None
    good.refresh_from_db()
    assert good.promoted_by == admin_user and good.promoted_at is not None
    event = AuditEvent.objects.filter(event_type="model_promoted").get()
    assert event.actor == admin_user and event.details["version"] == "good" and event.details["previous"] == "base"


def test_a_candidate_worse_on_persona_fidelity_is_refused_and_the_refusal_audited(admin_user):
    worse = make_version("worse", 0.70, 1.0)
    with pytest.raises(PromotionRefused, match="persona_fidelity 0.700 is worse than the base model's 0.800"):
        do_promote_model(admin_user, worse)
    assert serving_version() is None and not ModelPromotion.objects.exists()
    event = AuditEvent.objects.filter(event_type="model_promotion_refused").get()
    assert event.details["candidate"] == "worse" and event.details["reasons"]


def test_a_candidate_less_crisis_safe_than_the_serving_adapter_is_refused(admin_user):
    serving_now = make_version("serving", 0.90, 1.0)
    do_promote_model(admin_user, serving_now)
    # Better persona fidelity than the base it was evaluated beside, but less safe than what serves.
    unsafe = make_version("unsafe", 0.95, 0.97, base=(0.5, 0.9))
    with pytest.raises(PromotionRefused, match="crisis_safety 0.970 is worse than serving version serving's 1.000"):
        do_promote_model(admin_user, unsafe)
    assert serving_version() == serving_now


def test_an_unevaluated_candidate_is_refused():
    bare = ModelVersion.objects.create(version="bare", base_model="x")
    assert promotion_check(bare, None) == ["the candidate has no evaluation: run `manage.py evaluate_model --model VERSION` first"]


@pytest.mark.parametrize("persona", ["trainee", "supervisor", "outsider"])
def test_only_an_admin_may_promote_or_roll_back(request, persona):
    user = request.getfixturevalue(persona)
    good = make_version("good", 0.9, 1.0)
    with pytest.raises(PermissionDenied):
        do_promote_model(user, good)
    with pytest.raises(PermissionDenied):
        do_rollback_model(user)
    assert not ModelPromotion.objects.exists()


def test_rollback_restores_the_previous_version_in_one_action(admin_user):
    first, second = make_version("first", 0.85, 1.0), make_version("second", 0.9, 1.0)
    second.metrics["candidate"] = summary(0.9, 1.0)
    do_promote_model(admin_user, first)
    do_promote_model(admin_user, second)
    assert serving_version() == second
    back = do_rollback_model(admin_user, reason="complaints")
    assert back.action == ModelPromotion.ROLLBACK and serving_version() == first
    do_rollback_model(admin_user)
    assert serving_version() is None  # and once more: the base model, which served before `first`
    events = list(AuditEvent.objects.filter(event_type="model_rolled_back").order_by("seq"))
    assert [(e.details["from"], e.details["to"]) for e in events] == [("second", "first"), ("first", "base")]


def test_rolling_back_with_nothing_promoted_is_refused(admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="nothing to roll back"):
        do_rollback_model(admin_user)


@pytest.fixture
def scripted_serving(monkeypatch, settings):
    """Serving with fake backends named after their adapter and a clock the test moves:
    returns (base backend, clock, adapter paths built)."""
    built = []

    def fake_build(adapter_path, explicit_base=False):
        backend = FakeBackend([f"reply from {adapter_path or 'base'}"])
        backend.model_id = adapter_path or "base"
        built.append(adapter_path)
        return backend

    base = FakeBackend(["reply from base"])
    base.model_id = "base"
    clock = [1000.0]
    monkeypatch.setattr(serving, "_build", fake_build)
    # With nothing promoted the process's ordinary backend serves, asked for afresh each time.
    monkeypatch.setattr(serving, "get_backend", lambda: base)
    monkeypatch.setattr(serving.time, "monotonic", lambda: clock[0])
    settings.PIXEL_SERVING_CHECK_SECONDS = 5
    serving.reset()
    return base, clock, built


def test_workers_pick_up_a_promoted_version_without_a_restart(admin_user, scripted_serving):
    base, clock, built = scripted_serving
    first = serving.serving_backend()
    assert first.model_id == "base" and serving.serving_backend() is first
    good = make_version("good", 0.9, 1.0, path="/adapters/good.gguf")
    do_promote_model(admin_user, good)
    assert serving.serving_backend() is first  # within the check interval: no database query, no change
    clock[0] += 6
    second = serving.serving_backend()
    assert second.model_id == "/adapters/good.gguf" and serving.serving_version_name() == "good"
    do_rollback_model(admin_user)
    clock[0] += 6
    assert serving.serving_backend().model_id == "base"
    assert built == ["/adapters/good.gguf"]


def test_a_promoted_adapter_that_cannot_load_keeps_the_current_backend_serving(admin_user, monkeypatch):
    def build(adapter_path, explicit_base=False):
        if adapter_path:
            raise FileNotFoundError(adapter_path)
        return FakeBackend()

    clock = [0.0]
    monkeypatch.setattr(serving, "_build", build)
    monkeypatch.setattr(serving.time, "monotonic", lambda: clock[0])
    serving.reset()
    current = serving.serving_backend()
    do_promote_model(admin_user, make_version("missing", 0.9, 1.0, path="/nowhere.gguf"))
    clock[0] += 60
    assert serving.serving_backend() is current


def test_with_nothing_promoted_workers_use_the_process_backend(fake_llm):
    serving.reset()
    assert serving.serving_backend() is fake_llm and serving.serving_version_name() == "base"


def test_with_nothing_promoted_the_shipped_adapter_serves_until_a_promotion_or_the_switch(
        admin_user, monkeypatch, settings, tmp_path, scripted_serving):
    import json

    from training import conf

    base, clock, _ = scripted_serving
    (tmp_path / "default.json").write_text(json.dumps({"version": "lora-shipped", "file": "lora-shipped.gguf",
                                                       "sha256": "ab" * 32}))
    monkeypatch.setattr(conf, "ARTIFACTS_DIR", tmp_path)
    monkeypatch.setenv("PIXEL_LLM_BACKEND", "llama")  # only llama can carry an adapter
    settings.PIXEL_SHIPPED_ADAPTER = True

    assert serving.serving_backend().model_id == str(tmp_path / "lora-shipped.gguf")
    assert serving.serving_version_name() == "lora-shipped"
    assert serving.backend_for("lora-shipped").model_id == str(tmp_path / "lora-shipped.gguf")
    do_promote_model(admin_user, make_version("good", 0.9, 1.0, path="/adapters/good.gguf"))
    clock[0] += 6
    assert serving.serving_version_name() == "good"
    do_rollback_model(admin_user)  # back to what served before: the shipped default
    clock[0] += 6
    assert serving.serving_version_name() == "lora-shipped"
    settings.PIXEL_SHIPPED_ADAPTER = False
    clock[0] += 6
    assert serving.serving_backend() is base and serving.serving_version_name() == "base"
