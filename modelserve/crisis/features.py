"""Features the ML model sees besides TF-IDF n-grams, shared by training and prediction.

Many posts that are *not* crisis are replies to suicidal people and share their words. What tells
them apart is who the text is about and when: first-person density against "you" addressing
someone else, past-tense markers, and what the rules found (which already weigh person, negation
and tense).
"""

import math
import re

from .levels import LEVELS
from .rules import CATEGORIES

_WORD = re.compile(r"[a-z']+")
_FIRST = frozenset("i i'm im i've ive i'd id i'll me my myself mine".split())
_SECOND = frozenset("you you're youre your yourself yours u ur you've youve you'll".split())
_PAST = frozenset("was were had did used wanted felt thought tried went ago".split())

DENSE_NAMES = ["first_person", "second_person", "first_minus_second", "past_words", "log_words", "rule_level"] + [
    f"rule_{c}" for c in CATEGORIES]


def dense(text: str, rule_result: dict) -> list[float]:
    words = _WORD.findall(text.lower())
    n = max(len(words), 1)
    first = sum(w in _FIRST for w in words) / n
    second = sum(w in _SECOND for w in words) / n
    past = sum(w in _PAST for w in words) / n
    found = set(rule_result["categories"])
    return [first, second, first - second, past, math.log1p(len(words)) / 8,
            LEVELS.index(rule_result["level"]) / 4] + [1.0 if c in found else 0.0 for c in CATEGORIES]
