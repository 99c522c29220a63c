"""check(): the combined detector's contract."""

import threading

import pytest

from modelserve.crisis import LEVELS, check, is_crisis
from modelserve.crisis import model as crisis_model

KEYS = {"level", "categories", "evidence", "detectors", "scores", "version"}


def test_result_shape():
    result = check("I've been saving my pills for tonight.")
    assert set(result) == KEYS
    assert result["level"] == "imminent"
    assert "preparatory" in result["categories"]
    assert set(result["detectors"]) <= {"rules", "message", "ml"} and "rules" in result["detectors"]
    assert result["scores"]["ml"] is None  # a chat message: the post model reads long posts only
    assert set(result["scores"]["message"]) == {"low", "moderate", "high", "imminent"}
    assert result["scores"]["rules"]["preparatory"] >= 1
    for item in result["evidence"]:
        assert set(item) == {"start", "end", "text", "category", "detector"}
    assert LEVELS == ["none", "low", "moderate", "high", "imminent"]


def test_ordinary_chat_is_none():
    result = check("We went to the park on Sunday and had a picnic.")
    assert result["level"] == "none" and result["detectors"] == []
    assert not is_crisis(result)


LONG_POST = ("I don't really know why I'm writing this. Everything is pointless and I'm so tired of it all, "
             "nobody would even notice. I go to work, I come home, I sit in the dark. My friends stopped asking "
             "how I am months ago and honestly I don't blame them. I used to love painting and now I can't even "
             "look at the brushes. What is the point of any of it when it never gets better.")


def test_the_post_model_reads_long_posts_and_can_raise_the_level_to_low():
    from modelserve.crisis import LONG_POST_WORDS

    model = crisis_model.get()
    assert len(LONG_POST.split()) >= LONG_POST_WORDS
    result = check(LONG_POST)
    # This text is written to be over the threshold; if the model changes, pick another.
    assert result["scores"]["ml"] >= model.threshold
    assert "ml" in result["detectors"] and LEVELS.index(result["level"]) >= 1


# A factual question about treatment, in the words of the Reddit depression posts the post model learnt from.
TREATMENT_POST = ("Does anyone else with depression find therapy exhausting? I go every Tuesday, I talk about my "
                  "childhood and my depression, my anxiety, my meds, and I come home drained. My psychiatrist says "
                  "it's normal for the first few months. I have been on antidepressants for two years. I'm just "
                  "wondering how other people with depression handle the week after a hard session and what helps.")


def test_the_post_model_alone_gives_low_and_moderate_only_with_another_detector():
    model = crisis_model.get()
    alone = check(TREATMENT_POST)
    assert alone["scores"]["ml"] >= model.threshold_moderate, "pick a post over the higher threshold"
    assert alone["level"] == "low" and alone["detectors"] == ["ml"], alone
    # Read the way the detector read it before the message model, the post model grades alone.
    assert check(TREATMENT_POST, use_message_model=False)["level"] == "moderate"
    # The rules rate a past wish low (past_ideation): a second detector that sees some risk.
    corroborated = check(TREATMENT_POST + " A few years ago I used to think about killing myself.")
    assert corroborated["level"] == "moderate" and "ml" in corroborated["detectors"], corroborated


def test_the_post_model_does_not_read_a_short_message():
    result = check("work is killing me and my boss is a nightmare, so stressed")
    assert result["scores"]["ml"] is None and "ml" not in result["detectors"]
    assert result["level"] == "none"


def test_a_trainee_is_read_without_the_post_model():
    question = check("Have you been thinking about ending your life?", speaker="trainee")
    assert question["scores"]["ml"] is None and question["level"] == "none"
    disclosure = check("I want to kill myself", speaker="trainee")
    assert disclosure["scores"]["ml"] is None and LEVELS.index(disclosure["level"]) >= LEVELS.index("moderate")


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "a" * 20_000,
    "I want to die. " * 1400,  # about 21,000 characters
    bytes(range(256)).decode("latin-1"),
    b"\x00\xff\xfe\x80kill\xc3\x28myself".decode("utf-8", "replace"),
    "Мне плохо, 我想死, أريد أن أموت, I want to die",
    "😭😭😭 🔪💊 💀",
    "\ud800 lone surrogate",
    "\u0301\u0301\u0301 z\u0336a\u0337l\u0338g\u0335o",
])
def test_bad_input_gets_a_result(text):
    result = check(text)
    assert set(result) == KEYS and result["level"] in LEVELS


@pytest.mark.parametrize("value", [None, 42, b"I want to die"])
def test_non_strings_get_a_result(value):
    assert check(value)["level"] in LEVELS


def test_missing_post_model_falls_back_to_the_others(tmp_path):
    result = check(LONG_POST + " I want to die.", model_path=tmp_path / "nowhere")
    assert LEVELS.index(result["level"]) >= LEVELS.index("moderate") and result["scores"]["ml"] is None
    assert result["version"].endswith("+no-ml")


def test_missing_message_model_puts_the_post_model_on_every_client_message(tmp_path):
    """A screen that lost a detector errs towards flagging: the post model reads short messages too."""
    result = check("I want to die.", message_model_path=tmp_path / "nowhere")
    assert result["scores"]["message"] is None and result["scores"]["ml"] is not None
    assert result["level"] == "moderate" and "no-message" in result["version"]


def test_model_loads_once_across_threads(monkeypatch, tmp_path):
    import shutil

    path = tmp_path / "artifact"
    shutil.copytree(crisis_model.ARTIFACT_DIR, path)
    calls = []
    real_load = crisis_model.load
    monkeypatch.setattr(crisis_model, "load", lambda p: calls.append(p) or real_load(p))
    barrier = threading.Barrier(8)
    results = []

    def worker():
        barrier.wait()
        results.append(check(LONG_POST, model_path=path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 8
    assert len({r["scores"]["ml"] for r in results}) == 1
