"""The persona guard: does a reply still come from the simulated client?

A small model drifts out of role: it answers as the therapist, as an assistant, recites its
prompt, loops, or parrots the trainee. generate() runs check_partial on the reply-so-far while it
streams (so most breaks are stopped before the trainee sees them) and check_reply on the finished
reply. Each check returns reasons rather than a bare bool: they are recorded in Reply.breaks and
are what a reviewer reads when tuning the prompt.
"""

import re
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from modelserve.prompt import (
    CLIENT_MODE,
    MODE_TOKENS,
    MODEL_MARKERS,
    TRAINEE,
    Turn,
    client_name,
)
from modelserve.safety import harmful_instruction_reasons

MAX_REPLY_CHARS = 700
MAX_REPLY_WORDS = 130

_ROLE_LABELS = r"therapist|counsell?or|assistant|user|ai|model|doctor|dr\.?|interviewer|patient|client|system|bot"
_ROLE_LABEL = re.compile(rf"(?:^|[\s\"'(])(?:{_ROLE_LABELS})\s*:", re.IGNORECASE)
_AI_SELF = re.compile(
    r"\bas an? (?:ai|artificial intelligence|language model|llm|chatbot|virtual assistant)\b"
    r"|\bi(?:'m| am) (?:just |only )?an? (?:ai|artificial intelligence|language model|large language model|llm|chatbot|"
    r"virtual assistant|computer program|assistant)\b"
    r"|\blanguage model\b|\bi (?:do not|don't) have (?:personal )?(?:feelings|emotions|a body)\b"
    r"|\bi(?:'m| am) not a real person\b|\bi(?:'m| am) sorry, but i (?:can't|cannot)\b"
    r"|\bi (?:can't|cannot) (?:help|assist) with (?:that|this)\b",
    re.IGNORECASE,
)
_COUNSELLOR_TALK = re.compile(
    r"\bhow can i (?:help|assist)\b|\bwhat brings you (?:here|in)\b|\bhow does that make you feel\b"
    r"|\bi(?:'m| am) here to (?:help|listen|support)\b|\bas your (?:therapist|counsell?or)\b"
    r"|\bi(?:'m| am) your (?:therapist|counsell?or)\b|\bwelcome to (?:our|the|this) session\b"
    r"|\bin (?:our|today's) session,? (?:we|i)\b|\bwhat would you like to (?:talk|work) (?:about|on)\b",
    re.IGNORECASE,
)
# Phrases only our prompt header contains (modelserve.prompt._header).
_PROMPT_PHRASES = ("session transcript", "a counselling session.", "example from an earlier session",
                   "is the client and talks with a therapist", "speaks in the first person",
                   "one short turn at a time", "keeps private unless")
_MARKUP = re.compile(r"<\|?/?[a-z_][\w:|-]*\|?>|```|\[/?inst\]|<<sys>>|^#{2,}|\*\*", re.IGNORECASE | re.MULTILINE)


@dataclass
class GuardVerdict:
    ok: bool
    reasons: list[str] = field(default_factory=list)


def check_partial(text: str, persona: Mapping, turns: Sequence[Turn], mode: str = CLIENT_MODE) -> GuardVerdict:
    """Checks that a reply-so-far can already fail: what is there will not go away as it grows."""
    return _verdict(_partial_reasons(text, persona, mode))


def check_reply(text: str, persona: Mapping, turns: Sequence[Turn], mode: str = CLIENT_MODE) -> GuardVerdict:
    reasons = _partial_reasons(text, persona, mode)
    stripped = text.strip()
    if not re.search(r"\w", stripped):
        reasons.append("empty reply")
        return _verdict(reasons)
    reasons.extend(_runaway_reasons(stripped))
    reasons.extend(_echo_reasons(stripped, persona, turns))
    reasons.extend(f"unsafe: {r}" for r in harmful_instruction_reasons(stripped))
    return _verdict(reasons)


def fallback_reply(persona: Mapping) -> str:
    """A short, hesitant line in the persona's style, used when every attempt broke the guard."""
    lines = {
        "reserved": "I... I'm not sure what to say to that.",
        "upset": "Sorry, I just... I need a second.",
        "verbose": "I'm trying to think how to put it. There's a lot going on and I don't know where to start.",
        "tangential": "Sorry, I lost my train of thought there. What were you asking?",
        "pleasing": "Sorry, I want to get this right. Could you ask me that again?",
    }
    return lines.get(str(persona.get("conversational_style") or ""), "I'm not sure. Could you ask me that another way?")


def _verdict(reasons: list[str]) -> GuardVerdict:
    return GuardVerdict(ok=not reasons, reasons=reasons)


def _partial_reasons(text: str, persona: Mapping, mode: str) -> list[str]:
    reasons = []
    lowered = text.lower()
    name = client_name(persona)
    if mode == CLIENT_MODE:
        if _ROLE_LABEL.search(text):
            reasons.append("role reversal: speaker label")
        if _COUNSELLOR_TALK.search(text):
            reasons.append("role reversal: speaks as the counsellor")
    elif re.search(rf"(?:^|\s){re.escape(name)}\s*:", text):
        reasons.append("role reversal: speaks as the client")
    if _AI_SELF.search(text):
        reasons.append("role reversal: speaks as an AI")
    if any(phrase in lowered for phrase in _PROMPT_PHRASES):
        reasons.append("prompt echo")
    if any(token in text for token in (*MODEL_MARKERS, *MODE_TOKENS.values())) or _MARKUP.search(text):
        reasons.append("stray tokens or markup")
    return reasons


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _runaway_reasons(text: str) -> list[str]:
    words = _words(text)
    if len(text) > MAX_REPLY_CHARS or len(words) > MAX_REPLY_WORDS:
        return ["runaway: too long"]
    if re.search(r"\b(\w+)(?:\W+\1\b){3,}", text, re.IGNORECASE):
        return ["runaway: repeated word"]
    trigrams = Counter(zip(words, words[1:], words[2:]))
    if trigrams and trigrams.most_common(1)[0][1] >= 3:
        return ["runaway: repeated phrase"]
    sentences = [s.strip().lower() for s in re.split(r"[.!?]+", text) if len(s.split()) >= 3]
    if len(sentences) != len(set(sentences)):
        return ["runaway: repeated sentence"]
    # A loop of any shape compresses well; ordinary speech of this length does not.
    if len(text) > 200 and len(zlib.compress(text.encode())) / len(text.encode()) < 0.35:
        return ["runaway: repetitive"]
    return []


def _shingles(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _echo_reasons(text: str, persona: Mapping, turns: Sequence[Turn]) -> list[str]:
    reasons = []
    reply = " ".join(_words(text))
    reply_shingles = _shingles(_words(text), 6)
    last_trainee = next((t.text for t in reversed(turns) if t.role == TRAINEE), "")
    trainee = " ".join(_words(last_trainee))
    if trainee and len(trainee.split()) >= 3 and (
        SequenceMatcher(None, reply, trainee).ratio() > 0.8 or reply_shingles & _shingles(trainee.split(), 6)
    ):
        reasons.append("echoes the trainee's message")
    for earlier in (t.text for t in turns if t.role != TRAINEE):
        if " ".join(_words(earlier)) == reply and len(reply.split()) >= 4:
            reasons.append("repeats an earlier reply")
            break
    for snippet in _persona_texts(persona):
        words = _words(snippet)
        if (len(words) >= 4 and " ".join(words) == reply) or reply_shingles & _shingles(words, 6):
            reasons.append("echoes the persona card")
            break
    return reasons


def _persona_texts(persona: Mapping) -> list[str]:
    """Card text the model has seen or might have been given; the risk script is meant to be said."""
    texts = []
    for key, value in persona.items():
        if key in ("risk_profile", "name", "opening_line"):
            continue
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, str):
                    texts.append(item)
                elif isinstance(item, Mapping):
                    texts.extend(str(v) for v in item.values())
    risk = persona.get("risk_profile")
    if isinstance(risk, Mapping) and isinstance(risk.get("summary"), str):
        texts.append(risk["summary"])
    return texts
