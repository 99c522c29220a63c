"""Training in the admin: build datasets, follow runs, promote and roll back model versions.

Every button calls training.actions, so the admin does exactly what the commands do; refusals
are shown with their reasons.
"""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html

from training import actions
from training.models import DatasetVersion, ModelPromotion, ModelVersion, TrainingRun, serving_version


def _pretty(value):
    return format_html("<pre style='white-space:pre-wrap;max-width:70em'>{}</pre>",
                       json.dumps(value, indent=2, ensure_ascii=False, default=str))


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "status", "train_examples", "valid_examples", "prompt_format_version", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["version", "status", "content_hash", "path", "train_examples", "valid_examples", "licences",
                       "created_by", "created_at", "error", "manifest_pretty"]
    exclude = ["manifest", "options"]
    actions = ["build_new", "build_new_commercial", "start_training"]

    @admin.display(description="Manifest (steps with counts, bias report)")
    def manifest_pretty(self, obj):
        return _pretty(obj.manifest)

    def _queue_build(self, request, options):
        try:
            actions.do_queue_dataset_build(request.user, options=options)
        except PermissionDenied as e:
            self.message_user(request, str(e), messages.ERROR)
            return
        self.message_user(request, "Dataset build queued on the training queue.", messages.SUCCESS)

    @admin.action(description="Build a new dataset from all sources (Celery, training queue)")
    def build_new(self, request, queryset):
        self._queue_build(request, {})

    @admin.action(description="Build a new dataset without non-commercial sources")
    def build_new_commercial(self, request, queryset):
        self._queue_build(request, {"exclude_noncommercial": True})

    @admin.action(description="Train a LoRA adapter on the selected dataset (default config)")
    def start_training(self, request, queryset):
        from training.recipes.lora_single_device import load_config

        for dataset in queryset:
            try:
                run = actions.do_create_training_run(request.user, config=load_config(), dataset=dataset, queue=True)
            except PermissionDenied as e:
                self.message_user(request, str(e), messages.ERROR)
                return
            self.message_user(request, f"Training run {run.pk} queued.", messages.SUCCESS)


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "dataset", "status", "progress", "train_loss", "val_loss", "best_val_loss", "started_at",
                    "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["dataset", "status", "progress", "train_loss", "val_loss", "best_val_loss", "best_step",
                       "stop_reason", "error", "output_dir", "created_by", "created_at", "started_at", "heartbeat_at",
                       "finished_at", "cancel_requested", "log", "losses_pretty", "config_pretty"]
    exclude = ["config", "losses", "log_tail"]
    actions = ["cancel", "resume"]

    @admin.display(description="Step")
    def progress(self, obj):
        return f"{obj.step}/{obj.max_steps}" if obj.max_steps else str(obj.step)

    @admin.display(description="Log (tail)")
    def log(self, obj):
        return format_html("<pre style='white-space:pre-wrap;max-width:70em'>{}</pre>", obj.log_tail)

    @admin.display(description="Losses")
    def losses_pretty(self, obj):
        return _pretty(obj.losses)

    @admin.display(description="Config")
    def config_pretty(self, obj):
        return _pretty(obj.config)

    @admin.action(description="Cancel (stops at the next step, keeping the checkpoint)")
    def cancel(self, request, queryset):
        for run in queryset:
            actions.do_request_cancel(request.user, run)
        self.message_user(request, "Cancellation requested.", messages.SUCCESS)

    @admin.action(description="Resume from the last checkpoint (Celery)")
    def resume(self, request, queryset):
        for run in queryset.exclude(status__in=TrainingRun.ACTIVE):
            try:
                actions.do_resume_training_run(request.user, run)
            except PermissionDenied as e:
                self.message_user(request, str(e), messages.ERROR)
                return
        self.message_user(request, "Resume queued.", messages.SUCCESS)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "serving", "dataset", "adapter_sha_short", "persona_fidelity", "crisis_safety",
                    "trained_by_label", "promoted_by", "promoted_at", "created_at"]
    readonly_fields = ["version", "base_model", "base_sha256", "adapter_path", "adapter_sha256", "dataset",
                       "training_run", "prompt_format_version", "trained_by", "trained_by_label", "promoted_by",
                       "promoted_at", "notes", "created_at", "metrics_pretty", "config_pretty"]
    exclude = ["metrics", "config"]
    actions = ["promote", "rollback"]

    @admin.display(boolean=True, description="Serving")
    def serving(self, obj):
        current = serving_version()
        return current is not None and current.pk == obj.pk

    @admin.display(description="Adapter sha256")
    def adapter_sha_short(self, obj):
        return obj.adapter_sha256[:12]

    def _metric(self, obj, key):
        return ((obj.metrics or {}).get("candidate") or {}).get("summary", {}).get(key)

    @admin.display(description="Persona fidelity")
    def persona_fidelity(self, obj):
        return self._metric(obj, "persona_fidelity")

    @admin.display(description="Crisis safety")
    def crisis_safety(self, obj):
        return self._metric(obj, "crisis_safety")

    @admin.display(description="Evaluation")
    def metrics_pretty(self, obj):
        return _pretty(obj.metrics)

    @admin.display(description="Config")
    def config_pretty(self, obj):
        return _pretty(obj.config)

    @admin.action(description="Promote to serving (refused if worse on persona fidelity or crisis safety)")
    def promote(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to promote.", messages.ERROR)
            return
        try:
            actions.do_promote_model(request.user, queryset.get(), reason="admin", request=request)
        except (PermissionDenied, ValidationError) as e:
            self.message_user(request, f"Not promoted: {' '.join(getattr(e, 'messages', [str(e)]))}", messages.ERROR)
            return
        self.message_user(request, "Promoted; workers switch within a few seconds.", messages.SUCCESS)

    @admin.action(description="Roll back to the previously serving model")
    def rollback(self, request, queryset):
        try:
            promotion = actions.do_rollback_model(request.user, reason="admin", request=request)
        except (PermissionDenied, ValidationError) as e:
            self.message_user(request, f"Not rolled back: {' '.join(getattr(e, 'messages', [str(e)]))}", messages.ERROR)
            return
        self.message_user(request, f"Now serving {promotion.model_version or 'the base model'}.", messages.SUCCESS)


@admin.register(ModelPromotion)
class ModelPromotionAdmin(ReadOnlyAdmin):
    list_display = ["id", "action", "model_version", "previous", "actor", "created_at"]
    readonly_fields = ["action", "model_version", "previous", "actor", "reason", "created_at"]
