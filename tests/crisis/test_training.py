"""Retraining reproduces the committed artifact (about 15 s)."""

import json

import numpy as np
import pytest
from django.conf import settings

from modelserve.crisis import model as crisis_model
from modelserve.crisis.data import gaur_posts
from modelserve.crisis.train import train

pytestmark = pytest.mark.needs_data("gaur2019-reddit-cssrs")


def test_retraining_reproduces_the_committed_model(tmp_path):
    committed = json.loads((crisis_model.ARTIFACT_DIR / "crisis_model.json").read_text())
    meta = train(gaur_posts(settings.PIXEL_DATA_DIR), tmp_path, log=lambda line: None)
    assert np.allclose(meta["sample_probabilities"], committed["sample_probabilities"], atol=1e-6, rtol=0)
    assert abs(meta["threshold"] - committed["threshold"]) < 1e-6
    assert meta["cv"] == committed["cv"]
    # The retrained artifact loads and scores like the committed one.
    fresh, ours = crisis_model.load(tmp_path), crisis_model.get()
    texts = ["I want to die", "we had a picnic", "you are not alone, I felt that way too"]
    dense = [[0.0] * ours.coef[-19:].size] * len(texts)
    assert np.allclose(fresh.predict(texts, dense), ours.predict(texts, dense), atol=1e-6, rtol=0)
