"""Personal-data scrubbing: names, e-mail addresses, phone numbers, street addresses and links.

Found data is replaced by *surrogates* (another name, 555 numbers, example.com addresses), not by
"[NAME]" markers: a model trained on markers learns to say them. A surrogate is chosen by a hash of
the original within one conversation, so "Sarah ... Sarah" stays one person.

Names are found two ways: a capitalised word from NAMES (first names common in the English-speaking
corpora, across cultures), and any capitalised word in a naming context ("my name is X", "Mr X",
"called X"). Names that are also ordinary words (Will, Hope, Mark, Grace...) count only in a naming
context. It is a screen, not a guarantee: docs/training.md says what it misses.
"""

import hashlib
import re
from collections import Counter

NAMES = frozenset("""
aaron abdul abigail adam adrian ahmed aisha alan albert alex alexander alexandra alice alicia alison amanda amelia amir
amy ana andrea andrew angela anita ann anna anne anthony antonio arjun arthur ashley barbara ben benjamin beth betty
brandon brenda brian brittany bruce bryan caleb carl carla carlos carmen carol caroline catherine charles charlie
charlotte chen cheryl chloe chris christina christine christopher cindy claire connor craig cynthia daniel danielle
david deborah debbie denise dennis diana diane diego dimitri donald donna doris dorothy douglas dylan edward eileen
elena elizabeth ellen emily emma eric erica ethan eugene evelyn fatima fernando fiona francesca francisco gabriel gary
george gerald gloria gregory hannah harold harry heather helen henry hiroshi howard hussein ian irene isaac isabel
isabella jacob jacqueline james jamal jane janet janice jasmine jason jeffrey jennifer jeremy jerry jessica joan
joanne joe john jonathan jorge jose joseph joshua joyce juan judith judy julia julie justin karen katherine kathleen
kathy katie keith kelly kenneth kevin kimberly kyle larry laura lauren lawrence leah linda lisa lori louis lucas lucy
luis madison malik manuel margaret maria marie marilyn marta martha martin mary matthew megan melissa michael michelle
miguel mohammed muhammad nancy natalie nathan nicholas nicole noah oliver olivia omar oscar pamela patricia patrick
paul paula peter philip priya rachel rahul rajesh ralph raymond rebecca richard robert roberto rodney roger ronald
russell ryan samantha samuel sandra sara sarah scott sean sharon shirley simon sophia sophie stephanie stephen steven
susan tamara teresa theresa thomas timothy tina tyler valerie vanessa victor victoria vincent walter wayne wei william
yusuf zachary zoe
""".split())

# Names that are also everyday words: only a naming context makes them a name.
AMBIGUOUS_NAMES = frozenset("""
will may june april august hope grace faith joy mark bill rose lily summer amber dawn rich ray art guy jack frank sue
pat max chase hunter drew eve ruby jade iris holly ivy daisy violet olive autumn angel sky page bob don ed sandy
""".split())

SURROGATE_NAMES = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Jamie", "Robin", "Avery", "Riley",
                   "Kim", "Lee", "Dana", "Noor", "Ravi", "Mei", "Tomas", "Ada", "Kofi", "Lena")

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w-])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{3,4})[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?![\w-])"  # 555-123-4567, (020) 7946 0958
    r"|(?<![\w-])0\d{4}\s?\d{6}(?![\w-])"  # UK mobile 07700 900123
)
_STREET_TYPES = (r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|close|"
                 r"crescent|terrace|highway|hwy|square|sq")
_ADDRESS = re.compile(rf"\b\d{{1,5}}\s+(?:[A-Z][a-z]+\s+){{1,3}}(?:{_STREET_TYPES})\b\.?", re.IGNORECASE)
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")
# One pass for names, so a surrogate put in is never taken for a name again: a naming context
# ("my name is X", "Mr X") makes any capitalised word a name; elsewhere only a word from NAMES is.
_NAMES_PATTERN = re.compile(
    r"(?P<ctx>\b(?:(?:[Mm]y|[Hh]is|[Hh]er|[Tt]heir) name(?:'s| is| was)|(?:I'm|I am) called|[Cc]all me|called|named|"
    r"(?:Mr|Mrs|Ms|Miss|Dr|Mx)\.?)\s+)(?P<named>[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?)\b"
    r"|\b(?P<bare>[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?)\b"
)
# After these, a capitalised word is the rest of a title, not a person ("Dr. Seuss" stays a name).
_NOT_NAMES = frozenset({"god", "jesus", "christ", "lord", "monday", "tuesday", "wednesday", "thursday", "friday",
                        "saturday", "sunday", "january", "february", "march", "october", "november", "december"})


def _pick(original: str, choices, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}:{original.lower()}".encode()).digest()
    return choices[digest[0] % len(choices)]


class Scrubber:
    """Scrubs the turns of one conversation; `counts` says what was replaced, by kind."""

    def __init__(self, salt: str = ""):
        self.salt = salt
        self.counts: Counter = Counter()
        self._names: dict[str, str] = {}

    def name_for(self, original: str) -> str:
        key = original.lower()
        if key not in self._names:
            taken = set(self._names.values())
            choices = [n for n in SURROGATE_NAMES if n not in taken and n.lower() != key] or list(SURROGATE_NAMES)
            self._names[key] = _pick(original, choices, self.salt)
        return self._names[key]

    def scrub(self, text: str) -> str:
        text = self._sub(_EMAIL, text, "email", lambda m: "someone@example.com")
        text = self._sub(_URL, text, "url", lambda m: "example.com")
        text = self._sub(_ADDRESS, text, "address", lambda m: "12 Example Street")
        text = self._sub(_UK_POSTCODE, text, "address", lambda m: "AB1 2CD")
        text = self._sub(_PHONE, text, "phone", lambda m: "555-0100")
        return _NAMES_PATTERN.sub(self._name, text)

    def _name(self, match):
        if match.group("named"):
            if match.group("named").lower() in _NOT_NAMES:
                return match.group(0)
            self.counts["name"] += 1
            return match.group("ctx") + self.name_for(match.group("named"))
        word = match.group("bare")
        if word.lower() not in NAMES:
            return word
        self.counts["name"] += 1
        return self.name_for(word)

    def _sub(self, pattern, text, kind, replace, keep=None):
        def one(match):
            if keep is not None and keep(match):
                return match.group(0)
            self.counts[kind] += 1
            return replace(match)

        return pattern.sub(one, text)


def scrub_text(text: str, salt: str = "") -> str:
    return Scrubber(salt).scrub(text)
