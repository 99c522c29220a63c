"""Text normalisation for the crisis rules, keeping a map back to the original characters.

People (and a model steered by them) spell around word lists: full-width or accented letters,
Cyrillic look-alikes, digits for letters ("k1ll"), letters spaced out ("k i l l"), stretched words
("diiiie"). The rules match against the normalised text; `index[i]` is the position in the original
text of normalised character i, so evidence can quote what the person actually wrote.

Every run of a repeated letter is squeezed to one ("kill" -> "kil", "diiie" -> "die"), which makes
stretching harmless. The rule patterns are squeezed the same way when they are compiled
(`squeeze_pattern`), so they can be written in ordinary spelling.
"""

import re
import unicodedata

# Cyrillic and Greek letters that look like Latin ones. NFKC leaves them alone.
_LOOKALIKE = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ӏ": "l", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h", "ё": "e", "ї": "i",
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "ѵ": "v", "ɩ": "i", "ı": "i",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201b": "'", "`": "'", "\u00b4": "'",
})
_DROP = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"}
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
# Only tokens with a digit, "@", "$" or an inner "!" can need rewriting; skipping the rest (nearly
# every word) keeps normalisation, most of the rules' time, cheap on long posts.
_TOKEN = re.compile(r"(?<![a-z0-9@$])(?=[a-z0-9@$]*[0-9@$]|[a-z0-9@$]+!+[a-z0-9@$])[a-z0-9@$]+(?:!+[a-z0-9@$]+)*")
# Numbers with units or ordinals stay numbers: "2nd", "10pm", "40mg", "3am".
_NUMBER_WORD = re.compile(r"\d+(?:st|nd|rd|th|s|am|pm|mg|ml|g|kg|h|hr|hrs|min|mins|k|m|x|yo|y)?")
# Three or more single letters joined by one space or by punctuation: "k i l l", "k.i.l.l", "k-i-l-l".
_SPACED = re.compile(r"(?<![a-z'])(?:[a-z](?:[.\-_*·~+]+| (?! ))){2,}[a-z](?![a-z'])")
_REPEAT = re.compile(r"([a-z])\1+")
_SPACES = re.compile(r"[ \t\r\f\v]{2,}|[\t\r\f\v]")  # a lone space is already what it becomes


def _fold_char(ch):
    if ch in _DROP:
        return ""
    out = unicodedata.normalize("NFKC", ch)
    out = "".join(c for c in unicodedata.normalize("NFKD", out) if not unicodedata.combining(c))
    out = out.casefold().translate(_LOOKALIKE)
    if out and (unicodedata.category(out[0]) in ("Cc", "Cs", "Co", "Cn") and out not in "\n\t"):
        return " "
    return out


def _rewrite(text, index, pattern, replace):
    """Apply `replace(match) -> str` to every match, keeping the index map in step."""
    out, out_index, last = [], [], 0
    for m in pattern.finditer(text):
        s, e = m.span()
        new = replace(m)
        out.append(text[last:s])
        out_index.extend(index[last:s])
        out.append(new)
        # A replacement's characters point into the span they replace.
        out_index.extend(index[min(s + k, e - 1)] for k in range(len(new)))
        last = e
    if last == 0:
        return text, index
    out.append(text[last:])
    out_index.extend(index[last:])
    return "".join(out), out_index


def _unleet(m):
    token = m.group()
    letters = sum(c.isalpha() for c in token)
    if letters == len(token) or letters < 2 or _NUMBER_WORD.fullmatch(token):
        return token
    chars = list(token)
    for i, c in enumerate(chars):
        if c in _LEET:
            # "1" is an l after i or l ("ki11", "ki1l"), otherwise an i ("k1ll", "su1c1de").
            if c == "1" and i > 0 and chars[i - 1] in "il":
                chars[i] = "l"
            else:
                chars[i] = _LEET[c]
    return "".join(chars)


def normalise(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of its source character."""
    if text.isascii():
        folded = text.lower()
        index = list(range(len(text)))
        if "`" in folded or any(c < " " and c not in "\n\t" for c in folded):
            folded = "".join(" " if (c < " " and c not in "\n\t") or c == "\x7f" else c for c in folded).replace("`", "'")
    else:
        parts, index = [], []
        for i, ch in enumerate(text):
            out = _fold_char(ch)
            parts.append(out)
            index.extend([i] * len(out))
        folded = "".join(parts)
    folded, index = _rewrite(folded, index, _TOKEN, _unleet)
    folded, index = _rewrite(folded, index, _SPACED, lambda m: re.sub(r"[^a-z]", "", m.group()))
    folded, index = _rewrite(folded, index, _REPEAT, lambda m: m.group(1))
    folded, index = _rewrite(folded, index, _SPACES, lambda m: " ")
    return folded, index


def squeeze_pattern(source: str) -> str:
    """Squeeze doubled letters in a regex source as `normalise` does in text ("kill" -> "kil").

    A letter right after a backslash is an escape ("\\bb" stays), so it is never squeezed into.
    """
    return re.sub(r"(?<!\\)([a-z])\1+", r"\1", source)
