"""The message-level crisis model: how it reads a message, its artifact, and that retraining
reproduces it (docs/crisis.md, "The message model")."""

import json

import numpy as np
import pytest
from django.conf import settings

from modelserve.crisis import check, message_model
from modelserve.crisis.levels import at_least

ARTIFACT = message_model.ARTIFACT_DIR / f"{message_model.NAME}.npz"


def test_the_artifact_is_small_and_holds_no_pickle():
    assert ARTIFACT.stat().st_size < 10 * 1024 * 1024
    with np.load(ARTIFACT, allow_pickle=False) as stored:
        assert stored["coef"].shape == (4, 384) and stored["intercept"].shape == (4,)
        tuned = [name for name in stored.files if name.startswith(message_model.TUNED)]
    meta = json.loads(ARTIFACT.with_suffix(".json").read_text())
    top = {f".layer.{k}." for k in range(6 - meta["tuned_layers"], 6)}
    assert tuned and all(any(layer in name for layer in top) for name in tuned)
    assert set(meta["thresholds"]) == {"low", "moderate", "high", "imminent"}


def test_a_disclosure_inside_a_longer_message_is_found_and_quoted():
    text = ("Work was the same as ever and my sister rang about Christmas. I've got a stash of tablets hidden "
            "in my wardrobe for when I decide to go. Anyway, how was your week?")
    result = check(text)
    assert at_least(result["level"], "high"), result
    quoted = [item for item in result["evidence"] if item["detector"] == "message"]
    assert quoted and "tablets" in quoted[0]["text"] and "Christmas" not in quoted[0]["text"]
    assert text[quoted[0]["start"]:quoted[0]["end"]] == quoted[0]["text"]


def test_a_sentence_reads_the_same_alone_or_after_small_talk():
    """Each sentence is read on its own, as the model was trained, not pooled from its context."""
    model = message_model.get()
    alone = model.score("I have a rope in the garage for when I'm ready.")
    after = model.score("My sister rang about Christmas. I have a rope in the garage for when I'm ready.")
    assert alone["level"] == after["level"] and at_least(alone["level"], "high")


def test_long_text_is_read_in_chunks_whose_pieces_point_into_it():
    model = message_model.get()
    sentence = "I went to the shops and then I came home and made a cup of tea."
    text = " ".join([sentence] * 40) + " I have decided how I will kill myself and I have the rope."
    pieces = model.encoder.pieces(text)
    assert len(pieces.texts) == len(pieces.spans) == len(pieces.vectors)
    assert all(text[start:end] == piece for piece, (start, end) in zip(pieces.texts, pieces.spans))
    assert np.allclose(np.linalg.norm(pieces.vectors, axis=1), 1.0, atol=1e-4)
    # The disclosure at the end, far past the first chunk, still counts.
    assert at_least(check(text)["level"], "high")


def test_a_one_sentence_message_is_one_piece_and_scores_as_it_was_trained():
    model = message_model.get()
    text = "I keep thinking about ending my life"
    pieces = model.encoder.pieces(text)
    assert pieces.texts == [text]
    assert np.allclose(pieces.vectors[0], model.encoder.encode([text])[0], atol=1e-5)


def test_int8_gives_each_token_the_same_output_whatever_it_is_read_with():
    """Activations are quantised per token, so a row's output is its own: not moved by a batch-mate
    with far larger values (per-batch quantisation would be), and close to the float32 layer."""
    import torch

    from modelserve.crisis.encoder import Int8Linear

    torch.manual_seed(0)
    linear = torch.nn.Linear(384, 1536)
    layer = Int8Linear(linear)
    row, loud = torch.randn(1, 384), 50 * torch.randn(3, 384)
    alone = layer(row)
    assert torch.equal(alone, layer(torch.cat([loud, row]))[-1:])
    exact = linear(row).detach()
    assert float((alone - exact).norm() / exact.norm()) < 0.02


def _int8_reading():
    """The shipped model's weights read in int8 (encoder.Int8Linear), beside the shipped reading."""
    from modelserve.crisis import encoder as crisis_encoder

    with np.load(ARTIFACT, allow_pickle=False) as stored:
        tuned = {k[len(message_model.TUNED):]: stored[k] for k in stored.files if k.startswith(message_model.TUNED)}
    return crisis_encoder.Encoder(crisis_encoder.default_path(), tuned, int8=True)


def test_the_shipped_model_reads_as_its_thresholds_were_chosen():
    """The thresholds were chosen on the reading the artifact names (float32 when it names none), so
    check() reads that way, and the recipe would choose them on the same one."""
    from modelserve.crisis.message_train import READING

    model = message_model.get()
    reading = model.meta.get("reading", "float32")
    assert reading == READING and model.encoder.int8 == (reading == "int8")


def test_the_int8_reading_replaces_every_linear_layer_and_reads_a_sentence_alike_in_any_batch():
    """Every linear layer of the transformer is int8, and a sentence reads alike alone or in one
    batch with a long text (the float arithmetic around the int8 products may differ in the last bit
    with the batch's length, which can move one rounding: 0.004 at most here, where quantising each
    batch as a whole moved scores by up to 0.35)."""
    import torch

    encoder = _int8_reading()
    assert not any(isinstance(m, torch.nn.Linear) for m in encoder.model.encoder.modules())
    sentences = ["I have a rope in the garage for when I'm ready.", "I want to die", "we had a picnic",
                 "Work is killing me this week"]
    long_text = "My sister rang about Christmas and we talked about the presents for the children. " * 5
    alone = encoder.encode(sentences, batch_size=1)
    batched = encoder.encode(sentences + [long_text])[:len(sentences)]
    assert np.abs(alone - batched).max() < 0.01


def test_int8_and_float32_readings_grade_alike():
    """The int8 reading moves scores little (docs/crisis.md, "Latency"): close probabilities on a
    spread of messages to the float32 reading of the same weights."""
    model = message_model.get()
    int8 = _int8_reading()
    texts = ["I want to die", "we had a picnic", "I've saved up my pills for when I do it",
             "Work is killing me this week", "I cut myself again last night", "nothing matters anymore"]
    ours = [list(model.score(t)["probabilities"].values()) for t in texts]
    theirs = [list(model.score(t, encoder=int8)["probabilities"].values()) for t in texts]
    assert np.allclose(ours, theirs, atol=0.1)


@pytest.mark.parametrize("text", ["", "   ", "😭😭😭", "\u0301\u0301", "a" * 5000])
def test_odd_text_gets_a_score(text):
    result = message_model.get().score(text)
    assert result["level"] in ("none", "low", "moderate", "high", "imminent")


def test_thresholds_keep_each_source_of_ordinary_talk_under_its_false_alarm_target():
    from modelserve.crisis.message_train import FALSE_ALARM_TARGETS, calibration_target, choose_thresholds

    rng = np.random.RandomState(0)
    probabilities = np.sort(rng.rand(3000, 4), axis=1)[:, ::-1]  # P(>= low) >= ... >= P(>= imminent)
    sources = np.array(["sad"] * 1000 + ["esconv"] * 1900 + ["statements"] * 100)
    rule_levels = np.zeros(3000, int)
    rule_levels[[0, 1500]] = 2  # the rules flag an ordinary sentence of each source at moderate
    thresholds = choose_thresholds(probabilities, rule_levels, sources)
    levels = list(thresholds)
    assert thresholds["imminent"] == 1.0  # not graded by the model (FALSE_ALARM_TARGETS)
    # With a margin: the goal is FALSE_ALARM_TARGETS, the calibration talk is held to less.
    assert calibration_target("moderate") < FALSE_ALARM_TARGETS["moderate"]
    for k, level in enumerate(levels):
        if calibration_target(level) is None:
            continue
        flagged = rule_levels >= k + 1
        for j in range(k, 4):
            flagged |= probabilities[:, j] >= thresholds[levels[j]]
        for source in ("sad", "esconv"):
            rate = flagged[sources == source].mean()
            assert rate <= calibration_target(level), (level, source, rate)
        # Lowest such threshold: one step lower would break the target for some source.
        lower = flagged | (probabilities[:, k] >= thresholds[level] - 1e-3)
        assert max(lower[sources == s].mean() for s in ("sad", "esconv")) > calibration_target(level)
    # Where the rules and the higher levels already use up a level's allowance, the model adds nothing there.
    rule_levels[:1000:50] = 2
    assert choose_thresholds(probabilities, rule_levels, sources)["moderate"] == 1.0


@pytest.mark.needs_data("sad-stress", "xstest", "esconv", "annomi")
def test_the_committed_thresholds_come_from_talk_the_model_never_read():
    """The shipped model's own scores on the calibration talk (training-side turns beyond what it was
    fitted on) give back its thresholds, and at them no source is flagged over its target."""
    from modelserve.crisis.data import calibration_negatives
    from modelserve.crisis.message_train import calibration_target, choose_thresholds, flag_rates, training_rows

    meta = json.loads(ARTIFACT.with_suffix(".json").read_text())
    with np.load(ARTIFACT, allow_pickle=False) as stored:
        probabilities = stored["calibration_probabilities"].astype(np.float64)
        rule_levels, sources = stored["calibration_rule_levels"], stored["calibration_sources"]
    thresholds = choose_thresholds(probabilities, rule_levels, sources)
    assert thresholds == pytest.approx(meta["thresholds"], abs=1e-6)
    for source, rates in flag_rates(probabilities, rule_levels, sources, thresholds).items():
        for level in rates:
            target = calibration_target(level)
            # A source too small to show the target counts only within the whole (choose_thresholds).
            if target is not None and (sources == source).sum() * target >= 1:
                assert rates[level] <= target, (source, level, rates[level])
    # None of the calibration talk was fitted: the turns beyond the training rows, and the held-out
    # fold's ordinary talk, which is exactly what the final fit left out of the training rows.
    trained = {row["text"] for row in training_rows(settings.PIXEL_DATA_DIR, log=lambda line: None)}
    extra = [r["text"] for r in calibration_negatives(settings.PIXEL_DATA_DIR) if r["text"] not in trained]
    assert len(extra) > 3000 and meta["n_calibration"] == len(sources)
    assert meta["n_fitted"] + (meta["n_calibration"] - len(extra)) == meta["n_rows"]


@pytest.mark.needs_data("sad-stress", "xstest", "esconv", "annomi")
def test_retraining_reproduces_the_committed_model(tmp_path):
    """Two fine-tuning runs on 2 cores: about 15 minutes. Bit for bit on one machine; another CPU's
    arithmetic differs in the last bits, which over 700 optimiser steps moves scores a little."""
    from modelserve.crisis.message_train import train

    committed = json.loads(ARTIFACT.with_suffix(".json").read_text())
    meta = train(settings.PIXEL_DATA_DIR, tmp_path, log=lambda line: None)
    assert meta["n_by_source"] == committed["n_by_source"] and meta["sample"] == committed["sample"]
    assert np.allclose(meta["sample_probabilities"], committed["sample_probabilities"], atol=0.05, rtol=0)
    for level in committed["thresholds"]:
        assert abs(meta["held_out"]["recall"][level] - committed["held_out"]["recall"][level]) <= 0.03
        for source, rates in committed["held_out"]["flag_rate"].items():
            assert abs(meta["held_out"]["flag_rate"][source][level] - rates[level]) <= 0.02, (source, level)
    # The retrained artifact loads and grades like the committed one.
    fresh, ours = message_model.load(tmp_path), message_model.get()
    texts = ["I want to die", "we had a picnic", "Have you thought about ending your life?",
             "I've saved up my pills for when I do it"]
    assert [fresh.score(t)["level"] for t in texts] == [ours.score(t)["level"] for t in texts]
