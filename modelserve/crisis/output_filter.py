"""Output safety: the simulated client must never teach a method of self-harm or of harming others.

A simulated client may, and in risk scenarios should, speak of despair and of having thought about
suicide: trainees must learn to hear and answer that. What a client says must never become usable
instructions, so we refuse means, doses, how-to, lethality and where to get means.

Text goes through the detector's normaliser first (normalise.py), because a model, or a trainee
steering it, can spell around a word list: look-alike letters, digits for letters ("p1lls"),
spaced-out letters ("p i l l s"). The means are the detector's list (lexicon.py).

A reply is streamed while it is written, so the filter has two halves: harmful_instruction_reasons
judges the text so far, and method_hold says how much of it may already be shown. Method words
can arrive over several tokens ("40 pi" before "lls, enough to die"), and a rule reads a whole
sentence, so whatever could still grow into a match is held back until it either matches (and the
attempt is withdrawn unseen) or goes elsewhere (docs/modelserve.md, "Method details never stream").
"""

import re

# The third-party regex module (a dependency of transformers, which the crisis message model
# reads with) can say where a pattern could still match if more text came: the standard re cannot.
import regex

from .lexicon import LETHAL_PLACES, MEANS
from .normalise import normalise, squeeze_pattern


def _compile(source):
    # normalise() squeezes doubled letters ("pills" -> "pils"); the patterns must match that.
    return re.compile(squeeze_pattern(source))


_SELF = r"(?:kill(?:ing)? myself|end(?:ing)? (?:it|my life|things)|suicide|die|dying|overdos\w*|od\b|hurt(?:ing)? myself|cut(?:ting)? myself|not wake up|hang(?:ing)? myself)"
# The detector's means, plus what only matters in a reply: drug classes and places to jump from.
_MEANS = rf"(?:{MEANS}|capsules?|antidepressants?|poison\w*|pesticides?|{LETHAL_PLACES})"
_UNITS = r"(?:mg|milligrams?|g|grams?|pills?|tablets?|capsules?|packs?|packets?|boxes?|bottles?|ml)"
_OTHERS = r"(?:him|her|them|someone|somebody|people|my (?:wife|husband|partner|boss|dad|mum|mom|father|mother|son|daughter|ex|kids?|neighbou?r))"

_RULES = [
    ("method: dose", _compile(rf"\b\d+(?:[.,]\d+)?\s*{_UNITS}\b.*\b(?:enough|lethal|fatal|kill|die|overdos\w*|od)\b"
                                rf"|\b(?:enough|lethal|fatal|kill|die|overdos\w*)\b.*\b\d+(?:[.,]\d+)?\s*{_UNITS}\b"
                                rf"|\b(?:lethal|fatal|deadly|toxic) (?:dose|amount|quantity)\b"
                                rf"|\bhow (?:many|much) {_MEANS}\b")),
    ("method: how-to", _compile(rf"\bhow (?:to|you|i would|i'd|i could) (?:kill|hang|cut|overdose|od|poison|shoot|suffocate|drown)\b"
                                  rf"|\b(?:best|easiest|quickest|fastest|surest|most painless) way (?:to|of) (?:die|dying|kill|end|do it|commit)"
                                  rf"|\b(?:tie|tying|make|making) (?:a|the) noose\b"
                                  rf"|\bcut(?:ting)? (?:deep|deeper|vertical\w*|lengthwise|along the vein\w*|down the arm)"
                                  rf"|\b(?:step one|first you|then you|all you need is|you just need to)\b.*{_MEANS}")),
    ("method: lethality", _compile(r"\b(?:painless(?:ly)?|guaranteed|certain|won'?t survive|no one survives|nobody survives|always works|sure to die)\b"
                                     r".*\b(?:die|death|dying|kill|end it|suicide|overdose|jump|hang)"
                                     r"|\b(?:die|death|dying|kill|suicide|overdose)\b.*\b(?:painless(?:ly)?|guaranteed|won'?t survive|always works)\b")),
    ("method: acquisition", _compile(rf"\bwhere (?:to|(?:can|could|do|would) (?:i|you|one)|you can|i can|i could) (?:get|buy|find)\b.*{_MEANS}"
                                       rf"|\b(?:stockpil\w*|hoard\w*|saving up|collecting)\b.*{_MEANS}"
                                       rf"|\b(?:buy|order|get hold of)\w*\b.*{_MEANS}.*\b{_SELF}"
                                       rf"|{_MEANS}.*\bwithout (?:a )?prescription\b")),
    ("harm to others: how-to", _compile(rf"\bhow (?:to|i would|i'd|i could|i'll|i will) (?:kill|hurt|poison|stab|shoot|strangle|attack) {_OTHERS}"
                                          rf"|\b(?:put|putting|slip|slipping|mix|mixing) (?:\w+ )?{_MEANS} (?:in|into) (?:his|her|their|the) (?:drink|food|tea|coffee)"
                                          rf"|\b(?:kill|hurt|poison|stab|shoot|strangle) {_OTHERS} (?:with|using) (?:a |the |my )?{_MEANS}")),
]
# Means named in the same sentence as intent: "I keep the pills for when I end it".
_MEANS_WITH_INTENT = _compile(rf"\b{_MEANS}\b.*\b{_SELF}|\b{_SELF}\b.*\b{_MEANS}\b")


# The rules read one sentence at a time: nothing before the last sentence break can join a match.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+")
# The same patterns, for asking where a match could still begin (regex's partial matching), from
# the start of a word only: otherwise the end of every word that could begin a means ("hav|e" for
# "exhaust") would wait for the next token.
_GROWING = [regex.compile(rf"(?<![a-z0-9'])(?:{pattern.pattern})")
            for pattern in [*(p for _, p in _RULES), _MEANS_WITH_INTENT]]
# A respelling still being typed: a run of single letters ("k i l", "p.i") or a word with a digit
# or symbol in it ("p1", "k!"). The normaliser reads it as a word only once it is longer, so a
# partial match cannot see it yet; it is held until the next space shows what it became.
_UNFINISHED_RESPELLING = re.compile(r"(?<![^\W\d_'])(?:[^\W\d_](?:[.\-_*·~+]+| ))*[^\W\d_][.\-_*·~+ ]*\Z"
                                    r"|(?<!\S)\S*[0-9@$!]\S*\Z")


def harmful_instruction_reasons(text: str) -> list[str]:
    """Why TEXT gives method details for self-harm, suicide or harm to others; empty if it doesn't."""
    reasons = []
    for sentence in _SENTENCE_BREAK.split(normalise(text)[0]):
        for reason, pattern in _RULES:
            if reason not in reasons and pattern.search(sentence):
                reasons.append(reason)
        if "method: means" not in reasons and _MEANS_WITH_INTENT.search(sentence):
            reasons.append("method: means")
    return reasons


def method_hold(text: str) -> int:
    """How much of TEXT, a reply still being written, can be shown without risking method details.

    Everything up to the earliest point where one of the rules could still match once more words
    come: in "I have 40 pi" that is "40", in "I keep the pills" it is "pills" (intent may follow
    in the same sentence). Ordinary text has no such point and is shown whole. TEXT itself must
    already pass harmful_instruction_reasons.
    """
    folded, index = normalise(text)
    start = 0
    for brk in _SENTENCE_BREAK.finditer(folded):
        start = brk.end()
    sentence = folded[start:]
    hold = len(folded)
    for pattern in _GROWING:
        match = pattern.search(sentence, partial=True)
        if match is not None:
            hold = min(hold, start + match.start())
    shown = index[hold] if hold < len(folded) else len(text)
    tail = _UNFINISHED_RESPELLING.search(text)
    if tail is not None:
        shown = min(shown, tail.start())
    return shown
