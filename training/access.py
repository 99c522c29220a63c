"""Fetch-and-authorise helpers for training objects (STYLE.md habit 3): admins only."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import ROLE_ADMIN
from training.models import ModelVersion, TrainingRun


def _require_admin(user):
    if user is None or not user.is_authenticated or not user.has_role(ROLE_ADMIN):
        raise PermissionDenied("Only an admin may see training objects.")


def access_model_version(user, version: str) -> ModelVersion:
    _require_admin(user)
    row = ModelVersion.objects.filter(version=version).first()
    if row is None:
        raise Http404(f"No model version {version!r}")
    return row


def access_training_run(user, run_id: int) -> TrainingRun:
    _require_admin(user)
    row = TrainingRun.objects.filter(pk=run_id).first()
    if row is None:
        raise Http404(f"No training run {run_id}")
    return row
