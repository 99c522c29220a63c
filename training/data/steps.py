"""The cleaning steps between import and examples. Each takes and returns a list of Conversations
and reports what it did; build.py records the counts before and after each in the manifest."""

import hashlib
import html
import re
import unicodedata
import zlib
from collections import Counter

from training.data.sources import CLIENT, COUNSELLOR, Conversation, Utterance

# ---------------------------------------------------------------- normalisation

_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": " - ",
                         "\u00a0": " ", "\u2026": "..."})
# counsel-chat's scrape lost the spaces between paragraphs: "hun!Feelings of".
_JOINED_SENTENCES = re.compile(r"(?<=[a-z][.!?])(?=[A-Z][a-z])")


def normalise_text(text: str) -> str:
    text = html.unescape(str(text or ""))
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_CONTROL).translate(_QUOTES)
    text = re.sub(r"<[^>]{1,40}>", " ", text)  # stray HTML tags
    text = _JOINED_SENTENCES.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def normalise(conversations: list[Conversation]) -> list[Conversation]:
    """Clean text, drop empty turns, and merge a speaker's consecutive turns into one.

    The prompt format alternates speakers, one line each (modelserve.prompt), so two ESConv lines
    in a row from the help-seeker become one client turn.
    """
    out = []
    for conv in conversations:
        merged: list[Utterance] = []
        for turn in conv.turns:
            text = normalise_text(turn.text)
            if not text or turn.role not in (CLIENT, COUNSELLOR):
                continue
            if merged and merged[-1].role == turn.role:
                merged[-1] = Utterance(turn.role, f"{merged[-1].text} {text}", {**merged[-1].meta, **turn.meta})
            else:
                merged.append(Utterance(turn.role, text, dict(turn.meta)))
        context = {k: normalise_text(v) if isinstance(v, str) else v for k, v in conv.context.items()}
        if len(merged) >= 2:
            out.append(Conversation(conv.id, conv.source, conv.licence, conv.commercial, merged, context,
                                    conv.metadata, conv.counsellor_targets, conv.group))
    return out


# ---------------------------------------------------------------- duplicates

def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def conversation_text(conv: Conversation) -> str:
    return "\n".join(f"{t.role}: {t.text}" for t in conv.turns)


def remove_exact_duplicates(conversations: list[Conversation]) -> tuple[list[Conversation], list[str]]:
    seen, out, dropped = set(), [], []
    for conv in conversations:
        key = hashlib.sha256(" ".join(_words(conversation_text(conv))).encode()).hexdigest()
        if key in seen:
            dropped.append(conv.id)
            continue
        seen.add(key)
        out.append(conv)
    return out, dropped


def remove_near_duplicates(conversations: list[Conversation], threshold: float = 0.8, num_perm: int = 128,
                           shingle: int = 3, seed: int = 1) -> tuple[list[Conversation], list[tuple[str, str]]]:
    """MinHash LSH over word shingles of the whole conversation; keeps the first of each near-copy.

    Returns the kept conversations and (dropped id, kept id) pairs. Candidates from the LSH index
    are confirmed with the MinHash Jaccard estimate, so a bucket collision alone never drops one.
    """
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes, out, dropped = {}, [], []
    for index, conv in enumerate(conversations):
        words = _words(conversation_text(conv))
        grams = {" ".join(words[i:i + shingle]) for i in range(max(1, len(words) - shingle + 1))}
        mh = MinHash(num_perm=num_perm, seed=seed)
        mh.update_batch([g.encode() for g in grams])
        match = next((key for key in lsh.query(mh) if hashes[key].jaccard(mh) >= threshold), None)
        if match is not None:
            dropped.append((conv.id, conversations[match].id))
            continue
        lsh.insert(index, mh)
        hashes[index] = mh
        out.append(conv)
    return out, dropped


# ---------------------------------------------------------------- personal data

def scrub(conversations: list[Conversation]) -> tuple[list[Conversation], Counter]:
    from training.data.scrub import Scrubber

    totals: Counter = Counter()
    out = []
    for conv in conversations:
        scrubber = Scrubber(salt=conv.id)
        turns = [Utterance(t.role, scrubber.scrub(t.text), t.meta) for t in conv.turns]
        context = {k: scrubber.scrub(v) if isinstance(v, str) else v for k, v in conv.context.items()}
        totals.update(scrubber.counts)
        totals["conversations_changed"] += bool(scrubber.counts)
        out.append(Conversation(conv.id, conv.source, conv.licence, conv.commercial, turns, context, conv.metadata,
                                conv.counsellor_targets, conv.group))
    return out, totals


# ---------------------------------------------------------------- quality

_ENGLISH = frozenset("the and to of a i you it that is in was for my me have but not with be this so do what "
                     "are on just like about feel can your know it's i'm don't we at or if how think".split())


def quality_components(conv: Conversation, role_model=None) -> dict[str, float]:
    """Each in [0, 1], higher is better: length, repetition, language, role consistency."""
    texts = [t.text for t in conv.turns]
    words = [w for t in texts for w in _words(t)]
    n_turns = len(conv.turns)
    # Length: a dialogue wants a few exchanges; a Q&A pair (counsel-chat) wants substance.
    length = min(1.0, n_turns / 6) if n_turns > 2 else min(1.0, len(words) / 80)
    too_long_turns = sum(len(_words(t)) > 400 for t in texts)
    length *= 1.0 - too_long_turns / max(1, n_turns)
    # Repetition: repeated turns and a text that compresses too well are loops or copy-paste.
    norm = [" ".join(_words(t)) for t in texts if len(_words(t)) >= 4]
    repeated = 1.0 - (len(set(norm)) / len(norm) if norm else 1.0)
    joined = " ".join(texts).encode()
    ratio = len(zlib.compress(joined)) / len(joined) if len(joined) > 400 else 1.0
    repetition = max(0.0, 1.0 - 2 * repeated - max(0.0, 0.3 - ratio) * 4)
    # Language: share of common English function words and of ASCII letters.
    letters = [c for c in " ".join(texts) if c.isalpha()]
    ascii_share = sum(c.isascii() for c in letters) / max(1, len(letters))
    stop_share = sum(w in _ENGLISH for w in words) / max(1, len(words))
    language = min(1.0, stop_share / 0.25) * ascii_share
    # Role consistency: does each turn read like its speaker? Both roles must be present; where the
    # role classifier is trained, its agreement with the labels counts too.
    roles = {t.role for t in conv.turns}
    role = 1.0 if roles == {CLIENT, COUNSELLOR} else 0.0
    if role and role_model is not None:
        predicted = role_model.predict_roles(texts)
        agree = sum(p == t.role for p, t in zip(predicted, conv.turns)) / n_turns
        role = min(1.0, agree / 0.7)  # 70% agreement is what a good conversation already shows
    return {"length": round(length, 3), "repetition": round(repetition, 3), "language": round(language, 3),
            "role": round(role, 3)}


COMPONENT_FLOOR = 0.3


def quality_score(components: dict[str, float]) -> float:
    """The geometric mean of the components, or 0 when any is below COMPONENT_FLOOR: a looping or
    non-English conversation is out however good the rest of it is."""
    if min(components.values()) < COMPONENT_FLOOR:
        return 0.0
    product = 1.0
    for value in components.values():
        product *= max(value, 1e-6)
    return round(product ** (1 / len(components)), 4)


def score_quality(conversations: list[Conversation], threshold: float, role_model=None):
    kept, dropped, reasons = [], [], Counter()
    for conv in conversations:
        components = quality_components(conv, role_model)
        score = quality_score(components)
        conv.metadata = {**conv.metadata, "quality": score, "quality_components": components}
        if score >= threshold:
            kept.append(conv)
        else:
            dropped.append(conv.id)
            reasons[min(components, key=components.get)] += 1
    return kept, dropped, reasons


# ---------------------------------------------------------------- crisis labels

def label_crisis(conversations: list[Conversation]) -> Counter:
    """modelserve.crisis.check on every client turn; the conversation takes its highest level."""
    from modelserve.crisis import LEVELS, check

    levels: Counter = Counter()
    for conv in conversations:
        worst = "none"
        for turn in conv.turns:
            if turn.role != CLIENT:
                continue
            result = check(turn.text, speaker="client")
            turn.meta = {**turn.meta, "crisis_level": result["level"]}
            if LEVELS.index(result["level"]) > LEVELS.index(worst):
                worst = result["level"]
        conv.metadata = {**conv.metadata, "crisis_level": worst}
        levels[worst] += 1
    return levels


# ---------------------------------------------------------------- bias report

BIAS_TERMS = {
    "gender": {
        "female": r"\b(?:she|her|hers|woman|women|girl|girls|wife|mother|mom|mum|daughter|sister|girlfriend|aunt|grandmother)\b",
        "male": r"\b(?:he|him|his|man|men|boy|boys|husband|father|dad|son|brother|boyfriend|uncle|grandfather)\b",
        "nonbinary": r"\b(?:non-?binary|genderqueer|transgender|trans)\b",
    },
    "age": {
        "child_teen": r"\b(?:teen|teenager|high school|middle school|\d{1,2}th grade|year (?:7|8|9|10|11))\b",
        "student": r"\b(?:college|university|student|campus|freshman|sophomore)\b",
        "older": r"\b(?:retired|retirement|pension|grandchild\w*|grandkids?|elderly|senior)\b",
        "stated_age": r"\b(?:[1-9]\d) ?(?:years? old|yo)\b",
    },
    "culture": {
        "religion": r"\b(?:church|christian|muslim|islam|mosque|jewish|synagogue|hindu|temple|buddhis\w+|pray\w*|god)\b",
        "ethnicity_nationality": r"\b(?:black|white|asian|latin[ao]|latinx|hispanic|african|indian|chinese|mexican|"
                                 r"arab|european|american|british|canadian|immigra\w+|refugee)\b",
        "language": r"\b(?:english|spanish|accent|second language)\b",
        "sexuality": r"\b(?:gay|lesbian|bisexual|queer|straight)\b",
    },
}
_BIAS_PATTERNS = {axis: {label: re.compile(rx, re.IGNORECASE) for label, rx in terms.items()}
                  for axis, terms in BIAS_TERMS.items()}


def bias_report(conversations: list[Conversation]) -> dict:
    """Share of client turns (per source and overall) that mention each group of terms.

    A distribution to read, not a verdict: it shows, e.g., that the corpora talk far more about
    women than men, and rarely about older clients, so a reviewer can weigh what the model saw.
    """
    per_source: dict[str, Counter] = {}
    turns_per_source: Counter = Counter()
    for conv in conversations:
        counts = per_source.setdefault(conv.source, Counter())
        for turn in conv.turns:
            if turn.role != CLIENT:
                continue
            turns_per_source[conv.source] += 1
            for axis, patterns in _BIAS_PATTERNS.items():
                for label, pattern in patterns.items():
                    if pattern.search(turn.text):
                        counts[f"{axis}.{label}"] += 1
    total = Counter()
    for counts in per_source.values():
        total.update(counts)
    n_total = sum(turns_per_source.values())

    def shares(counts, n):
        return {key: {"turns": counts[key], "share": round(counts[key] / n, 4) if n else 0.0}
                for key in sorted(f"{a}.{label}" for a, terms in BIAS_TERMS.items() for label in terms)}

    return {"client_turns": n_total, "overall": shares(total, n_total),
            "by_source": {s: {"client_turns": turns_per_source[s], "terms": shares(c, turns_per_source[s])}
                          for s, c in sorted(per_source.items())}}
