"""The role classifier: a reproducible artifact that tells client turns from counsellor turns."""

import numpy as np
import pytest

from modelserve import roleclf
from training.roles import role_rows, train_role_classifier


@pytest.mark.needs_data("esconv", "annomi")
def test_retraining_on_the_same_data_gives_the_same_model(data_dir, tmp_path):
    a = train_role_classifier(data_dir, tmp_path / "a", limit=40)
    b = train_role_classifier(data_dir, tmp_path / "b", limit=40)
    assert np.array_equal(a.coef, b.coef) and a.intercept == b.intercept and a.meta == b.meta
    la, lb = roleclf.load(tmp_path / "a"), roleclf.load(tmp_path / "b")
    texts = ["I just can't stop drinking at night.", "What would you like to be different?"]
    assert np.array_equal(la.client_probability(texts), lb.client_probability(texts))


@pytest.mark.needs_data("esconv", "annomi")
def test_the_committed_artifact_is_accurate_on_held_out_conversations(data_dir):
    model = roleclf.load()  # no pickle: an .npz read with allow_pickle=False and a JSON file
    assert model.meta["evaluation"]["held_out"]["accuracy"] >= 0.8
    rows = role_rows(data_dir, limit=60)["held_out"]
    texts, roles = zip(*rows)
    assert roleclf.accuracy(model, texts, roles)["accuracy"] >= 0.8


@pytest.mark.needs_data("esconv", "annomi")
def test_mode_consistency_is_calibrated_on_real_client_turns(data_dir):
    model = roleclf.load()
    rows = role_rows(data_dir, limit=60)["held_out"]
    client = [t for t, r in rows if r == "client"]
    counsellor = [t for t, r in rows if r == "counsellor"]
    assert roleclf.mode_consistency(client, "client", model) >= 0.95
    assert roleclf.mode_consistency(counsellor, "client", model) <= 0.6


@pytest.mark.parametrize("text,role", [
    ("I've been drinking more since I lost my job and my wife is fed up with me.", "client"),
    ("It sounds like part of you wants to cut back, and part of you isn't sure. What would help you decide?", "counsellor"),
])
def test_clear_utterances_are_classified_by_their_speaker(text, role):
    assert roleclf.get().predict_roles([text]) == [role]
