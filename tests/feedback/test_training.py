"""Retraining from the licensed data reproduces the committed artifacts' figures exactly."""

import json

import pytest
from django.core.management import call_command

from feedback.skills.model import ARTIFACT_DIR

pytestmark = pytest.mark.needs_data("annomi", "epitome-empathy", "esconv")


def test_retraining_reproduces_the_committed_figures(tmp_path):
    call_command("train_skills", "--out", str(tmp_path))
    retrained = json.loads((tmp_path / "skills_eval.json").read_text())
    committed = json.loads((ARTIFACT_DIR / "skills_eval.json").read_text())
    assert retrained == committed
    # The floors this feature was asked to beat (docs/feedback.md): a plain TF-IDF model's kappa.
    assert retrained["behaviour"]["kappa"] > 0.65
    assert retrained["behaviour"]["macro_f1"] > 0.727
