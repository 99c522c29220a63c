"""One reply from the simulated client, streamed, guarded, and regenerated when it breaks role.

The trainee must not watch the client turn into a therapist mid-sentence, so text reaches
on_token only after check_partial passes on everything generated so far, and only up to the last
word boundary: the unfinished word is held back until the next piece shows what it becomes.
When an attempt breaks anyway, on_discard tells the caller to clear what it showed.
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
from modelserve.guard import check_partial, check_reply, fallback_reply
from modelserve.prompt import (
    CLIENT_MODE,
    TRAINEE_LABEL,
    PromptStyle,
    Turn,
    build_prompt,
    client_name,
    stop_sequences,
)

log = logging.getLogger(__name__)

# Each regeneration samples cooler: the base model leaves its role more often when hot.
RETRY_TEMPERATURE_FACTOR = 0.7
# Old turns are dropped this many at a time, so the kept window (and the KV prefix a backend
# caches) stays the same for several turns instead of shifting every turn.
TRIM_STEP = 8


@dataclass
class Reply:
    text: str
    regenerations: int
    breaks: list[dict] = field(default_factory=list)  # {"attempt", "reasons", "text"} per broken attempt
    fallback: bool = False
    seconds: float = 0.0
    first_token_seconds: float | None = None  # until the trainee could first see text
    model: str = ""
    tokens: int = 0  # pieces streamed for the accepted reply (one per token on llama.cpp)


class _Broken(Exception):
    def __init__(self, reasons, text):
        self.reasons, self.text = reasons, text


def generate(persona: Mapping, turns: Sequence[Turn], *, backend: Backend | None = None, mode: str = CLIENT_MODE,
             on_token: Callable[[str], None] | None = None, on_discard: Callable[[list[str]], None] | None = None,
             max_attempts: int = 3, cache_key: str | None = None, max_tokens: int | None = None,
             temperature: float | None = None, style: PromptStyle | None = None) -> Reply:
    started = time.monotonic()
    backend = backend or get_backend()
    config = load_config()
    max_tokens = config.max_tokens if max_tokens is None else max_tokens
    temperature = config.temperature if temperature is None else temperature
    style = style or PromptStyle(card=config.prompt_card)
    turns = fit_turns(backend, persona, list(turns), mode, max_tokens, style)
    prompt = build_prompt(persona, turns, mode, style=style)
    stop = stop_sequences(persona, mode)
    speaker = client_name(persona) if mode == CLIENT_MODE else TRAINEE_LABEL
    reply = Reply(text="", regenerations=0, model=backend.model_id)
    sink = _Sink(on_token, reply, started)

    for attempt in range(1, max_attempts + 1):
        sink.released = ""
        try:
            text, pieces = _attempt(backend, prompt, persona, turns, mode, speaker, sink, max_tokens,
                                    temperature * RETRY_TEMPERATURE_FACTOR ** (attempt - 1), stop, cache_key)
        except _Broken as broken:
            reply.breaks.append({"attempt": attempt, "reasons": broken.reasons, "text": broken.text})
            log.info("reply broke the guard (attempt %d): %s", attempt, ", ".join(broken.reasons))
            if sink.released and on_discard:
                on_discard(broken.reasons)
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

    reply.text = fallback_reply(persona)
    reply.fallback = True
    reply.regenerations = max_attempts - 1
    sink.released = ""
    sink.emit(reply.text)
    reply.seconds = time.monotonic() - started
    return reply


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


def _attempt(backend, prompt, persona, turns, mode, speaker, sink, max_tokens, temperature, stop, cache_key):
    """Stream one attempt; return (text, pieces) or raise _Broken."""
    raw, pieces = "", 0
    stream = backend.stream(prompt, max_tokens=max_tokens, temperature=temperature, stop=stop,
                            cache_key=cache_key, seed=random.randrange(2**31))
    with closing(stream):
        for piece in stream:
            raw += piece
            pieces += 1
            visible = clean_reply(raw, speaker)
            if visible is None:
                continue  # could still be the speaker's name prefix
            verdict = check_partial(visible, persona, turns, mode)
            if not verdict.ok:
                raise _Broken(verdict.reasons, visible)
            boundary = max(visible.rfind(" "), visible.rfind("\t"))
            if boundary > len(sink.released):
                sink.emit(visible[len(sink.released):boundary].rstrip())
    text = clean_reply(raw, speaker, final=True) or ""
    verdict = check_reply(text, persona, turns, mode)
    if not verdict.ok or not text.startswith(sink.released):
        raise _Broken(verdict.reasons or ["released text changed"], text)
    return text, pieces


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
