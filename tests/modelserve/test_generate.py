import pytest

from modelserve.backends import BackendError, FakeBackend
from modelserve.generate import could_be_evasion, generate
from modelserve.prompt import ClientContext, Turn

TURNS = [Turn("trainee", "How have you been sleeping lately?")]
GOOD = "Not well. I lie awake most nights thinking about work."
BAD = "As an AI language model, I do not have feelings."


class Recorder:
    def __init__(self):
        self.events = []

    def on_token(self, piece):
        self.events.append(("token", piece))

    def on_discard(self, reasons):
        self.events.append(("discard", reasons))

    def shown(self):
        """What the trainee sees at the end: tokens since the last discard."""
        text = ""
        for kind, value in self.events:
            text = "" if kind == "discard" else text + value
        return text


def run(replies, abe, **kwargs):
    recorder = Recorder()
    backend = FakeBackend(replies)
    reply = generate(abe, TURNS, backend=backend, on_token=recorder.on_token, on_discard=recorder.on_discard,
                     max_tokens=80, temperature=0.4, **kwargs)
    return reply, recorder, backend


def test_good_reply_streams_in_order(abe):
    reply, recorder, _ = run([GOOD], abe)
    pieces = [value for kind, value in recorder.events if kind == "token"]
    assert len(pieces) > 3
    assert "".join(pieces) == reply.text == GOOD
    assert reply.regenerations == 0 and reply.breaks == [] and not reply.fallback
    assert reply.first_token_seconds is not None and reply.seconds >= reply.first_token_seconds
    assert reply.model == "fake" and reply.tokens > 0


def test_bad_then_good_regenerates_once_and_records_the_break(abe):
    reply, recorder, backend = run([BAD, GOOD], abe)
    assert reply.text == GOOD and not reply.fallback
    assert reply.regenerations == 1
    assert len(reply.breaks) == 1
    assert reply.breaks[0]["attempt"] == 1
    assert any("role reversal" in r for r in reply.breaks[0]["reasons"])
    assert len(backend.calls) == 2
    assert backend.calls[1]["temperature"] < backend.calls[0]["temperature"]
    assert recorder.shown() == GOOD


def test_all_bad_gives_the_fallback(abe):
    reply, recorder, backend = run([BAD], abe, max_attempts=3)
    assert reply.fallback
    assert len(reply.breaks) == 3 and len(backend.calls) == 3
    assert reply.text and recorder.shown() == reply.text
    assert "AI" not in recorder.shown()


def test_released_tokens_are_withdrawn_when_a_break_comes_late(abe):
    late_break = "I have not been sleeping well at all, but as an AI language model I do not sleep"
    reply, recorder, _ = run([late_break, GOOD], abe)
    kinds = [kind for kind, _ in recorder.events]
    first_discard = kinds.index("discard")
    assert "token" in kinds[:first_discard], "some text was shown before the break was found"
    shown_before = "".join(v for k, v in recorder.events[:first_discard] if k == "token")
    assert "AI" not in shown_before
    assert recorder.shown() == reply.text == GOOD


def test_a_break_found_only_at_the_end_discards_what_was_shown(abe):
    # The echo of the trainee's message is only judged on the finished reply.
    echo = "How have you been sleeping lately?"
    reply, recorder, _ = run([echo, GOOD], abe)
    assert reply.breaks[0]["reasons"] == ["echoes the trainee's message"]
    assert ("discard", ["echoes the trainee's message"]) in recorder.events
    assert recorder.shown() == GOOD


def test_no_discard_when_nothing_was_shown(abe):
    reply, recorder, _ = run(["Therapist: hello", GOOD], abe)
    assert [k for k, _ in recorder.events if k == "discard"] == []
    assert reply.regenerations == 1


def test_client_name_prefix_and_whitespace_are_stripped(abe):
    reply, recorder, _ = run(["  Abe: I don't sleep much.  "], abe)
    assert reply.text == "I don't sleep much."
    assert recorder.shown() == reply.text


def test_backend_error_propagates_after_discarding(abe):
    backend = FakeBackend([BackendError("server down")])
    try:
        generate(abe, TURNS, backend=backend)
    except BackendError as e:
        assert "server down" in str(e)
    else:
        raise AssertionError("BackendError expected")


def test_cache_key_and_stop_sequences_reach_the_backend(abe):
    _, _, backend = run([GOOD], abe, cache_key="session-1")
    call = backend.calls[0]
    assert call["cache_key"] == "session-1"
    assert "\n" in call["stop"] and "Therapist:" in call["stop"]
    assert call["prompt"].endswith("\nAbe:")


def test_old_turns_are_trimmed_to_fit_the_context(abe):
    class SmallContext(FakeBackend):
        context_tokens = 400

        def count_tokens(self, prompt):
            return len(prompt) // 4

    backend = SmallContext([GOOD])
    turns = []
    for i in range(40):
        turns += [Turn("trainee", f"Question number {i} about your week?"), Turn("client", f"Answer {i}, it was fine.")]
    turns.append(Turn("trainee", "And today?"))
    generate(abe, turns, backend=backend, max_tokens=80)
    prompt = backend.calls[0]["prompt"]
    assert len(prompt) // 4 + 80 <= 400
    assert "And today?" in prompt and "Question number 0 " not in prompt


def test_a_non_answer_is_regenerated_hotter_and_never_shown(abe):
    reply, recorder, backend = run(["I'm not sure.", GOOD], abe)
    assert reply.text == GOOD and reply.regenerations == 1
    assert reply.breaks[0]["reasons"] == ["non-answer"]
    assert backend.calls[1]["temperature"] > backend.calls[0]["temperature"]
    # Held back while it could still be an evasion: nothing was shown, so nothing was withdrawn.
    assert ("discard", ["non-answer"]) not in recorder.events and recorder.shown() == GOOD


def test_a_guarded_client_may_deflect_once_but_not_twice_in_a_row(abe):
    guarded = ClientContext(mood="guarded", guarded=True)
    reply = generate(abe, TURNS, backend=FakeBackend(["I'm not sure.", GOOD]), context=guarded)
    assert reply.text == "I'm not sure." and reply.regenerations == 0
    turns = [*TURNS, Turn("client", "I'm not sure."), Turn("trainee", "Take your time. What is sleep like?")]
    reply = generate(abe, turns, backend=FakeBackend(["I don't know.", GOOD]), context=guarded)
    assert reply.text == GOOD


def test_a_repeat_is_regenerated_with_its_words_penalised(abe):
    said = "I stay in bed most days and watch the television."
    turns = [*TURNS, Turn("client", said), Turn("trainee", "What else?")]
    reply = generate(abe, turns, backend=(backend := FakeBackend([said, GOOD])))
    assert reply.text == GOOD and reply.breaks[0]["reasons"][0].startswith("repeats an earlier reply")
    assert said in backend.calls[1]["penalise"] and backend.calls[0]["penalise"] == []


def test_when_every_sample_is_weak_the_best_weak_one_beats_the_canned_line(abe):
    reply = generate(abe, TURNS, backend=FakeBackend(["I don't know."]))
    assert reply.text == "I don't know." and not reply.fallback and len(reply.breaks) == 3


def test_a_contradiction_is_regenerated(abe):
    reply = generate(abe, TURNS, backend=FakeBackend(["I'm 34 and I sleep fine.", GOOD]))
    assert reply.text == GOOD and "contradicts the card: age 34 (card 56)" in reply.breaks[0]["reasons"]


def test_a_question_about_age_is_answered_from_the_card(abe):
    recorder = Recorder()
    turns = [Turn("trainee", "How old are you, Abe?")]
    backend = FakeBackend(["I feel older than that, some days."])
    reply = generate(abe, turns, backend=backend, on_token=recorder.on_token)
    assert reply.text == "I'm 56. I feel older than that, some days." and reply.opening == "I'm 56."
    assert backend.calls[0]["prompt"].endswith("Abe: I'm 56.")
    assert recorder.events[0] == ("token", "I'm 56.")  # shown at once, before the model speaks


def test_newly_unlocked_material_starts_the_reply(abe):
    context = ClientContext(disclosures=(("drinking", "I've been drinking every night, on my own."),),
                            newly_unlocked=("drinking",))
    backend = FakeBackend(["I haven't told anyone that."])
    reply = generate(abe, TURNS, backend=backend, context=context)
    assert reply.text == "I've been drinking every night, on my own. I haven't told anyone that."
    # Already said: it does not start every later reply.
    turns = [*TURNS, Turn("client", reply.text), Turn("trainee", "That took courage to say.")]
    later = generate(abe, turns, backend=FakeBackend([GOOD]), context=ClientContext(disclosures=context.disclosures))
    assert later.text == GOOD


def test_material_unlocked_but_not_yet_said_comes_two_at_a_time(abe):
    items = tuple((f"item-{n}", f"Secret number {n} is this one.") for n in range(3))
    context = ClientContext(disclosures=items, newly_unlocked=("item-0", "item-1", "item-2"))
    first = generate(abe, TURNS, backend=FakeBackend([""]), context=context)
    assert first.text == "Secret number 0 is this one. Secret number 1 is this one."
    turns = [*TURNS, Turn("client", first.text), Turn("trainee", "Go on.")]
    second = generate(abe, turns, backend=FakeBackend([""]), context=ClientContext(disclosures=items))
    assert second.text == "Secret number 2 is this one."


def test_a_client_without_risk_says_so_when_screened(abe):
    abe["risk_profile"] = {"level": "none", "summary": "", "script": ""}
    turns = [Turn("trainee", "Have you had any thoughts of suicide?")]
    reply = generate(abe, turns, backend=FakeBackend([" I just want to sleep better."]))
    assert reply.text.startswith("No, nothing like that.")


def test_a_low_risk_client_does_not_invent_a_plan(abe):
    reply = generate(abe, TURNS, backend=FakeBackend(["I have a plan to kill myself this weekend.", GOOD]))
    assert reply.text == GOOD
    assert any(r.startswith("contradicts the card: risk") for r in reply.breaks[0]["reasons"])


def test_a_fact_asked_again_is_the_same_fact_said_again(abe):
    turns = [Turn("trainee", "How old are you?"), Turn("client", "I'm 56."), Turn("trainee", "Remind me, how old are you?")]
    reply = generate(abe, turns, backend=FakeBackend([""]))
    assert reply.text == "Like I said, I'm 56." and reply.breaks == []


def test_when_every_continuation_breaks_the_opening_is_still_said(abe):
    turns = [Turn("trainee", "How old are you?")]
    reply = generate(abe, turns, backend=FakeBackend([BAD]))
    assert reply.text == "I'm 56." and not reply.fallback and len(reply.breaks) == 4


def test_the_opening_is_not_an_echo_of_the_card(abe):
    # Abe's card: "lives alone since his divorce"; said in his words it shares six words with it.
    turns = [Turn("trainee", "Who do you live with?")]
    reply = generate(abe, turns, backend=FakeBackend(["It's quiet."]))
    assert reply.text == "I live alone since my divorce. It's quiet." and reply.breaks == []


@pytest.mark.parametrize("text, held", [
    ("I", True), ("I'm no", True), ("I'm not", True), ("Well, I don", True), ("Noth", True),
    ("I've", False), ("My doctor", False), ("I miss", False), ("Nobody", False), ("Well, my", False),
])
def test_only_what_could_still_become_an_evasion_is_held_back(text, held):
    assert could_be_evasion(text) is held
