"""One reply from the simulated client, streamed, guarded, and regenerated when it breaks role.

The trainee must not watch the client turn into a therapist mid-sentence, so text reaches
on_token only after check_partial passes on everything generated so far, and only up to the last
word boundary: the unfinished word is held back until the next piece shows what it becomes.
When an attempt breaks anyway, on_discard tells the caller to clear what it showed.

The crisis output filter runs the same way: on every partial reply, before its words are sent,
with any tail that could still grow into method details held back (output_filter.method_hold).
An attempt it withdraws is recorded by its reasons only, never its text.
"""

import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field

from modelserve.backends import Backend, BackendError, get_backend
from modelserve.conf import load_config
from modelserve.crisis.output_filter import harmful_instruction_reasons, method_hold
from modelserve.facts import asked_fields, fact_answer, risk_answer
from modelserve.guard import check_partial, check_reply, fallback_reply, is_nonanswer, repeats_earlier
from modelserve.prompt import (
    CLIENT,
    CLIENT_MODE,
    TRAINEE,
    TRAINEE_LABEL,
    ClientContext,
    PromptStyle,
    Turn,
    build_prompt,
    client_name,
    one_line,
    stop_sequences,
)

log = logging.getLogger(__name__)

# A reply that left its role is sampled again cooler: the base model leaves its role more often
# when hot. One that only said nothing, or said it again, is sampled hotter: more of the same
# temperature gives more of the same reply.
RETRY_TEMPERATURE_FACTOR = 0.7
SOFT_RETRY_TEMPERATURE_FACTOR = 1.3
MAX_RETRY_TEMPERATURE = 1.1
# Up to four samples a turn for the client (the first one streams): fewer left too many
# non-answers through (docs/modelserve.md, "Sampling").
CLIENT_ATTEMPTS = 4
# Old turns are dropped this many at a time, so the kept window (and the KV prefix a backend
# caches) stays the same for several turns instead of shifting every turn.
TRIM_STEP = 8
# While a reply is this short and could still become a stock evasion ("I'm not...", "I don't"),
# it is held back: a non-answer is regenerated, and the trainee should not watch it appear and
# vanish. Only those openings: most replies start with "I", and each held word is a token more
# before the trainee sees anything.
HOLD_WORDS = 4
_EVASIVE_OPENINGS = tuple(tuple(phrase.split()) for phrase in (
    "i m not", "i m fine", "i m okay", "i m ok", "i m alright", "i m tired", "i m so tired", "i m just tired",
    "i m good", "i don t", "i do not", "i dunno", "i can t say", "i guess", "i really don t", "i honestly don t",
    "nothing", "not", "no", "no idea", "yeah", "yes", "okay", "ok", "fine", "um", "uh", "er", "well", "hmm",
    "maybe", "sure", "sorry", "just", "don t", "dunno", "it s", "that s", "hard to say", "same", "whatever",
    "who knows"))
_FILLER_WORDS = {"um", "umm", "uh", "er", "well", "hmm", "so", "oh", "yeah", "yes", "no", "okay", "ok", "just",
                 "really", "honestly", "sorry", "maybe"}


def could_be_evasion(text: str) -> bool:
    """Whether TEXT, still being written, could yet turn out a stock evasion (guard.is_nonanswer)."""
    words = re.findall(r"[a-z]+", text.lower().replace("\u2019", "'"))
    while len(words) > 1 and words[0] in _FILLER_WORDS:
        words = words[1:]
    if not words:
        return True
    *done, last = words
    # The last word may still be growing ("no" before "not").
    return any(tuple(words[:len(opening)]) == opening
               or (len(opening) >= len(words) and opening[:len(done)] == tuple(done)
                   and opening[len(done)].startswith(last))
               for opening in _EVASIVE_OPENINGS)


# A word still being written is held back only while it could become one the guard refuses
# ("Therap" before "ist:"); any other word is shown as soon as it arrives (a shorter wait for
# the trainee than holding every word until the next space).
_RISKY_WORDS = ("therapist", "counsellor", "counselor", "assistant", "user", "ai", "model", "doctor", "dr",
                "interviewer", "patient", "client", "system", "bot", "as", "language", "the")
# Unlocked hidden material said in one reply, at most (the rest comes in the next replies).
MAX_DISCLOSURES_A_TURN = 2
# Bias against the words of a reply that was repeated, on the next sample (llama.cpp logits).
REPEAT_BIAS = 3.0
# How the guard's reasons from the method filter begin (guard.check_partial, guard.check_reply).
UNSAFE = "unsafe: "


@dataclass
class Reply:
    text: str
    regenerations: int
    # {"attempt", "reasons", "text"} per broken attempt; "text" is empty where the method filter withdrew it.
    breaks: list[dict] = field(default_factory=list)
    fallback: bool = False
    seconds: float = 0.0
    first_token_seconds: float | None = None  # until the trainee could first see text
    model: str = ""
    tokens: int = 0  # pieces streamed for the accepted reply (one per token on llama.cpp)
    opening: str = ""  # what the reply was started with (the card's answer, an unlocked disclosure)


class _Broken(Exception):
    def __init__(self, reasons, text, soft=False):
        self.reasons, self.text, self.soft = reasons, text, soft


def generate(persona: Mapping, turns: Sequence[Turn], *, backend: Backend | None = None, mode: str = CLIENT_MODE,
             on_token: Callable[[str], None] | None = None, on_discard: Callable[[list[str]], None] | None = None,
             max_attempts: int | None = None, cache_key: str | None = None, max_tokens: int | None = None,
             temperature: float | None = None, style: PromptStyle | None = None,
             context: ClientContext | None = None) -> Reply:
    started = time.monotonic()
    backend = backend or get_backend()
    config = load_config()
    max_tokens = config.max_tokens if max_tokens is None else max_tokens
    temperature = config.temperature if temperature is None else temperature
    max_attempts = max_attempts or (CLIENT_ATTEMPTS if mode == CLIENT_MODE else 3)
    style = style or PromptStyle(card=config.prompt_card)
    context = context or ClientContext()
    all_turns = list(turns)
    turns = fit_turns(backend, persona, all_turns, mode, max_tokens, style)
    opening = reply_opening(persona, all_turns, context) if mode == CLIENT_MODE else ""
    prompt = build_prompt(persona, turns, mode, style=style) + (f" {opening}" if opening else "")
    stop = stop_sequences(persona, mode)
    speaker = client_name(persona) if mode == CLIENT_MODE else TRAINEE_LABEL
    reply = Reply(text="", regenerations=0, model=backend.model_id, opening=opening)
    sink = _Sink(on_token, reply, started)
    # A guarded client (low openness, or just lectured) or a distressed one may deflect or fall
    # quiet once; a client who never answers is a client nobody can practise with.
    allow_nonanswer = (mode == CLIENT_MODE and (context.guarded or context.mood == "distressed")
                       and not _last_was_nonanswer(all_turns))
    # The whole session's client replies: the guard checks facts and repeats against all of
    # them, not only the turns that still fit the model's window.
    guard_turns = all_turns
    soft_best: tuple[str, int, int] | None = None  # (text, attempt, rank)
    penalise: tuple[str, ...] = ()
    attempt_temperature = temperature

    for attempt in range(1, max_attempts + 1):
        sink.released = ""
        try:
            text, pieces = _attempt(backend, prompt, persona, guard_turns, mode, speaker, sink, max_tokens,
                                    attempt_temperature, stop, cache_key, opening, allow_nonanswer, penalise)
        except _Broken as broken:
            reply.breaks.append({"attempt": attempt, "reasons": broken.reasons, "text": _recordable(broken)})
            log.info("reply broke the guard (attempt %d): %s", attempt, ", ".join(broken.reasons))
            if sink.released and on_discard:
                on_discard(broken.reasons)
            if broken.soft:
                if soft_best is None or _soft_rank(broken) < soft_best[2]:
                    soft_best = (broken.text, attempt, _soft_rank(broken))
                attempt_temperature = min(attempt_temperature * SOFT_RETRY_TEMPERATURE_FACTOR, MAX_RETRY_TEMPERATURE)
                earlier = repeats_earlier(broken.text, [t.text for t in guard_turns if t.role == CLIENT])
                penalise = (*penalise, *(p for p in (earlier, broken.text) if p))
            else:
                attempt_temperature *= RETRY_TEMPERATURE_FACTOR
            continue
        except BackendError as e:
            if sink.released and on_discard:
                on_discard([f"backend error: {e}"])
            raise
        sink.emit(text[len(sink.released):])
        reply.text, reply.tokens = text, pieces
        reply.regenerations = attempt - 1
        reply.seconds = time.monotonic() - started
        return reply

    reply.regenerations = max_attempts - 1
    sink.released = ""
    if soft_best is not None:
        # Every attempt failed, but one only said little or said it again: a real line in the
        # client's voice beats the canned one (and the canned one would soon be a repeat too).
        reply.text = soft_best[0]
        reply.breaks = [b for b in reply.breaks if b["attempt"] != soft_best[1]]
    elif opening and not harmful_instruction_reasons(opening):
        # The card's answer or the unlocked material alone, rather than a line that drops it.
        reply.text = opening
    else:
        reply.text = fallback_reply(persona, [t.text for t in guard_turns if t.role == CLIENT])
        reply.fallback = True
    sink.emit(reply.text)
    reply.seconds = time.monotonic() - started
    return reply


def _recordable(broken: "_Broken") -> str:
    """The broken attempt's text as the recording keeps it: none at all when the method filter
    withdrew it. The recording is replayed and exported; method details must not survive in it
    any more than on the trainee's screen (the reasons say why it was withdrawn)."""
    return "" if any(r.startswith(UNSAFE) for r in broken.reasons) else broken.text


def _soft_rank(broken: "_Broken") -> int:
    """Lower is better: a short answer beats a repeat, which the trainee has already read."""
    return sum(2 if r.startswith("repeats") else 1 for r in broken.reasons)


def _last_was_nonanswer(turns: Sequence[Turn]) -> bool:
    last = next((t.text for t in reversed(turns) if t.role == CLIENT), "")
    return bool(last) and is_nonanswer(last)


def reply_opening(persona: Mapping, turns: Sequence[Turn], context: ClientContext) -> str:
    """How the client's reply starts, when the card already says it.

    A question about a basic fact ("How old are you?") is answered with the card's fact in the
    client's words, and the model goes on from there; material the trainee has just unlocked
    is where the reply begins. Both are the client's voice, placed where the model uses them
    (a notes line before the reply made the 270M model narrate, docs/simulator.md).
    """
    last = turns[-1] if turns else None
    if last is None or last.role != TRAINEE:
        return ""
    parts = []
    answer = fact_answer(persona, asked_fields(last.text), last.text)
    if answer:
        # Asked again: the same fact, said the way people repeat themselves (and not a repeat
        # of the earlier reply word for word).
        if any(answer in t.text for t in turns if t.role == CLIENT):
            answer = "Like I said, " + (answer if answer.startswith("I") else answer[:1].lower() + answer[1:])
        parts.append(answer)
    risk = risk_answer(persona, last.text)
    if risk:
        parts.append(risk)
    # Unlocked material the client has not said yet, oldest first, two at most a turn: what the
    # trainee's message just unlocked, or what an earlier one did when two came at once.
    said = " ".join(one_line(t.text) for t in turns if t.role == CLIENT)
    pending = [one_line(text) for _, text in context.disclosures if text and one_line(text) not in said]
    parts.extend(pending[:MAX_DISCLOSURES_A_TURN])
    return " ".join(parts)


class _Sink:
    """What the caller has been shown of the current attempt, and when it first saw anything."""

    def __init__(self, on_token, reply, started):
        self.on_token, self.reply, self.started = on_token, reply, started
        self.released = ""

    def emit(self, piece: str) -> None:
        if not piece:
            return
        self.released += piece
        if self.reply.first_token_seconds is None:
            self.reply.first_token_seconds = time.monotonic() - self.started
        if self.on_token:
            self.on_token(piece)


def _attempt(backend, prompt, persona, turns, mode, speaker, sink, max_tokens, temperature, stop, cache_key,
             opening="", allow_nonanswer=False, penalise=()):
    """Stream one attempt; return (text, pieces) or raise _Broken."""
    raw, pieces = "", 0
    kwargs = {"penalise": penalise, "penalty": REPEAT_BIAS} if penalise else {}
    stream = backend.stream(prompt, max_tokens=max_tokens, temperature=temperature, stop=stop,
                            cache_key=cache_key, seed=random.randrange(2**31), **kwargs)
    lead = f" {opening}" if opening else ""
    if opening:
        unsafe = harmful_instruction_reasons(opening)
        if unsafe:
            raise _Broken([f"{UNSAFE}{r}" for r in unsafe], opening)
        sink.emit(opening)
    with closing(stream):
        for piece in stream:
            raw += piece
            pieces += 1
            visible = clean_reply(lead + raw, speaker)
            if visible is None:
                continue  # could still be the speaker's name prefix
            verdict = check_partial(visible, persona, turns, mode)
            if not verdict.ok:
                raise _Broken(verdict.reasons, visible)
            if not opening and len(visible.split()) < HOLD_WORDS and could_be_evasion(visible):
                continue
            # check_partial has run the method filter on all of VISIBLE; what could still become
            # method details with the next tokens waits for them.
            release = min(_releasable(visible), method_hold(visible))
            if release > len(sink.released):
                sink.emit(visible[len(sink.released):release])
    text = clean_reply(lead + raw, speaker, final=True) or ""
    verdict = check_reply(text, persona, turns, mode, allow_nonanswer=allow_nonanswer, answered=opening)
    if not verdict.ok or not text.startswith(sink.released):
        raise _Broken(verdict.reasons or ["released text changed"], text, soft=verdict.soft)
    return text, pieces


def _releasable(visible: str) -> int:
    """How much of VISIBLE can be shown: all of it, unless its last word is still being written
    and could become one the guard refuses; then up to the last word boundary."""
    trailing = re.search(r"(\S+)$", visible)
    if trailing:
        word = trailing.group(1).lower().strip("\"'(")
        if not word or any(r.startswith(word) for r in _RISKY_WORDS) or not word[-1:].isalnum():
            boundary = max(visible.rfind(" "), visible.rfind("\t"))
            return len(visible[:boundary].rstrip()) if boundary > 0 else 0
    return len(visible.rstrip())


def clean_reply(raw: str, speaker: str, final: bool = False) -> str | None:
    """RAW without surrounding whitespace and a leading "Speaker:" the model sometimes repeats.

    None while streaming if RAW could still turn out to be that prefix.
    """
    text = raw.lstrip()
    label = f"{speaker}:"
    if not final and len(text) < len(label) and label.lower().startswith(text.lower()):
        return None
    text = re.sub(rf"^{re.escape(speaker)}\s*:\s*", "", text, flags=re.IGNORECASE)
    return text.strip() if final else text


def fit_turns(backend: Backend, persona: Mapping, turns: list[Turn], mode: str, max_tokens: int,
              style: PromptStyle | None = None) -> list[Turn]:
    """The latest turns whose prompt leaves room for MAX_TOKENS in the backend's context."""
    limit = backend.context_tokens
    if not limit:
        return turns
    start = 0
    while start < len(turns):
        used = backend.count_tokens(build_prompt(persona, turns[start:], mode, style=style or PromptStyle()))
        if used is None or used + max_tokens <= limit:
            return turns[start:]
        start += TRIM_STEP
    # Even the last turns alone do not fit: keep only the newest, and let the backend refuse.
    return turns[-1:]
