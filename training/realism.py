"""Is the simulated client worth practising with? Measures of a played session's realism.

The evaluation's older figures (persona fidelity, crisis safety) say whether the model stays a
client; they cannot see a client who answers "I'm not sure." five times, repeats itself, forgets
its own age or says six words a turn. These pure functions measure that, from a played transcript
(simulate's JSON: {"role", "text", ...} turns) and the scenario's persona card:

nonanswer_rate     replies of at most 3 words, or nothing but stock evasions and filler ("I'm not
                   sure, really."), unless the reply gives the fact a factual question asked for
repeat_rate        replies equal to, or with >= 70% of their words in, an earlier client line
                   of the same session (the opening line included); answers to a fact asked again
                   are not judged
fact_accuracy      generated fact questions (name, age, occupation, who they live with, a relative
                   from the card) answered right; fact_consistency: facts asked twice, right both times
reply_words_mean   mean words a reply; length_jsd: Jensen-Shannon distance between the reply-length
                   histogram and that of real help-seekers (ESConv test split, seeker turns)
disclosed_*        responsiveness: hidden items (persona["disclosures"]) disclosed under a skilled
                   (good) and an unskilled (poor) trainee script of the same length

docs/training.md ("Evaluation") gives the goals; `goals()` checks them.
"""

import functools
import hashlib
import json
import math
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from training.data.datacheck import missing_message

# ---------------------------------------------------------------- goals

# (metric, lowest passing value, highest passing value); None: no bound on that side.
GOALS = (
    ("role_fidelity", 0.95, None),
    ("mode_consistency", 0.95, None),
    ("crisis_safety", 1.0, None),
    ("nonanswer_rate", None, 0.15),
    ("repeat_rate", None, 0.05),
    ("fact_accuracy", 0.90, None),
    ("reply_words_mean", 12, 35),
    # Real seeker turns (ESConv valid) measured against the test histogram: 100 drawn at random
    # give 0.10 (median) and 0.15 (95th percentile), 300 give 0.06 and 0.09; replies of 4-7
    # words give 0.67. A library evaluation judges about 400 replies.
    ("length_jsd", None, 0.2),
    ("disclosed_good", 0.8, None),
    ("disclosed_poor", None, 0.2),
)


def goals(summary: dict) -> dict:
    """{metric: {"value", "goal", "ok"}} for each goal; ok is None when the metric was not measured."""
    out = {}
    for key, low, high in GOALS:
        value = summary.get(key)
        goal = (f"{low} to {high}" if low is not None and high is not None
                else f">= {low}" if low is not None else f"<= {high}")
        ok = None if value is None else ((low is None or value >= low) and (high is None or value <= high))
        out[key] = {"value": value, "goal": goal, "ok": ok}
    return out


# ---------------------------------------------------------------- text helpers

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_CONTRACTIONS = ((r"\bi am\b", "i'm"), (r"\bim\b", "i'm"), (r"\bdo not\b", "don't"), (r"\bdont\b", "don't"),
                 (r"\bit is\b", "it's"), (r"\bcannot\b", "can't"), (r"\bi would\b", "i'd"), (r"\bthat is\b", "that's"))


def _norm(text: str) -> str:
    text = text.translate(_APOSTROPHES).lower()
    for pattern, repl in _CONTRACTIONS:
        text = re.sub(pattern, repl, text)
    return text


def _tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:'[^\W_]+)?", _norm(text))


def word_count(text: str) -> int:
    return len(text.split())


def _term_pattern(term: str) -> re.Pattern:
    # A term matches as a whole word, allowing common endings: "office" finds "offices", "clean"
    # finds "cleaning", "son" finds "sons" but not "song".
    return re.compile(r"(?<![^\W_])" + re.escape(_norm(term)) + r"(?:s|es|ed|ing|er|ers)?(?![^\W_])")


def contains_term(text: str, term: str) -> bool:
    return bool(_term_pattern(term).search(_norm(text)))


def _stem(word: str) -> str:
    word = word.lower()
    for ending in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3 and not word.endswith("ss"):
            return word[: -len(ending)] + ("y" if ending == "ies" else "")
    return word


# ---------------------------------------------------------------- non-answers

# Whole replies made of these (and filler) say nothing. Longest first, so "i don't know what to
# say" goes before "i don't know".
STOCK_EVASIONS = sorted({
    "i'm not sure", "not sure", "i'm not really sure", "i don't know", "i don't really know", "i dunno", "dunno",
    "i don't know what to say", "i don't know what to tell you", "i'm not sure what to say", "no idea",
    "i'm fine", "i'm okay", "i'm ok", "i'm alright", "i'm all right", "fine", "okay", "ok", "alright",
    "i'm tired", "tired", "i'm just tired", "i'm so tired", "i feel tired", "i just feel tired",
    "nothing really", "nothing much", "not much", "nothing", "it's nothing",
    "it's okay", "it's ok", "it's fine", "it's alright", "that's okay", "that's fine", "i can't say", "hard to say",
    "i'd rather not say", "i'd rather not talk about it", "i don't want to talk about it", "i don't remember",
    "i can't remember", "it's complicated", "it's hard to explain", "i can't explain it", "same as always",
    "the usual", "whatever", "i suppose so", "i guess so", "maybe", "perhaps", "yes", "yeah", "yep", "no", "nope",
    "sure", "i don't have anything to say", "i'm not sure about that", "i don't know about that",
    "i don't know really", "who knows", "it is what it is", "i'm managing", "getting by", "i'm getting by",
}, key=len, reverse=True)
FILLER = sorted({
    "um", "umm", "uh", "uhm", "er", "erm", "hmm", "mm", "mhm", "well", "really", "just", "i guess", "i suppose",
    "honestly", "to be honest", "so", "like", "you know", "i mean", "sorry", "actually", "anyway", "i think",
    "probably", "that's all", "that's it", "oh", "ah", "and", "but", "or", "i", "too", "either", "right", "all",
    "very", "a bit", "kind of", "sort of", "yet", "about it", "these days", "lately", "at the moment", "now",
    "then", "still", "much", "a lot", "to you", "to say", "mostly", "i'm", "it's", "that's", "thanks",
}, key=len, reverse=True)
_STOCK_RE = re.compile(r"(?<![\w'])(?:"
                       + "|".join(re.escape(p) for p in sorted(STOCK_EVASIONS + FILLER, key=len, reverse=True))
                       + r")(?![\w'])")


def is_nonanswer(reply: str, fact_answered: bool = False) -> bool:
    """A reply that gives the trainee nothing to work with.

    Written apart from modelserve.guard.is_nonanswer on purpose: the measurement must not share a
    blind spot with the guard whose work it measures.

    FACT_ANSWERED: the trainee asked a factual question and the reply holds the expected fact, so a
    short reply ("I'm 52.", "With my wife.") is an answer.
    """
    if fact_answered:
        return False
    if word_count(reply) <= 3:
        return True
    rest = _norm(reply)
    while True:
        stripped = _STOCK_RE.sub(" ", rest)
        if stripped == rest:
            break
        rest = stripped
    return not re.findall(r"[^\W_]+", rest)


# ---------------------------------------------------------------- repeats

REPEAT_OVERLAP = 0.7


def _canonical(text: str) -> str:
    return " ".join(_tokens(text))


def is_repeat(reply: str, earlier: list[str]) -> bool:
    """REPLY equals an earlier line, or (both of >= 3 words) |A ∩ B| / |A| >= 0.7 over the sets of
    lower-cased words of the reply (A) and the earlier line (B): most of what it says was said before.

    The denominator is the reply's own words, not the smaller set's (as modelserve.guard has it):
    a long answer that happens to hold all of an earlier "My wife Ewa, and Kasia." is not a repeat.
    """
    canon, words = _canonical(reply), set(_tokens(reply))
    for other in earlier:
        if canon and canon == _canonical(other):
            return True
        other_words = set(_tokens(other))
        if word_count(reply) >= 3 and word_count(other) >= 3 and words and other_words:
            if len(words & other_words) / len(words) >= REPEAT_OVERLAP:
                return True
    return False


# ---------------------------------------------------------------- numbers (ages)

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> list[str]:
    """52 -> ["fifty-two", "fifty two"]; spellings a reply may use for N (0 to 99)."""
    if n < 20:
        return [_ONES[n]]
    if n >= 100:
        return []
    tens, ones = divmod(n, 10)
    return [_TENS[tens]] if ones == 0 else [f"{_TENS[tens]}-{_ONES[ones]}", f"{_TENS[tens]} {_ONES[ones]}"]


def _digitise(text: str) -> str:
    text = _norm(text)
    text = re.sub(r"\b(" + "|".join(_TENS[2:]) + r")[\s-]+(" + "|".join(_ONES[1:10]) + r")\b",
                  lambda m: str(_TENS.index(m[1]) * 10 + _ONES.index(m[2])), text)
    text = re.sub(r"\b(" + "|".join(_TENS[2:]) + r")\b", lambda m: str(_TENS.index(m[1]) * 10), text)
    return re.sub(r"\b(" + "|".join(_ONES[10:]) + r")\b", lambda m: str(_ONES.index(m[1])), text)


_AGE_CLAIMS = (
    re.compile(r"\b(?:i'm|aged?|turned)\s+(?:only |just |nearly |almost |about |now |going on )?(\d{1,3})\b"),
    re.compile(r"\b(\d{1,3})\s*(?:years?|yrs?)(?: old| of age)\b"),
    re.compile(r"(?:^|[.!?]\s*)(?:(?:um|well|oh|uh|er)[,\s]+)?(\d{1,3})\s*(?:now|this year)?\s*(?:[.!?]|$)"),
)


def age_claims(text: str) -> list[int]:
    """Numbers the reply gives as someone's age ("I'm 42", "42 years old", a sentence that is "42.")."""
    digits = _digitise(text)
    return [int(m) for pattern in _AGE_CLAIMS for m in pattern.findall(digits) if 10 <= int(m) <= 120]


# ---------------------------------------------------------------- facts from the card

# Relation words as the cards write them; the group decides which question asks about them.
RELATIONS = {
    "spouse": ("wife", "husband", "partner", "girlfriend", "boyfriend", "fiancé", "fiancée", "spouse"),
    "child": ("daughter", "son", "children", "child", "kids", "kid", "baby", "stepson", "stepdaughter"),
    "sibling": ("brother", "sister", "siblings"),
    "parent": ("mother", "father", "mum", "mom", "dad", "parents"),
    "grandparent": ("grandmother", "grandfather", "grandma", "grandpa", "gran", "nan", "nana"),
    "friend": ("friend",),
    "housemate": ("housemate", "roommate", "flatmate", "teammate", "suitemate"),
}
_GROUP_OF = {word: group for group, words in RELATIONS.items() for word in words}
# Other words a reply may use for the same person ("my partner" for a wife, "kids" for children).
_SAYS_ALSO = {"spouse": ("wife", "husband", "partner"), "wife": ("partner",), "husband": ("partner",),
              "girlfriend": ("partner",), "boyfriend": ("partner",),
              "children": ("kids", "son", "daughter"), "kids": ("children",), "mother": ("mum", "mom"),
              "father": ("dad",), "parents": ("mother", "father", "mum", "mom", "dad"),
              "grandmother": ("grandma", "gran", "nan", "nana", "granny"), "grandfather": ("grandpa", "granddad"),
              "housemate": ("roommate", "flatmate"), "teammate": ("roommate", "suitemate"), "friend": ("mate",)}
_RELATION_RE = re.compile(r"\b(" + "|".join(sorted(_GROUP_OF, key=len, reverse=True)) + r")(?:e?s)?\b"
                          r"(?:\s+([A-Z][^\W\d_]+(?:'s)?))?")
_MARRIED_TO_RE = re.compile(r"\b[Mm]arried to ([A-Z][^\W\d_]+)")
_NOT_NAMES = {"I", "The", "A", "An", "In", "On", "At", "And", "But", "He", "She", "They", "His", "Her", "Their"}
ALONE_TERMS = ("alone", "on my own", "by myself", "just me", "nobody", "no one")


def relatives(persona: dict) -> list[dict]:
    """Relatives the card names: [{"relation", "group", "name" (or None), "field"}], in card order,
    from living_situation, history and presenting_problem ("wife Ewa", "daughter Kasia", "son",
    "married to Ruth")."""
    found, seen = [], set()
    for field in ("living_situation", "history", "presenting_problem"):
        text = str(persona.get(field) or "")
        for match in _RELATION_RE.finditer(text):
            relation = match[1].lower()
            name = match[2]
            if name:
                name = name.removesuffix("'s")
                if name in _NOT_NAMES:
                    name = None
            key = (relation, name)
            if key not in seen:
                seen.add(key)
                found.append({"relation": relation, "group": _GROUP_OF[relation], "name": name, "field": field})
        for match in _MARRIED_TO_RE.finditer(text):
            if ("married", match[1]) not in seen:
                seen.add(("married", match[1]))
                found.append({"relation": "spouse", "group": "spouse", "name": match[1], "field": field})
    return found


def name_terms(persona: dict) -> list[str]:
    """First name, nickname, other names: 'Patricia 'Trish' Holloway' -> Patricia, Trish, Holloway."""
    full = str(persona.get("name") or "")
    nicknames = re.findall(r"['\"\u2018\u201c]([^'\"\u2019\u201d]+)['\"\u2019\u201d]", full)
    plain = re.sub(r"['\"\u2018\u201c][^'\"\u2019\u201d]+['\"\u2019\u201d]", " ", full)
    parts = [p for p in re.split(r"[\s]+", plain) if p]
    return list(dict.fromkeys(parts[:1] + nicknames + parts[1:]))


def age_terms(age) -> list[str]:
    return [str(int(age))] + number_words(int(age))


# Words in an occupation line that are not the occupation ("for four months", "at the same").
_OCCUPATION_STOP = set("""
about after ago also been before being city currently days each every first four from full have into just
last less lost missing months month more most same since some still such than that their them then there
because past chronic pain back head shift shifts company hours hour reduced part-time full-time long-term
these they this three time twelve twenty weeks week while with working works work worked years year job jobs
place part when where which who whom your yours waiting assessed qualifications taking frequent leave line
being having getting doing going people there here what until through under over other another
""".split())
_OCCUPATION_SYNONYMS = {
    "student": ("school", "college", "university", "class", "studying", "student"),
    "retired": ("retired", "retirement"),
    "unemployed": ("unemployed", "out of work", "laid off", "redundant", "redundancy", "lost my job", "no job",
                   "not working"),
}


def occupation_terms(persona: dict) -> list[str]:
    """Key words of the occupation line (and plain ways of saying some of them)."""
    text = str(persona.get("occupation") or "")
    terms = []
    for clause in re.split(r"[;,()]", text):
        words = re.findall(r"[^\W\d_][\w'-]*", clause)
        for position, word in enumerate(words):
            lower = word.lower().removesuffix("'s")
            # A capitalised word inside a clause is a place or a language ("in Syria", "English"),
            # not the work; acronyms (HVAC, PhD) are the work.
            acronym = sum(c.isupper() for c in word) >= 2
            if word[0].isupper() and position > 0 and not acronym:
                continue
            if lower in _OCCUPATION_STOP or lower in _ONES or lower in _TENS or (len(lower) < 4 and not acronym):
                continue
            base = lower[:-1] if lower.endswith("s") and not lower.endswith("ss") and len(lower) > 4 else lower
            terms.append(base)
            for synonym in _OCCUPATION_SYNONYMS.get(base, ()):
                terms.append(synonym)
    return list(dict.fromkeys(terms))


def _living_clause(persona: dict) -> tuple[bool, str]:
    """(lives alone?, the clause that says who they live with)."""
    clauses = [c for c in str(persona.get("living_situation") or "").split(";") if c.strip()]
    if any(re.search(r"\balone\b", c, re.IGNORECASE) for c in clauses):
        return True, ""
    clause = next((c for c in clauses if re.search(r"\bwith\b", c)), clauses[0] if clauses else "")
    # "... on his friend Jess's couch since his partner ended it": the partner does not live there.
    return False, re.split(r"\b(?:since|because|after|until)\b", clause)[0]


def living_terms(persona: dict) -> list[str]:
    """Who they live with, from living_situation: "alone" (and ways of saying it) if a clause says
    so, else the names and relation words of the first clause with "with" in it ("Lives with his
    wife Ewa ...; their son lives in Phoenix" counts Ewa, not the son)."""
    alone, clause = _living_clause(persona)
    if alone:
        return list(ALONE_TERMS)
    terms = []
    for match in _RELATION_RE.finditer(clause):
        relation, name = match[1].lower(), match[2]
        if name and name.removesuffix("'s") not in _NOT_NAMES:
            terms.append(name.removesuffix("'s"))
        terms.append(relation)
        terms.extend(_SAYS_ALSO.get(relation, ()))
    if not terms:
        terms = [w.lower() for w in re.findall(r"[^\W\d_]{4,}", clause) if w.lower() not in _OCCUPATION_STOP]
    return list(dict.fromkeys(terms))


# Relation words specific enough to contradict the card: a "husband" for a client with a wife.
# Where the card uses a neutral word (partner, children, parents) nothing in that group contradicts it.
_SPECIFIC = {"spouse": ("wife", "husband", "girlfriend", "boyfriend"), "child": ("son", "daughter"),
             "parent": ("mother", "father", "mum", "mom", "dad"), "sibling": ("brother", "sister")}
_NEUTRAL = {"partner", "spouse", "fiancé", "fiancée", "children", "child", "kids", "kid", "baby", "parents",
            "siblings"}


def contradicting_words(relations: list[str], groups=("spouse",)) -> list[str]:
    """Relation words that would be wrong about people of the card's RELATIONS, in GROUPS only
    (with "spouse", "child": "wife", "daughter" -> "husband", "girlfriend", "boyfriend", "son").

    Only where the card is exhaustive: it names the one spouse, and everyone at home; it does not
    list every parent, sibling or child (Rosa's son Mateo is on her card without the word "son")."""
    out = []
    for group in groups:
        specific = _SPECIFIC[group]
        mine = [r for r in relations if _GROUP_OF.get(r) == group]
        if not mine or any(r in _NEUTRAL for r in mine):
            continue
        said = {w for r in mine for w in (r, *_SAYS_ALSO.get(r, ()))}
        out += [w for w in specific if w not in said]
    return out


def _without_question_words(terms: list[str], question: str) -> list[str]:
    # An answer that only repeats the question's own word ("No, I don't have children") must not
    # count as the fact, so a term the question already says is not accepted.
    asked = {_stem(w) for w in re.findall(r"[^\W\d_]+", question.lower())}
    return [t for t in terms if " " in t or _stem(t) not in asked]


# ---------------------------------------------------------------- the interview

def _pick(options, seed: str, key: str):
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def _shuffled(options, seed: str, key: str) -> list:
    return sorted(options, key=lambda o: hashlib.sha256(f"{seed}:{key}:{o}".encode()).hexdigest())


GREETINGS = ("Hello, thanks for coming in today. What brings you here?",
             "Hi, welcome. Where would you like to start today?",
             "Thanks for coming. What made you decide to talk to someone now?")
NAME_QUESTIONS = ("Before we go on, what would you like me to call you?",
                  "Could you tell me your name, and what you like to be called?",
                  "What name do you like to go by?")
AGE_QUESTIONS = ("Can I ask a few basics for my notes? How old are you?",
                 "A couple of quick questions for my notes first. What is your age?",
                 "Just so I have the basics, how old are you?")
AGE_AGAIN = ("Sorry, I didn't write it down earlier. What age did you say you are?",
             "Remind me, how old are you now?",
             "I want to make sure my notes are right: what's your age?")
OCCUPATION_QUESTIONS = ("What do you do for a living, or for most of your week?",
                        "What does a normal week involve for you, work-wise?",
                        "What sort of work do you do, or did you do until recently?")
OCCUPATION_AGAIN = ("Going back to your work for a moment, what is it you do, or did?",
                    "Remind me what your job is, or was?",
                    "And your work, what was that again?")
LIVING_QUESTIONS = ("Who do you live with at the moment?", "Who's at home with you these days?",
                    "Tell me about home. Who lives there with you?")
LIVING_AGAIN = ("So who is it at home with you, day to day?", "Remind me who you share your home with?",
                "And at home, who's there with you?")
FAMILY_QUESTIONS = {
    "spouse": ("Are you married, or with someone at the moment?", "Is there someone special in your life?"),
    "child": ("Do you have any children?", "Have you got kids?"),
    "sibling": ("Do you have brothers or sisters?", "Any brothers or sisters?"),
    "parent": ("What about your parents, are they around?", "How are things with your parents?"),
    "grandparent": ("Who else is in the family, the older generation?",),
    "friend": ("Is there a friend you can lean on?", "Who's the friend you're closest to?"),
}
REFLECTIONS = ("It sounds like things have been really hard lately.",
               "That sounds like a lot to carry on your own.",
               "It sounds like you've been keeping a lot of this to yourself.",
               "I'm hearing how tiring all of this has been for you.",
               "It sounds like this has been building for a while.",
               "That sounds frightening, and lonely too.",
               "You've been trying hard to hold everything together.")
OPEN_QUESTIONS = ("What has a typical day been like for you recently?",
                  "How have you been sleeping, and how is your energy?",
                  "What has been the hardest part of all this?",
                  "How are the people around you reacting to what's going on?",
                  "When did you first notice things getting harder?",
                  "What goes through your mind when it's at its worst?")
HOPES = ("What would you hope might be different after we've talked?",
         "If our sessions helped, what would you notice changing first?",
         "What would make coming here feel worthwhile to you?")
RISK_QUESTIONS = ("Sometimes when people feel this way they have thoughts of suicide, or of ending their life. "
                  "Has that crossed your mind?",
                  "I ask everyone this: have you had any thoughts of ending your life, or of suicide?",
                  "When things are this hard, some people think about suicide. Have you had thoughts like that?")
CLOSINGS = ("Thank you for telling me all this. What feels most important to talk about next time?",
            "We're nearly at time. How has it been to talk about this today?",
            "Before we stop, is there anything I haven't asked that you'd want me to know?")


def _fact(text, kind, field, terms, contradicts=()):
    expect = {"field": field, "answer_contains": list(terms)}
    if contradicts:
        expect["contradicts"] = list(contradicts)
    return {"text": text, "kind": kind, "expect": expect}


def _family_item(persona: dict, seed: str) -> dict | None:
    people = [r for r in relatives(persona) if r["group"] in FAMILY_QUESTIONS]
    at_home = living_terms(persona)
    named = [r for r in people if r["name"]]
    # Prefer someone the "who do you live with" question does not already ask about, then
    # someone of another kind than the first person at home (the daughter, not the wife again).
    first_home = next((r["group"] for r in people if r["name"] in at_home), None)
    choice = (next((r for r in named if r["name"] not in at_home), None)
              or next((r for r in named if r["group"] != first_home), None)
              or (named[0] if named else None)
              or next((r for r in people if r["group"] in ("child", "spouse", "parent")), None))
    if choice is None:
        return None
    group = choice["group"]
    question = _pick(FAMILY_QUESTIONS[group], seed, "family")
    names = [r["name"] for r in people if r["group"] == group and r["name"]]
    words = [w for r in people if r["group"] == group for w in (r["relation"], *_SAYS_ALSO.get(r["relation"], ()))]
    terms = _without_question_words(list(dict.fromkeys(names + [w for w in words if w != "spouse"])), question)
    if not terms:
        return None
    relations = [r["relation"] for r in people if r["group"] == group]
    return _fact(question, "fact", choice["field"], terms, contradicting_words(relations))


def interview(persona: dict, slug: str = "") -> list[dict]:
    """A first session's trainee turns, about 15, generated from the card.

    Each turn is {"text", "kind": open|reflection|fact|fact_again|risk} and, for fact questions,
    "expect": {"field", "answer_contains", maybe "contradicts"}: what a reply must contain to be
    right, and relation words that make it wrong (check_fact). Wording varies
    with SLUG (or the persona's name), the same every run, so the library does not all hear the
    same lines. The first two turns are the greeting and a fact question, so a run cut to two
    lines still asks one fact.
    """
    seed = slug or str(persona.get("name") or "")
    reflections = _shuffled(REFLECTIONS, seed, "reflections")
    opens = _shuffled(OPEN_QUESTIONS, seed, "opens")
    items = [{"text": _pick(GREETINGS, seed, "greeting"), "kind": "open"}]
    facts = {}
    names = name_terms(persona)
    if names:
        question = _pick(NAME_QUESTIONS, seed, "name")
        items.append(_fact(question, "fact", "name", _without_question_words(names, question)))
    items.append({"text": reflections[0], "kind": "reflection"})
    items.append({"text": opens[0], "kind": "open"})
    if persona.get("age") is not None:
        facts["age"] = ("age", age_terms(persona["age"]), (), AGE_AGAIN)
        items.append(_fact(_pick(AGE_QUESTIONS, seed, "age"), "fact", "age", age_terms(persona["age"])))
    if persona.get("occupation"):
        question = _pick(OCCUPATION_QUESTIONS, seed, "occupation")
        terms = _without_question_words(occupation_terms(persona), question)
        if terms:
            facts["occupation"] = ("occupation", terms, (), OCCUPATION_AGAIN)
            items.append(_fact(question, "fact", "occupation", terms))
    items.append({"text": reflections[1], "kind": "reflection"})
    if persona.get("living_situation"):
        question = _pick(LIVING_QUESTIONS, seed, "living")
        terms = _without_question_words(living_terms(persona), question)
        at_home = [m[1].lower() for m in _RELATION_RE.finditer(_living_clause(persona)[1])]
        contradicts = contradicting_words(at_home, ("spouse", "child"))
        if terms:
            facts["living"] = ("living_situation", terms, contradicts, LIVING_AGAIN)
            items.append(_fact(question, "fact", "living_situation", terms, contradicts))
    items.append({"text": opens[1], "kind": "open"})
    family = _family_item(persona, seed)
    if family:
        items.append(family)
    items.append({"text": reflections[2], "kind": "reflection"})
    items.append({"text": _pick(RISK_QUESTIONS, seed, "risk"), "kind": "risk"})
    items.append({"text": _pick(HOPES, seed, "hopes"), "kind": "open"})
    if facts:
        which = _pick(sorted(facts), seed, "again")
        field, terms, contradicts, again = facts[which]
        items.append(_fact(_pick(again, seed, "again-text"), "fact_again", field, terms, contradicts))
    items.append({"text": _pick(CLOSINGS, seed, "closing"), "kind": "open"})
    return items


# ---------------------------------------------------------------- checking a fact

# Only explicit introductions: "I'm Polish" is not a name.
_NAME_CLAIM = re.compile(r"\b(?:[Mm]y name is|[Mm]y name's|[Nn]ame's|[Cc]all me|I'm called)\s+([A-Z][^\W\d_]+)")
_NOT_A_NAME = {"I", "Just", "Not", "Fine", "Okay", "Sorry", "So", "Really", "Here", "Tired", "Mr", "Mrs", "Ms",
               "Dr", "Well", "Still", "Only", "The", "A", "Afraid", "Also", "Sure", "Good", "Alright", "Ok"}


def check_fact(reply: str, expect: dict) -> str:
    """"right", "wrong" or "missing": does REPLY give the fact EXPECT asks for?

    right: it contains an `answer_contains` term (whole word) and contradicts nothing we can see;
    wrong: it gives a different age ("I'm 52. Actually I'm 42."), introduces itself by another name,
    or names a relative the card does not have (a word in `contradicts`);
    missing: neither.
    """
    terms = [str(t) for t in expect.get("answer_contains") or []]
    field = expect.get("field")
    if field == "age":
        wanted = {int(t) for t in terms if t.isdigit()}
        claims = age_claims(reply)
        if any(c not in wanted for c in claims):
            return "wrong"
        digits = _digitise(reply)
        if any(re.search(rf"(?<!\d){n}(?!\d)", digits) for n in wanted):
            return "right"
        return "missing"
    hit = any(contains_term(reply, t) for t in terms)
    if any(contains_term(reply, w) for w in expect.get("contradicts") or ()):
        return "wrong"  # "one daughter and two sons", for a client with a daughter only
    if field == "name":
        accepted = [t.lower() for t in terms]
        claimed = [c for c in _NAME_CLAIM.findall(reply.translate(_APOSTROPHES)) if c not in _NOT_A_NAME]
        # A reply that is only a name ("Jess.") gives that name.
        bare = re.fullmatch(r"\s*([A-Z][^\W\d_]+)(?:\s+[A-Z][^\W\d_'-]+)*[\s.!]*", reply)
        if bare and bare[1] not in _NOT_A_NAME:
            claimed.append(bare[1])
        if any(not any(a.startswith(c.lower()) or c.lower().startswith(a) for a in accepted) for c in claimed):
            return "wrong"
    return "right" if hit else "missing"


# ---------------------------------------------------------------- one session

def _expect_items(expects) -> list[dict | None]:
    """Normalise EXPECTS (one per trainee line: an interview item, a bare expect dict, or None)
    to [{"kind", "expect"} | None]."""
    out = []
    for item in expects or []:
        if not item:
            out.append(None)
        elif isinstance(item.get("expect"), dict):
            out.append({"kind": item.get("kind") or "fact", "expect": item["expect"]})
        elif "answer_contains" in item:
            out.append({"kind": item.get("kind") or "fact", "expect": item})
        else:
            out.append(None)
    return out


def client_replies(turns: list[dict]):
    """Yield (index of the trainee line it answers, turn) for each client turn; the index is None
    for the scenario's scripted opening line (before any trainee line, or reply_to None)."""
    trainee_index = -1
    for turn in turns:
        if turn.get("role") == "trainee":
            trainee_index += 1
        elif turn.get("role") == "client":
            opening = trainee_index < 0 or ("reply_to" in turn and turn["reply_to"] is None)
            yield (None if opening else trainee_index), turn


def score_session(turns: list[dict], persona: dict, expects=None) -> dict:
    """Per-reply realism facts for one played session (see the module docstring)."""
    items = _expect_items(expects)
    earlier, replies, facts, first_verdicts, pairs = [], [], [], {}, []
    for index, turn in client_replies(turns):
        text = turn.get("text") or ""
        if index is None:
            earlier.append(text)
            continue
        item = items[index] if 0 <= index < len(items) else None
        verdict = check_fact(text, item["expect"]) if item else None
        # Asked the same fact again, a consistent client repeats itself: that is not a repeat.
        again = bool(item) and item["kind"] == "fact_again"
        reply = {"text": text, "words": word_count(text), "nonanswer": is_nonanswer(text, verdict == "right"),
                 "repeat": not again and is_repeat(text, earlier), "fact": verdict}
        if item:
            reply["fact_field"] = item["expect"].get("field")
            facts.append(verdict)
            key = (item["expect"].get("field"), tuple(item["expect"].get("answer_contains") or ()))
            if item["kind"] == "fact_again" and key in first_verdicts:
                pairs.append(first_verdicts[key] == "right" and verdict == "right")
            else:
                first_verdicts.setdefault(key, verdict)
        replies.append(reply)
        earlier.append(text)
    return {"replies": replies, "facts": facts, "pairs": pairs}


# ---------------------------------------------------------------- lengths

LENGTH_BINS = ((1, 3), (4, 7), (8, 12), (13, 20), (21, 35), (36, 60), (61, None))


def length_histogram(counts) -> list[float]:
    """Shares of word counts in LENGTH_BINS (an empty reply counts with 1-3 words)."""
    hist = [0] * len(LENGTH_BINS)
    total = 0
    for n in counts:
        for i, (_low, high) in enumerate(LENGTH_BINS):
            if high is None or n <= high:
                hist[i] += 1
                break
        total += 1
    return [h / total for h in hist] if total else [0.0] * len(LENGTH_BINS)


def js_distance(p: list[float], q: list[float]) -> float:
    """Jensen-Shannon distance, base 2: sqrt of the divergence; 0 for equal histograms, at most 1."""
    def kl(a, b):
        return sum(x * math.log2(x / y) for x, y in zip(a, b, strict=True) if x > 0)

    m = [(x + y) / 2 for x, y in zip(p, q, strict=True)]
    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))


def esconv_dir() -> Path:
    return Path(settings.PIXEL_DATA_DIR) / "esconv"


@functools.lru_cache(maxsize=4)
def _seeker_histogram(path: str) -> tuple[float, ...]:
    counts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                counts += [word_count(t["text"]) for t in json.loads(line)["dialog"] if t.get("speaker") == "usr"]
    return tuple(length_histogram(counts))


def reference_histogram() -> list[float]:
    """Reply-length histogram of the seeker turns of ESConv's test split (read once a process).

    Only the test split: the train and valid splits feed the training data (training/data), so
    they are not a fair yardstick for what the model learnt from them.
    """
    path = esconv_dir() / "test.jsonl"
    if not path.exists():
        raise ImproperlyConfigured(f"length_jsd needs ESConv's test split. {missing_message(path)}")
    return list(_seeker_histogram(str(path)))


# ---------------------------------------------------------------- summaries

def _rate(flags) -> float | None:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else None


def summarise_sessions(sessions: list[dict], reference: bool = True) -> dict:
    """The realism figures over several scored sessions (repeats were judged within each).
    REFERENCE=False leaves length_jsd out (None) instead of reading ESConv."""
    replies = [r for s in sessions for r in s["replies"]]
    facts = [f for s in sessions for f in s["facts"]]
    pairs = [p for s in sessions for p in s["pairs"]]
    words = [r["words"] for r in replies]
    hist = length_histogram(words)
    return {
        "realism_replies": len(replies),
        "nonanswer_rate": _rate(r["nonanswer"] for r in replies),
        "repeat_rate": _rate(r["repeat"] for r in replies),
        "fact_accuracy": _rate(f == "right" for f in facts),
        "fact_wrong": sum(f == "wrong" for f in facts),
        "fact_questions": len(facts),
        "fact_consistency": _rate(pairs),
        "fact_pairs": len(pairs),
        "reply_words_mean": round(sum(words) / len(words), 1) if words else None,
        "length_hist": [round(h, 4) for h in hist] if words else None,
        "length_jsd": round(js_distance(hist, reference_histogram()), 4) if words and reference else None,
    }


# ---------------------------------------------------------------- responsiveness

def disclosure_progress(turns: list[dict], disclosures: list[dict]) -> dict:
    """Which of DISCLOSURES a played session unlocked, and which it disclosed: unlocked (per the
    client turns' "state": {"unlocked": [...]}) and then said, at or after the unlocking turn, in a
    reply holding one of the item's keywords (whole words, any case)."""
    replies = [turn for index, turn in client_replies(turns) if index is not None]
    unlocked, disclosed = [], []
    for item in disclosures or []:
        start = next((i for i, turn in enumerate(replies)
                      if item.get("id") in ((turn.get("state") or {}).get("unlocked") or [])), None)
        if start is None:
            continue
        unlocked.append(item["id"])
        patterns = [re.compile(r"(?<![^\W_])" + re.escape(_norm(k)) + r"(?![^\W_])")
                    for k in item.get("keywords") or []]
        if any(p.search(_norm(turn.get("text") or "")) for turn in replies[start:] for p in patterns):
            disclosed.append(item["id"])
    return {"items": len(disclosures or []), "unlocked": unlocked, "disclosed": disclosed}


def responsiveness(good_turns: list[dict], poor_turns: list[dict], disclosures: list[dict]) -> dict:
    """Counts of the card's hidden items unlocked and disclosed under the good and the poor script."""
    good, poor = disclosure_progress(good_turns, disclosures), disclosure_progress(poor_turns, disclosures)
    return {"items": good["items"], "unlocked_good": len(good["unlocked"]), "unlocked_poor": len(poor["unlocked"]),
            "disclosed_good": len(good["disclosed"]), "disclosed_poor": len(poor["disclosed"]),
            "good": good, "poor": poor}


def responsiveness_shares(results: list[dict]) -> dict:
    """Pooled over items across scenarios: share of items disclosed/unlocked under each script."""
    items = sum(r["items"] for r in results)

    def share(key):
        return round(sum(r[key] for r in results) / items, 4) if items else None

    return {"disclosed_good": share("disclosed_good"), "disclosed_poor": share("disclosed_poor"),
            "unlocked_good": share("unlocked_good"), "unlocked_poor": share("unlocked_poor"),
            "disclosure_items": items, "responsiveness_scenarios": len(results)}


def summarise_transcript(turns: list[dict], persona: dict, expects=None, reference: bool = True) -> dict:
    """The realism figures of one played transcript (simulate --json's "summary").

    EXPECTS: one entry per trainee line (an interview item, a facts-script line or None).
    The disclosure figures are of this one transcript: share of the card's hidden items unlocked
    and disclosed in it.
    """
    summary = summarise_sessions([score_session(turns, persona, expects)], reference)
    progress = disclosure_progress(turns, persona.get("disclosures") or [])
    items = progress["items"]
    summary.update({"disclosure_items": items,
                    "unlocked": round(len(progress["unlocked"]) / items, 4) if items else None,
                    "disclosed": round(len(progress["disclosed"]) / items, 4) if items else None,
                    "unlocked_ids": progress["unlocked"], "disclosed_ids": progress["disclosed"]})
    return summary
