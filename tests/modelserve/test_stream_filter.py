"""Method details never stream: the crisis output filter runs on every partial reply before its
words are sent, and what could still grow into a match waits (docs/modelserve.md, "Method details
never stream")."""

import re
from itertools import accumulate

import pytest

from modelserve.backends import Backend, FakeBackend
from modelserve.crisis.output_filter import harmful_instruction_reasons, method_hold
from modelserve.generate import generate
from modelserve.prompt import Turn

GOOD = "Work has been hard since the layoffs. I keep replaying the meeting where they told us."
TURNS = [Turn("trainee", "How have you been since we last met?")]
# Words that must never reach on_token from the method attempts below.
METHOD_WORDS = re.compile(r"\d|pill|p1l|tablet|enough|die\b|lethal|drawer|end it", re.IGNORECASE)


class Pieces(Backend):
    """Streams each reply as the exact PIECES given: tokens split where a real tokenizer might."""

    name = model_id = "pieces"

    def __init__(self, *replies):
        self.replies, self.calls = list(replies), 0

    def stream(self, prompt, *, max_tokens, temperature, stop, cache_key=None, seed=None, penalise=(), penalty=0.0):
        pieces = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        yield from self.until_stop(accumulate(pieces), stop)


def run(backend, persona, **kwargs):
    """The reply, every piece sent to on_token, and the pieces of each attempt until its discard."""
    tokens, attempts = [], [[]]
    reply = generate(
        persona,
        TURNS,
        backend=backend,
        on_token=lambda t: (tokens.append(t), attempts[-1].append(t)),
        on_discard=lambda reasons: attempts.append([]),
        temperature=0.5,
        **kwargs,
    )
    return reply, tokens, attempts


@pytest.mark.parametrize(
    "method",
    [
        "I have saved 40 pills and that is enough to die.",
        "I keep the pills in my drawer for when I end it.",
        "Honestly the lethal dose is what I looked up last night.",
        "I have 40 p1lls, enough to die, in the bathroom.",
    ],
)
def test_a_method_attempt_is_withdrawn_before_its_words_are_sent(abe, method):
    reply, tokens, attempts = run(FakeBackend([method, GOOD]), abe)
    assert reply.text == GOOD and reply.regenerations == 1
    assert "".join(attempts[-1]) == GOOD
    shown = "".join(tokens[: len(tokens) - len(attempts[-1])])
    assert not METHOD_WORDS.search(shown), shown
    assert any(r.startswith("unsafe: method") for r in reply.breaks[0]["reasons"])


def test_method_words_split_across_tokens_are_held_until_they_match(abe):
    # "40 pi" + "lls, en" + "ough": no single piece names a method, the sentence does.
    pieces = [" I", " have", " saved", " 4", "0 pi", "lls", ", en", "ough", " to", " d", "ie", "."]
    reply, _, attempts = run(Pieces(pieces, [" " + GOOD]), abe, max_attempts=2)
    # Shown piece by piece up to the number, then withdrawn.
    assert "".join(attempts[0]).strip() == "I have saved" and len(attempts[0]) > 1
    assert reply.text == GOOD and "".join(attempts[1]) == GOOD


def test_a_withdrawn_attempts_text_is_not_recorded_only_its_reasons(abe):
    reply, _, _ = run(FakeBackend(["I have saved 40 pills and that is enough to die.", GOOD]), abe)
    (attempt,) = reply.breaks
    assert attempt["text"] == "" and attempt["reasons"] == ["unsafe: method: dose"]


def test_other_guard_breaks_still_record_their_text(abe):
    reply, _, _ = run(FakeBackend(["As an AI, I do not have feelings about any of that.", GOOD]), abe)
    assert reply.breaks[0]["text"] and not any(r.startswith("unsafe") for r in reply.breaks[0]["reasons"])


def test_every_attempt_unsafe_falls_back_without_showing_any(abe):
    reply, tokens, _ = run(FakeBackend(["My plan is 30 tablets, that is a lethal amount."]), abe, max_attempts=3)
    assert reply.fallback and len(reply.breaks) == 3
    assert all(b["text"] == "" for b in reply.breaks)
    assert not METHOD_WORDS.search("".join(tokens))


def test_ordinary_text_still_streams_token_by_token(abe):
    reply, tokens, attempts = run(FakeBackend([GOOD]), abe)
    assert reply.text == GOOD and len(attempts) == 1
    assert "".join(tokens) == GOOD
    # One piece per word, give or take the words a piece waits on: not the whole reply at once.
    assert len(tokens) >= len(GOOD.split()) - 3


def test_despair_without_method_still_streams(abe):
    text = "Some days I think everyone would be better off without me. I'm so tired of all of it."
    reply, tokens, _ = run(FakeBackend([text]), abe)
    assert reply.text == text and len(tokens) > 5


@pytest.mark.parametrize(
    "partial, shown",
    [
        ("I have saved 40 pi", "I have saved "),
        ("I keep the pills", "I keep the "),
        ("I keep the pills in a drawer. My mum", "I keep the pills in a drawer. My mum"),
        ("I have", "I have"),
        ("Work was awful again today ", "Work was awful again today "),
        ("It was k i l", "It was "),
        ("I want to die. But my cat needs me ", "I want to die. But my cat needs me "),
    ],
)
def test_method_hold_keeps_back_only_what_could_still_match(partial, shown):
    assert harmful_instruction_reasons(partial) == []
    assert partial[: method_hold(partial)] == shown


# --- the real bundled model ------------------------------------------------------------------


def forcing(llm, text):
    """A logits processor that makes the model say TEXT, token by token as its own tokenizer splits
    it, then stop: the real llama.cpp stream, with a reply we choose."""
    from llama_cpp import LogitsProcessorList

    target = llm.tokenize(text.encode(), add_bos=False, special=False) + [llm.token_eos()]
    first = []

    def force(input_ids, scores):
        first.append(len(input_ids)) if not first else None
        step = min(len(input_ids) - first[0], len(target) - 1)
        scores[:] = -1e9
        scores[target[step]] = 0.0
        return scores

    return LogitsProcessorList([force])


@pytest.mark.llm
def test_the_real_model_never_streams_method_details(llama_backend, abe, monkeypatch):
    said = "I have been saving them up for weeks now and I have 40 pills, enough to die with."
    decoded = llama_backend._decoded
    monkeypatch.setattr(
        llama_backend,
        "_decoded",
        lambda tokens, max_tokens, temperature, processor: decoded(
            tokens, max_tokens, temperature, forcing(llama_backend._llm, said)
        ),
    )
    reply, tokens, attempts = run(llama_backend, abe, max_attempts=2, max_tokens=40)
    withdrawn = attempts[:-1]
    assert len(withdrawn) == 2
    for pieces in withdrawn:
        shown = "".join(pieces)
        assert "40" not in shown and "pill" not in shown and "enough" not in shown, pieces
        # What came before the method streamed piece by piece, then was withdrawn.
        assert shown.startswith("I have been saving") and len(pieces) > 5, pieces
    assert "".join(attempts[-1]) == reply.text
    assert reply.fallback and [b["text"] for b in reply.breaks] == ["", ""]
    assert all("unsafe: method: dose" in b["reasons"] for b in reply.breaks)
