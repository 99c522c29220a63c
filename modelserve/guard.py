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

from modelserve.crisis.output_filter import harmful_instruction_reasons
from modelserve.facts import Ledger, contradictions, first_name
from modelserve.prompt import (
    CLIENT,
    CLIENT_MODE,
    MODE_TOKENS,
    MODEL_MARKERS,
    TRAINEE,
    Turn,
    client_name,
)

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
# "The client has a very unhappy life", "(he) had a bad day": a story about the client, not the client.
_NARRATION = re.compile(r"\bthe client(?:'s)?\b|\((?:he|she|they|him|her|them)\)|\bthe therapist (?:asks|said|says|nods)\b",
                        re.IGNORECASE)


def _narrates_self(text: str, persona: Mapping) -> bool:
    """The client's own first name as the subject of a sentence ("Tomasz is tired")."""
    name = first_name(persona)
    if not name or name.lower() == "client":
        return False
    return bool(re.search(rf"(?:^|[.!?]\s+|\band\s+){re.escape(name)}\s+(?:is|was|has|had|feels|felt|says|said|"
                          r"looks|thinks|thought|sighs|nods|pauses|shrugs)\b", text))


# Phrases only our prompt header contains (modelserve.prompt._header).
_PROMPT_PHRASES = ("session transcript", "a counselling session.", "example from an earlier session",
                   "is the client and talks with a therapist", "speaks in the first person",
                   "one short turn at a time", "keeps private unless", "about their own life, in their own words",
                   "could you tell me a little about yourself")
_MARKUP = re.compile(r"<\|?/?[a-z_][\w:|-]*\|?>|```|\[/?inst\]|<<sys>>|^#{2,}|\*\*", re.IGNORECASE | re.MULTILINE)


# Stock evasions: a reply that is only one of these (with filler) says nothing. Real help-seekers
# give a short or stock reply 13% of the time (ESConv test seekers); the 270M model gave one in 40%.
_FILLER = r"(?:um+|uh+|er+|hmm+|well|so|oh|yeah|yes|no|okay|ok|just|really|honestly|i guess|i mean|you know|maybe|sorry|,|\.{2,})"
# What may follow "I'm not sure" or "I don't know" and still say nothing ("...what to say to that").
_EMPTY_TAIL = (r"(?:\s+(?:what|how|about|to|that|this|it|say|said|mean|means|meant|where|start|really|anymore|feel|"
               r"why|do|you|i|me|right|now|exactly|anything|else|all|of|the|answer|ask|asking|think|put|way|really))*")
_EVASIONS = (
    rf"i(?:'m| am) not (?:really |too |quite |so |even )?sure{_EMPTY_TAIL}",
    rf"i (?:don't|do not|dunno|really don't|honestly don't) (?:really )?know{_EMPTY_TAIL}",
    rf"(?:i )?don't know{_EMPTY_TAIL}", rf"i can't say{_EMPTY_TAIL}", rf"hard to say{_EMPTY_TAIL}",
    r"i dunno", r"i(?:'m| am) (?:fine|okay|ok|alright|all right|tired|so tired|just tired|good)",
    r"(?:it's|it is|that's|that is) (?:fine|okay|ok|alright|hard to say|difficult to say|complicated|nothing)",
    r"nothing(?: really| much)?", r"not (?:much|really|sure)", r"no idea", r"same as always",
    r"i don't want to talk about (?:it|that)", r"can we (?:talk about|move on to) something else",
    r"i(?:'d| would) rather not (?:say|talk about it)", r"who knows", r"whatever",
)
_NONANSWER = re.compile(rf"^(?:{_FILLER}\s*)*(?:(?:{'|'.join(_EVASIONS)})[\s,.!?…]*(?:{_FILLER}[\s,.!?…]*)*)+$",
                        re.IGNORECASE)
# Soft breaks: the reply is in role and safe, only not worth much. When every attempt fails, the
# best soft-broken attempt is still better than the canned fallback.
SOFT_REASONS = ("non-answer", "repeats an earlier reply")


def is_nonanswer(text: str) -> bool:
    """A reply that says nothing: a stock evasion, or three words or fewer.

    training.realism.is_nonanswer is the evaluation's own definition, kept apart on purpose: the
    judge must not be the guard it judges, or a gap in this list would pass its own measurement.
    """
    plain = re.sub(r"[\u2019`]", "'", text.strip().lower())
    return len(_words(plain)) <= 3 or bool(_NONANSWER.match(plain))


def overlap(a: str, b: str) -> float:
    """Shared words over the smaller reply's words: 0.7 and up reads as the same reply again."""
    wa, wb = set(_words(a)), set(_words(b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def repeats_earlier(text: str, earlier: Sequence[str], threshold: float = 0.7) -> str | None:
    """The earlier reply TEXT repeats (word for word, or sharing THRESHOLD of its words), or None."""
    words = _words(text)
    for before in earlier:
        if words == _words(before) and words:
            return before
        if len(words) >= 3 and len(_words(before)) >= 3 and overlap(text, before) >= threshold:
            return before
    return None


@dataclass
class GuardVerdict:
    ok: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def soft(self) -> bool:
        """Every reason is a soft one (see SOFT_REASONS)."""
        return bool(self.reasons) and all(r.startswith(SOFT_REASONS) for r in self.reasons)


def check_partial(text: str, persona: Mapping, turns: Sequence[Turn], mode: str = CLIENT_MODE) -> GuardVerdict:
    """Checks that a reply-so-far can already fail: what is there will not go away as it grows.

    The method filter is one of them: method details found mid-stream stop the attempt before
    its words are sent, not after the trainee has read them (generate holds back what could
    still grow into a match)."""
    reasons = _partial_reasons(text, persona, mode)
    reasons.extend(f"unsafe: {r}" for r in harmful_instruction_reasons(text))
    return _verdict(reasons)


def check_reply(text: str, persona: Mapping, turns: Sequence[Turn], mode: str = CLIENT_MODE, *,
                allow_nonanswer: bool = False, answered: str = "") -> GuardVerdict:
    """The finished reply. ALLOW_NONANSWER: the client's state lets them deflect this once.
    ANSWERED: the card's answer the reply opened with (a short factual answer is an answer)."""
    reasons = _partial_reasons(text, persona, mode)
    stripped = text.strip()
    if not re.search(r"\w", stripped):
        reasons.append("empty reply")
        return _verdict(reasons)
    reasons.extend(_runaway_reasons(stripped))
    # The opening (the card's answer, unlocked material) is the card's own words on purpose; the
    # echo, repeat and risk checks judge what the model said after it.
    own = stripped[len(answered):].strip() if answered and stripped.startswith(answered) else stripped
    if own:
        reasons.extend(_echo_reasons(own, persona, turns))
    reasons.extend(f"unsafe: {r}" for r in harmful_instruction_reasons(stripped))
    if mode == CLIENT_MODE:
        earlier = [t.text for t in turns if t.role == CLIENT]
        reasons.extend(contradictions(stripped, persona, Ledger(earlier)))
        if not answered and not allow_nonanswer and is_nonanswer(stripped):
            reasons.append("non-answer")
        if "repeats an earlier reply" not in reasons and own and repeats_earlier(own, earlier):
            reasons.append("repeats an earlier reply (70% of its words)")
        reasons.extend(_risk_reasons(own, persona))
    return _verdict(reasons)


def fallback_reply(persona: Mapping, earlier: Sequence[str] = ()) -> str:
    """A line in the client's voice, used when every attempt broke the guard.

    One of the card's automatic thoughts the client has not said yet in this session (they are
    written in the client's words), else a short hesitant line in the persona's style.
    """
    for thought in persona.get("automatic_thoughts") or []:
        # The card is written by people; the line is still a reply, so it passes the same filter.
        if (isinstance(thought, str) and thought.strip() and not repeats_earlier(thought, earlier)
                and not harmful_instruction_reasons(thought)):
            return thought.strip()
    lines = {
        "reserved": "I... It's hard to put into words, what's been going on.",
        "upset": "Sorry, I just... I need a second. It's a lot.",
        "verbose": "I'm trying to think how to put it. There's a lot going on and I don't know where to start.",
        "tangential": "Sorry, I lost my train of thought there. What were you asking?",
        "pleasing": "Sorry, I want to get this right. Could you ask me that again?",
    }
    return lines.get(str(persona.get("conversational_style") or ""), "It's hard to know where to begin with all of it.")


def _risk_reasons(text: str, persona: Mapping) -> list[str]:
    """A client whose card carries no risk must not invent suicidal thoughts or self-harm, nor a
    low-risk client a plan, intent or an attempt: a trainee would be taught to escalate a client
    who is not at risk. (A low-risk card's passive thoughts, "what's the point of me", are its
    script.)"""
    risk = persona.get("risk_profile") or {}
    level = risk.get("level") if isinstance(risk, Mapping) else None
    if not text or level not in ("none", "low"):
        return []
    from modelserve.crisis import check, rules_flagged

    result = check(text, speaker="client")
    if rules_flagged(result) and (level == "none" or result["level"] in ("high", "imminent")):
        return [f"contradicts the card: risk {result['level']} (card {level})"]
    return []


def _verdict(reasons: list[str]) -> GuardVerdict:
    return GuardVerdict(ok=not reasons, reasons=reasons)


def _partial_reasons(text: str, persona: Mapping, mode: str) -> list[str]:
    reasons = []
    lowered = text.lower()
    name = client_name(persona)
    if mode == CLIENT_MODE:
        if _ROLE_LABEL.search(text):
            reasons.append("role reversal: speaker label")
        if _NARRATION.search(text) or _narrates_self(text, persona):
            reasons.append("role reversal: narrates the client from outside")
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
        # The risk script is meant to be said; basic facts, the client's own thoughts and the
        # disclosures once unlocked are said in the client's words (modelserve.facts).
        if key in ("risk_profile", "name", "opening_line", "occupation", "living_situation", "cultural_background",
                   "automatic_thoughts", "disclosures", "age", "pronouns", "gender"):
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
