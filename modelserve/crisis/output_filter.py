"""Output safety: the simulated client must never teach a method of self-harm or of harming others.

A simulated client may, and in risk scenarios should, speak of despair and of having thought about
suicide: trainees must learn to hear and answer that. What a client says must never become usable
instructions, so we refuse means, doses, how-to, lethality and where to get means.

Text goes through the detector's normaliser first (normalise.py), because a model, or a trainee
steering it, can spell around a word list: look-alike letters, digits for letters ("p1lls"),
spaced-out letters ("p i l l s"). The means are the detector's list (lexicon.py).
"""

import re

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


def harmful_instruction_reasons(text: str) -> list[str]:
    """Why TEXT gives method details for self-harm, suicide or harm to others; empty if it doesn't."""
    reasons = []
    for sentence in re.split(r"(?<=[.!?;])\s+", normalise(text)[0]):
        for reason, pattern in _RULES:
            if reason not in reasons and pattern.search(sentence):
                reasons.append(reason)
        if "method: means" not in reasons and _MEANS_WITH_INTENT.search(sentence):
            reasons.append("method: means")
    return reasons
