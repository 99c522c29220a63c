"""Datasets, training runs and the model registry (docs/training.md).

A DatasetVersion is a folder of prompt/completion examples with a manifest and a content hash; a
TrainingRun fine-tunes a LoRA adapter on one; a ModelVersion is an exported GGUF adapter that can
be evaluated and promoted. Which version serves is the latest ModelPromotion row: promotions and
rollbacks are appended, never edited, so the history of what served when is never lost.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

LOG_TAIL_CHARS = 8000


class DatasetVersion(models.Model):
    BUILDING, READY, FAILED = "building", "ready", "failed"
    STATUS_CHOICES = [(BUILDING, "Building"), (READY, "Ready"), (FAILED, "Failed")]

    # "ds-" + the first 12 hex digits of the content hash; the same data and options give the same name.
    version = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=BUILDING)
    content_hash = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=500, blank=True, help_text="Folder with train.jsonl, valid.jsonl, manifest.json")
    options = models.JSONField(default=dict, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    prompt_format_version = models.CharField(max_length=16, blank=True)
    train_examples = models.PositiveIntegerField(default=0)
    valid_examples = models.PositiveIntegerField(default=0)
    licences = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.version


class TrainingRun(models.Model):
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
    STATUS_CHOICES = [(QUEUED, "Queued"), (RUNNING, "Running"), (SUCCEEDED, "Succeeded"), (FAILED, "Failed"),
                      (CANCELLED, "Cancelled")]
    ACTIVE = (QUEUED, RUNNING)

    dataset = models.ForeignKey(DatasetVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="runs")
    config_path = models.CharField(max_length=500, blank=True)
    config = models.JSONField(default=dict, blank=True, help_text="The resolved recipe config")
    output_dir = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=QUEUED, db_index=True)
    step = models.PositiveIntegerField(default=0)
    max_steps = models.PositiveIntegerField(default=0)
    train_loss = models.FloatField(null=True, blank=True)
    val_loss = models.FloatField(null=True, blank=True)
    best_val_loss = models.FloatField(null=True, blank=True)
    best_step = models.PositiveIntegerField(null=True, blank=True)
    # [{"step", "train_loss", "val_loss", "lr", "tokens_per_s"}]: what the admin plots and the docs quote.
    losses = models.JSONField(default=list, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)
    log_tail = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"run {self.pk} ({self.status}, step {self.step}/{self.max_steps})"

    def claim(self):
        """Mark the run as running if no live worker holds it; False if another worker does.

        A run left RUNNING by a worker that died (no heartbeat for TRAINING_STALE_SECONDS) may be
        claimed again: the recipe resumes from its last checkpoint.
        """
        from training.conf import stale_seconds

        stale = timezone.now() - timedelta(seconds=stale_seconds())
        now = timezone.now()
        claimed = TrainingRun.objects.filter(pk=self.pk).filter(
            models.Q(status=self.QUEUED) | models.Q(status=self.RUNNING, heartbeat_at__lt=stale)
            | models.Q(status=self.RUNNING, heartbeat_at__isnull=True)
        ).update(status=self.RUNNING, heartbeat_at=now, started_at=Coalesce("started_at", models.Value(now)))
        self.refresh_from_db()
        return bool(claimed)

    def record_progress(self, step, record=None, log_line=""):
        with transaction.atomic():
            run = TrainingRun.objects.select_for_update().get(pk=self.pk)
            run.step = step
            if record:
                run.losses = [*run.losses, record]
                if record.get("train_loss") is not None:
                    run.train_loss = record["train_loss"]
                if record.get("val_loss") is not None:
                    run.val_loss = record["val_loss"]
                    if run.best_val_loss is None or record["val_loss"] < run.best_val_loss:
                        run.best_val_loss, run.best_step = record["val_loss"], step
            if log_line:
                run.log_tail = (run.log_tail + log_line.rstrip("\n") + "\n")[-LOG_TAIL_CHARS:]
            run.heartbeat_at = timezone.now()
            run.save(update_fields=["step", "losses", "train_loss", "val_loss", "best_val_loss", "best_step",
                                    "log_tail", "heartbeat_at"])
        self.refresh_from_db()
        return self

    def finish(self, status, stop_reason="", error=""):
        with transaction.atomic():
            run = TrainingRun.objects.select_for_update().get(pk=self.pk)
            run.status, run.stop_reason, run.error = status, stop_reason[:200], error
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "stop_reason", "error", "finished_at"])
        self.refresh_from_db()
        return self


class ModelVersion(models.Model):
    """A servable model: the base GGUF plus (usually) a GGUF LoRA adapter, with how it was made."""

    version = models.CharField(max_length=80, unique=True)
    base_model = models.CharField(max_length=300, help_text="File name of the base GGUF")
    base_sha256 = models.CharField(max_length=64, blank=True)
    adapter_path = models.CharField(max_length=500, blank=True)
    adapter_sha256 = models.CharField(max_length=64, blank=True)
    dataset = models.ForeignKey(DatasetVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="models")
    training_run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="models")
    config = models.JSONField(default=dict, blank=True)
    # The last evaluate_model report: {"candidate": {...}, "base": {...}, "evaluated_at": ...}.
    metrics = models.JSONField(default=dict, blank=True)
    prompt_format_version = models.CharField(max_length=16, blank=True)
    trained_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    trained_by_label = models.CharField(max_length=300, blank=True)
    promoted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    promoted_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.version


class ModelPromotion(models.Model):
    """One change of the serving model. The latest row names what serves; none means the base model."""

    PROMOTE, ROLLBACK = "promote", "rollback"
    ACTION_CHOICES = [(PROMOTE, "Promote"), (ROLLBACK, "Rollback")]

    action = models.CharField(max_length=16, choices=ACTION_CHOICES)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="promotions", help_text="Empty: the base model")
    previous = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.action} {self.model_version or 'base'}"

    @classmethod
    def current(cls):
        return cls.objects.select_related("model_version", "previous").order_by("-id").first()


def serving_version():
    """The promoted ModelVersion, or None when the base model serves."""
    latest = ModelPromotion.current()
    return latest.model_version if latest else None
