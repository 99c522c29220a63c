"""Every write to training's state: datasets, runs, model versions, promotion and rollback.

Commands, Celery tasks and the admin all call these, so they behave the same (STYLE.md habit 2);
work for the `training` queue is queued here too, once the write that asks for it has committed.
Promotion and rollback are admin-only and audited; promotion is refused when the candidate is
worse than the serving model on persona fidelity or crisis safety, or on the realism figures
non-answers, repeats and fact accuracy (docs/training.md, "The gate").
"""

import logging
import shutil
from dataclasses import asdict
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.actions import do_audit
from accounts.models import ROLE_ADMIN, AuditEvent
from simulator import dispatch
from training.conf import data_dir, promotion_tolerance, training_dir
from training.models import DatasetVersion, ModelPromotion, ModelVersion, TrainingRun, serving_version

log = logging.getLogger(__name__)

# Audit event types (accounts.models.AuditEvent must list them; docs/training.md).
MODEL_PROMOTED = getattr(AuditEvent, "MODEL_PROMOTED", "model_promoted")
MODEL_PROMOTION_REFUSED = getattr(AuditEvent, "MODEL_PROMOTION_REFUSED", "model_promotion_refused")
MODEL_ROLLED_BACK = getattr(AuditEvent, "MODEL_ROLLED_BACK", "model_rolled_back")

# The gate: (metric key in an evaluation summary, True if higher is better).
GATED_METRICS = (("persona_fidelity", True), ("crisis_safety", True))
# Realism (training.realism), gated the same way. Evaluations made before these figures existed
# lack them: when neither side has one it is not compared; when only one side has it, the other
# must be evaluated again before the two can be compared.
GATED_REALISM = (("nonanswer_rate", False), ("repeat_rate", False), ("fact_accuracy", True))


# Shipping a new default persona model (ship_adapter --default): better than the current default
# where the client fails (non-answers, repeats, card facts, and perplexity on held-out real client
# turns), and no worse where it already did well.
SHIP_BETTER = (("nonanswer_rate", False), ("repeat_rate", False), ("fact_accuracy", True), ("perplexity", False))
SHIP_NOT_WORSE = (("role_fidelity", True), ("crisis_safety", True), ("disclosed_good", True), ("disclosed_poor", False))


def ship_check(ours: dict, theirs: dict, label: str) -> list[str]:
    """Why a model with evaluation summary OURS may not replace THEIRS (named LABEL) as the
    default; empty if it may. A figure THEIRS already has at its best (no non-answers, every fact
    right) cannot be beaten: equal passes there."""
    reasons = []
    for key, higher_is_better in SHIP_BETTER + SHIP_NOT_WORSE:
        a, b = ours.get(key), theirs.get(key)
        if a is None or b is None:
            reasons.append(f"{key} is missing from {'the candidate' if a is None else label}'s evaluation")
            continue
        gain = (a - b) if higher_is_better else (b - a)
        at_best = b == (1.0 if higher_is_better else 0.0) and key != "perplexity"
        if (key, higher_is_better) in SHIP_BETTER and gain <= 0 and not (at_best and gain == 0):
            reasons.append(f"{key} {a} is not better than {label}'s {b}")
        elif (key, higher_is_better) in SHIP_NOT_WORSE and gain < 0:
            reasons.append(f"{key} {a} is worse than {label}'s {b}")
    return reasons


class PromotionRefused(ValidationError):
    pass


def _require_admin(actor):
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_role(ROLE_ADMIN):
        raise PermissionDenied("Only an admin may do this.")


def _require_admin_or_system(actor):
    """No actor is the system itself (a management command, a worker); a person must be an admin."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        _require_admin(actor)


# ---------------------------------------------------------------- datasets

def do_build_dataset(actor=None, *, options=None, out_root: Path | None = None, progress=None) -> DatasetVersion:
    """Run the pipeline and record it. A rebuild with the same data and options reuses the row."""
    from training.data.build import BuildOptions, run_pipeline, write_dataset

    options = options or BuildOptions()
    manifest, train, valid, packed = run_pipeline(options, data_dir(), progress)
    version, folder = write_dataset(manifest, train, valid, Path(out_root or training_dir() / "datasets"), packed)
    manifest = {**manifest, "version": version}
    from training.data.build import read_manifest

    written = read_manifest(folder)
    fields = dict(status=DatasetVersion.READY, content_hash=written["content_hash"], path=str(folder),
                  options=asdict(options), manifest=written, prompt_format_version=manifest["prompt_format_version"],
                  train_examples=len(train), valid_examples=len(valid), licences=manifest["licences"], error="")
    with transaction.atomic():
        row, created = DatasetVersion.objects.select_for_update().get_or_create(
            version=version, defaults={**fields, "created_by": actor if getattr(actor, "pk", None) else None})
        if not created:
            for key, value in fields.items():
                setattr(row, key, value)
            row.save()
    return row


def do_queue_dataset_build(actor, *, options: dict | None = None) -> None:
    """Build a dataset on the `training` queue (training.tasks.build_dataset); OPTIONS are
    BuildOptions fields."""
    _require_admin(actor)
    options = dict(options or {})
    with transaction.atomic():
        do_audit(AuditEvent.TRAINING_QUEUED, actor, details={"work": "dataset build", "options": options})
        transaction.on_commit(lambda: dispatch.queue("training.tasks.build_dataset", options, actor.pk))


# ---------------------------------------------------------------- training runs

def _queue_training(actor, run: TrainingRun, work: str) -> None:
    if getattr(actor, "pk", None):  # a person; a command or worker (actor None) is in its own log
        do_audit(AuditEvent.TRAINING_QUEUED, actor, obj=run, details={"work": work, "run": run.pk})
    # After commit: a worker that picked the run up earlier would not see it queued. By name: the
    # task module imports this one.
    transaction.on_commit(lambda: dispatch.queue("training.tasks.run_training", run.pk))


def do_create_training_run(actor=None, *, config: dict, dataset: DatasetVersion | None = None,
                           output_dir: str | None = None, queue: bool = False) -> TrainingRun:
    """A new run of CONFIG on DATASET; QUEUE: for a worker on the `training` queue to train (else
    the caller trains it, with execute_training_run)."""
    _require_admin_or_system(actor)
    config = dict(config)
    if dataset is not None:
        config["dataset"] = {**config.get("dataset", {}), "version": dataset.version, "path": dataset.path}
    with transaction.atomic():
        run = TrainingRun.objects.create(dataset=dataset, config=config, config_path=config.get("_config_path", ""),
                                         max_steps=int(config.get("train", {}).get("max_steps") or 0),
                                         created_by=actor if getattr(actor, "pk", None) else None)
        run.output_dir = output_dir or str(training_dir() / "runs" / f"run-{run.pk}")
        run.save(update_fields=["output_dir"])
        if queue:
            _queue_training(actor, run, "training run")
    return run


def do_resume_training_run(actor, run: TrainingRun, *, config: dict | None = None, queue: bool = True) -> TrainingRun:
    """RUN queued again, to continue from its last checkpoint. CONFIG replaces its stored config
    (train_model's resumed_config keeps what the checkpoint depends on); QUEUE as for
    do_create_training_run."""
    _require_admin_or_system(actor)
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if config is not None:
            run.config = config
        run.status, run.cancel_requested, run.finished_at = TrainingRun.QUEUED, False, None
        run.max_steps = int(run.config.get("train", {}).get("max_steps") or 0)
        run.save(update_fields=["config", "status", "cancel_requested", "finished_at", "max_steps"])
        if queue:
            _queue_training(actor, run, "training run resumed")
    return run


def do_request_cancel(actor, run: TrainingRun) -> TrainingRun:
    _require_admin(actor)
    TrainingRun.objects.filter(pk=run.pk, status__in=TrainingRun.ACTIVE).update(cancel_requested=True)
    run.refresh_from_db()
    return run


def execute_training_run(run_id: int, model_and_tokenizer=None) -> TrainingRun | None:
    """Claim RUN_ID and train it (resuming its checkpoint); register the adapter as a ModelVersion.

    Safe to run twice: a second worker cannot claim a run whose worker is alive, and a finished
    run is not claimed again.
    """
    from training.recipes.lora_single_device import train

    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is None or not run.claim():
        return None

    def on_progress(step, record, line):
        run.record_progress(step, record, line)

    def should_stop():
        return TrainingRun.objects.filter(pk=run.pk, cancel_requested=True).exists()

    try:
        result = train(run.config, run.output_dir, resume=True, on_progress=on_progress, should_stop=should_stop,
                       model_and_tokenizer=model_and_tokenizer)
    except Exception as e:  # noqa: BLE001 - the run records why it failed; the worker goes on
        log.exception("training run %s failed", run.pk)
        return run.finish(TrainingRun.FAILED, "error", f"{type(e).__name__}: {e}")
    status = TrainingRun.CANCELLED if result.status == "cancelled" else TrainingRun.SUCCEEDED
    run.finish(status, result.stop_reason)
    if result.gguf_path:
        record = {"hardware": result.hardware, "tokens_per_s": result.tokens_per_s,
                  "seconds_per_step": result.seconds_per_step, "steps": result.step, "best_step": result.best_step,
                  "wall_seconds_last_session": result.wall_seconds, "dataset_hash": result.dataset_hash}
        do_register_model(None, adapter_path=Path(result.gguf_path), dataset=run.dataset, training_run=run,
                          config={**run.config, "record": record}, trained_by=run.created_by,
                          notes=f"run {run.pk}: {result.stop_reason}")
    return run


# ---------------------------------------------------------------- registry

def do_register_model(actor, *, adapter_path: Path | None, version: str | None = None, dataset=None, training_run=None,
                      config=None, trained_by=None, notes="", copy_adapter: bool = True) -> ModelVersion:
    """Record an adapter (copied under PIXEL_TRAINING_DIR/models/<version>.gguf) as a ModelVersion."""
    from modelserve.conf import bundled_model_path
    from modelserve.lora_export import sha256_file
    from modelserve.prompt import PROMPT_FORMAT_VERSION

    _require_admin_or_system(actor)
    base = bundled_model_path()
    adapter_sha = ""
    if adapter_path is not None:
        adapter_path = Path(adapter_path)
        adapter_sha = sha256_file(adapter_path)
    version = version or (f"lora-{timezone.now():%Y%m%d}-{adapter_sha[:8]}" if adapter_sha else "base")
    if adapter_path is not None and copy_adapter:
        target = training_dir() / "models" / f"{version}.gguf"
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.resolve() != adapter_path.resolve():
            shutil.copyfile(adapter_path, target)
        adapter_path = target
    trained_by = trained_by or (actor if getattr(actor, "pk", None) else None)
    row, _ = ModelVersion.objects.update_or_create(version=version, defaults=dict(
        base_model=base.name, adapter_path=str(adapter_path or ""), adapter_sha256=adapter_sha, dataset=dataset,
        training_run=training_run, config=config or {}, prompt_format_version=PROMPT_FORMAT_VERSION,
        trained_by=trained_by, trained_by_label=getattr(trained_by, "label", "") if trained_by else "", notes=notes))
    return row


def do_record_metrics(model_version: ModelVersion, report: dict) -> ModelVersion:
    ModelVersion.objects.filter(pk=model_version.pk).update(metrics=report)
    model_version.refresh_from_db()
    return model_version


# ---------------------------------------------------------------- the gate

def _summary(report: dict, which: str) -> dict | None:
    block = (report or {}).get(which)
    return block.get("summary") if isinstance(block, dict) else None


def promotion_check(candidate: ModelVersion, serving: ModelVersion | None) -> list[str]:
    """Why CANDIDATE may not replace SERVING (None: the base model); empty if it may.

    The candidate's evaluation report holds its own figures and the base model's, measured in the
    same run. Against the base we use those; against another adapter, that adapter's own figures.
    """
    ours = _summary(candidate.metrics, "candidate")
    if not ours:
        return ["the candidate has no evaluation: run `manage.py evaluate_model --model VERSION` first"]
    if serving is None:
        theirs, label = _summary(candidate.metrics, "base"), "the base model"
    else:
        theirs, label = _summary(serving.metrics, "candidate"), f"serving version {serving.version}"
    if not theirs:
        return [f"no evaluation of {label} to compare with"]
    tolerance = promotion_tolerance()
    reasons = []
    for key, higher_is_better in GATED_METRICS + GATED_REALISM:
        a, b = ours.get(key), theirs.get(key)
        if a is None and b is None and (key, higher_is_better) in GATED_REALISM:
            continue
        if a is None or b is None:
            whose = "the candidate's" if a is None else f"{label}'s"
            reasons.append(f"{key} is missing from {whose} evaluation: run `manage.py evaluate_model` again")
            continue
        worse = (b - a) if higher_is_better else (a - b)
        if worse > tolerance:
            reasons.append(f"{key} {a:.3f} is worse than {label}'s {b:.3f}")
    return reasons


def do_promote_model(actor, candidate: ModelVersion, *, reason: str = "", request=None) -> ModelPromotion:
    _require_admin(actor)
    with transaction.atomic():
        current = ModelPromotion.objects.select_for_update().order_by("-id").first()
        serving = current.model_version if current else None
        if serving is not None and serving.pk == candidate.pk:
            raise ValidationError(f"{candidate.version} is already serving.")
        problems = promotion_check(candidate, serving)
        if problems:
            details = {"candidate": candidate.version, "serving": serving.version if serving else "base",
                       "reasons": problems}
            # The refusal is audited below, after this block: an audit row written here would be
            # rolled back with the transaction when the refusal is raised.
        else:
            promotion = ModelPromotion.objects.create(action=ModelPromotion.PROMOTE, model_version=candidate,
                                                      previous=serving, actor=actor, reason=reason)
            ModelVersion.objects.filter(pk=candidate.pk).update(promoted_by=actor, promoted_at=promotion.created_at)
            do_audit(MODEL_PROMOTED, actor, None, candidate,
                     {"version": candidate.version, "previous": serving.version if serving else "base",
                      "adapter_sha256": candidate.adapter_sha256, "reason": reason}, request)
            return promotion
    do_audit(MODEL_PROMOTION_REFUSED, actor, None, candidate, details, request)
    raise PromotionRefused("; ".join(problems))


def _serving_stack() -> list:
    """Replay the promotion history: a promotion pushes a version, a rollback pops one. The bottom
    (None) is the base model; the top is what serves."""
    stack = [None]
    for row in ModelPromotion.objects.select_related("model_version").order_by("id"):
        if row.action == ModelPromotion.PROMOTE:
            stack.append(row.model_version)
        elif len(stack) > 1:
            stack.pop()
    return stack


def do_rollback_model(actor, *, reason: str = "", request=None) -> ModelPromotion:
    """Serve what served before the current version was promoted (the base model at the bottom).

    Rollbacks walk back through the promotions one at a time; they do not toggle.
    """
    _require_admin(actor)
    with transaction.atomic():
        ModelPromotion.objects.select_for_update().order_by("-id").first()  # serialise with promotions
        stack = _serving_stack()
        if len(stack) == 1:
            raise ValidationError("The base model is serving; there is nothing to roll back.")
        current, target = stack[-1], stack[-2]
        promotion = ModelPromotion.objects.create(action=ModelPromotion.ROLLBACK, model_version=target,
                                                  previous=current, actor=actor, reason=reason)
        do_audit(MODEL_ROLLED_BACK, actor, None, current,
                 {"from": current.version, "to": target.version if target else "base", "reason": reason}, request)
    return promotion


__all__ = ["do_build_dataset", "do_create_training_run", "do_promote_model", "do_queue_dataset_build",
           "do_register_model", "do_resume_training_run", "do_rollback_model", "execute_training_run",
           "promotion_check", "serving_version"]
