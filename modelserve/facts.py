"""What the client is, in the client's own words, and what they have said about themselves.

Three things the reply path needs so that the client stays one person (docs/simulator.md, "How
the client stays one person"):

- `intro_lines(persona)`: the card's basic facts (name, age, work, home, where they are from)
  rewritten as first-person sentences. The 270M model uses facts it has seen the client say far
  better than facts given as notes: a notes line made it narrate in the third person.
- `asked_fields(text)` and `fact_answer(persona, field)`: which basic fact a trainee's message asks
  for, and the card's answer, in the client's voice. generate() starts the reply with it.
- `Ledger` and `contradictions(...)`: the facts a reply states about the client (age, name,
  partner, children, work, who they live with) against the card and against what the client
  said earlier in the session. The persona guard regenerates a reply that contradicts either.

Everything here is plain text processing: no model, no database, so each process can rebuild a
session's ledger from the stored transcript and no worker keeps state another needs.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

NAME, AGE, WORK, HOME, ORIGIN, FAMILY = "name", "age", "work", "home", "origin", "family"

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_TENS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TEENS = r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
NUMBER = rf"(?:\d{{1,3}}|{_TENS}(?:[- ]{_UNITS})?|{_TEENS})"

# Close relations a card names and a reply can contradict. A spouse-like word stands for one
# person: a client with a wife on the card who speaks of "my husband" has changed their life.
PARTNERS = ("wife", "husband", "partner", "girlfriend", "boyfriend", "fiancé", "fiancée", "fiance", "fiancee")
RELATIONS = (*PARTNERS, "son", "daughter", "brother", "sister", "mother", "father", "mum", "mom", "dad",
             "grandmother", "grandfather", "friend", "boss", "stepson", "stepdaughter")
_REL = "|".join(sorted(RELATIONS, key=len, reverse=True))
# "my wife Ewa", "my daughter, Kasia", "his friend Jess's couch", "her husband Colin".
_NAMED_RELATION = re.compile(rf"\b((?i:my|his|her|their|our))\s+(?:[\w-]+\s)?({_REL})(?:,)?\s+([A-Z][a-zà-ÿ]+)\b")


def number_value(text: str) -> int | None:
    text = text.lower().strip()
    if text.isdigit():
        return int(text)
    parts = re.split(r"[- ]", text)
    if all(p in _NUMBER_WORDS for p in parts):
        return sum(_NUMBER_WORDS[p] for p in parts)
    return None


def number_words(n: int) -> str:
    """52 -> "fifty-two"; for the answers a client may give in words."""
    if n < 20:
        return next(w for w, v in _NUMBER_WORDS.items() if v == n)
    tens = next(w for w, v in _NUMBER_WORDS.items() if v == n - n % 10)
    return tens if n % 10 == 0 else f"{tens}-{number_words(n % 10)}"


def first_name(persona: Mapping) -> str:
    """The name the client goes by: the nickname in quotes where the card gives one."""
    name = str(persona.get("name") or "").strip()
    quoted = re.search(r"['\"‘“]([^'\"’”]+)['\"’”]", name)
    if quoted:
        return quoted.group(1).strip()
    return name.split()[0] if name else ""


def _pronouns(persona: Mapping) -> tuple[str, ...]:
    """The card's possessive and object pronouns for the client ("his", "him"), to rewrite as "my", "me"."""
    raw = str(persona.get("pronouns") or "").lower()
    if raw.startswith("he"):
        return ("his", "him", "he")
    if raw.startswith("she"):
        return ("her", "her", "she")
    if raw.startswith("they"):
        return ("their", "them", "they")
    return ()


def first_person(persona: Mapping, text: str) -> str:
    """A card phrase about the client ("Lives with his wife Ewa") as the client would say it.

    Only what the cards actually use is rewritten: each clause's leading verb and the client's
    own pronouns. "their daughter" next to a partner becomes "our daughter"; another person's
    pronoun ("her five-year-old son" on a man's card) stays as it is. A semicolon list of facts
    reads as notes; spoken, it is separate sentences.
    """
    possessive, objective, subject = (_pronouns(persona) + ("", "", ""))[:3]
    sentences = []
    for clause in re.split(r";\s*|\.\s+", re.sub(r"\s+", " ", text).strip().rstrip(".")):
        if not clause:
            continue
        for pattern, replacement in _LEADS:
            if re.search(pattern, clause, re.IGNORECASE):
                clause = re.sub(pattern, replacement, clause, flags=re.IGNORECASE)
                break
        if possessive == "their":
            # A they/them client's "their partner" is their own ("my partner"); what follows a
            # partner ("their daughter") is the couple's.
            partner = rf"\btheir (?=(?:{'|'.join(PARTNERS)})\b)"
            shared = bool(re.search(partner, clause))
            clause = re.sub(partner, "my ", clause)
            clause = re.sub(r"\btheir\b", "our" if shared else "my", clause)
        elif possessive:
            clause = re.sub(rf"\b{possessive}\b", "my", clause)
            clause = re.sub(r"\btheir\b", "our", clause)
            clause = re.sub(r"\bthey\b", "we", clause)
            if objective != possessive:
                clause = re.sub(rf"\b{objective}\b", "me", clause)
        if subject:
            clause = re.sub(rf"\b{subject} (had|has|was|is)\b",
                            lambda m: "I " + {"has": "have", "is": "am"}.get(m.group(1), m.group(1)), clause)
        # "now I cleans offices": the card's verbs agree with "he" or "she".
        clause = re.sub(r"\bI (has|does)\b", lambda m: "I " + {"has": "have", "does": "do"}[m.group(1)], clause)
        clause = re.sub(r"\bI (?!was\b|is\b)([a-z]+[^s\W])s\b", r"I \1", clause)
        sentences.append(_capital(clause) + ".")
    return " ".join(sentences)


# How a clause of a card begins, and how the client would begin it.
_LEADS = (
    (r"^lives alone\b", "I live alone"), (r"^lives\b", "I live"), (r"^shares\b", "I share"),
    (r"^has\b", "I have"), (r"^separated\b", "I'm separated"), (r"^divorced\b", "I'm divorced"),
    (r"^widowed\b", "I'm widowed"), (r"^sleeping\b", "I've been sleeping"), (r"^staying\b", "I'm staying"),
    (r"^unemployed\b", "I've been unemployed"), (r"^lost (?:his|her|their) job\b", "I lost my job"),
    (r"^before that\b", "before that I was"), (r"^now\b", "now I"), (r"^no children\b", "we have no children"),
)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless it starts an acronym (HVAC, PhD, UX)."""
    if len(text) > 1 and (text[1].isupper() or text[:2] == "Ph"):
        return text
    return text[:1].lower() + text[1:]


def _work_sentence(persona: Mapping) -> str:
    occupation = re.sub(r"\s+", " ", str(persona.get("occupation") or "")).strip().rstrip(".")
    if not occupation:
        return ""
    occupation = re.sub(r"\s*\(([^)]*)\)", r", \1", occupation)
    head, _, rest = occupation.partition(";")
    if re.match(r"(?i)(unemployed|separated|on |between |out of work)", head):
        return first_person(persona, occupation)
    lowered = _lower_first(head)
    article = "an" if re.match(r"[aeiouAEIO]", lowered) and not re.match(r"(?i)(uni|eu|one)", lowered) else "a"
    # "Civil engineer in Syria; now cleans offices": the first job is the one they had.
    verb = "I was" if re.match(r"(?i)\s*now\b", rest) else "I'm"
    return first_person(persona, f"{verb} {article} {lowered}" + (f"; {rest}" if rest.strip() else ""))


def _origin_sentence(persona: Mapping) -> str:
    background = re.sub(r"\s+", " ", str(persona.get("cultural_background") or "")).strip()
    head = background.split(";")[0].strip().rstrip(".")
    if not head:
        return ""
    if re.match(r"(?i)(born|raised|grew up|moved)", head):
        return first_person(persona, "I was " + head[:1].lower() + head[1:])
    return first_person(persona, "I'm " + head)


def card_answers(persona: Mapping) -> dict[str, str]:
    """The card's basic facts, each as the client would say it."""
    answers = {}
    name = first_name(persona)
    if name:
        answers[NAME] = f"I'm {name}."
    if isinstance(persona.get("age"), int):
        answers[AGE] = f"I'm {persona['age']}."
    work = _work_sentence(persona)
    if work:
        answers[WORK] = work
    if persona.get("living_situation"):
        answers[HOME] = first_person(persona, str(persona["living_situation"]))
    origin = _origin_sentence(persona)
    if origin:
        answers[ORIGIN] = origin
    return answers


def intro_lines(persona: Mapping) -> list[str]:
    """The client introducing themselves: name and age, work, home. Sparse cards give fewer."""
    answers = card_answers(persona)
    if not answers.keys() - {NAME} or first_name(persona).lower() == "client":
        return []  # a dataset's sparse card: nothing worth introducing
    opening = []
    if NAME in answers and AGE in answers:
        opening.append(f"I'm {first_name(persona)}, I'm {persona['age']}.")
    elif NAME in answers:
        opening.append(answers[NAME])
    return [" ".join(opening + [answers[k] for k in (WORK, HOME) if k in answers])] if opening or len(answers) > 1 else []


# ---------------------------------------------------------------- what a trainee message asks

_ASKS = {
    NAME: r"\b(?:your (?:first |full )?name|what (?:should|can|do|shall) i call you|(?:would|do) you (?:like|want|prefer) "
          r"(?:me )?to (?:call you|be called)|like to be called|what do (?:people|they|friends) call you|name do you (?:\w+ ){0,2}go by)\b",
    # Your own age only: "how old is your daughter?" is not a question the card's age answers.
    AGE: r"\bhow old (?:are you|you are|you're|did you say|was that again)\b|\byour age\b"
         r"|\bwhat age (?:are you|you are|you're|did you say|did you turn)\b|\bhow old\??$",
    WORK: r"\bwhat (?:do|did) you do\b(?! (?:when|to|about|with|then|after|if|on|in the|at (?:home|night|the weekend)))"
          r"|\b(?:your|any) (?:work|job|career|occupation|employment)\b|\bfor (?:a )?(?:living|work)\b|\bwork-?wise\b|\b(?:sort|kind|type|line) of work\b"
          r"|\b(?:do|are) you (?:work|working|employed)\b|\bwhere (?:do|did) you work\b|\bkind of work\b",
    HOME: r"\bwho (?:do|are) you liv(?:e|ing) with\b|\bwho(?:'s| is) at home\b|\bliv(?:e|ing) (?:alone|on your own|by yourself)\b"
          r"|\bliving situation\b|\bwho do you share\b|\bat home with you\b|\bwho lives (?:there |at home )?with you\b"
          r"|\bshare your (?:home|house|flat|place|apartment)\b|\bat home,? who\b|\bwho(?:'s| is) there with you\b",
    ORIGIN: r"\bwhere (?:are you|do you come) from\b|\bwhere did you grow up\b|\bwhere were you (?:born|raised)\b"
            r"|\bgrow up\b|\bgrew up\b",
    FAMILY: r"\b(?:have|got|any) (?:any )?(?:kids|children|sons?|daughters?|brothers?|sisters?|siblings|family)\b"
            r"|\bare you (?:married|in a relationship|seeing anyone|single)\b|\b(?:have|got) a (?:partner|wife|husband|"
            r"girlfriend|boyfriend)\b|\bsomeone special\b"
            r"|\b(?:what about|do you see) your (?:parents|mum|mom|dad|mother|father)\b"
            r"|\b(?:is|are) your (?:parents|mum|mom|dad|mother|father) (?:still )?(?:around|alive|nearby|close by)\b",
}
_ASKS = {key: re.compile(pattern, re.IGNORECASE) for key, pattern in _ASKS.items()}
# Words a family question may name, and the card words that answer it.
_FAMILY_WORDS = {
    "kids": ("son", "sons", "daughter", "daughters", "children", "kids", "stepson", "stepdaughter"),
    "children": ("son", "sons", "daughter", "daughters", "children", "kids", "stepson", "stepdaughter"),
    "brother": ("brother", "brothers", "sister", "sisters", "siblings"),
    "sister": ("brother", "brothers", "sister", "sisters", "siblings"),
    "sibling": ("brother", "brothers", "sister", "sisters", "siblings"),
    **{key: (*PARTNERS, "widowed", "separated", "divorced") for key in (
        "married", "partner", "relationship", "seeing anyone", "single", "someone special")},
    **{key: ("parents", "mother", "father", "mum", "mom", "dad") for key in
       ("parents", "mum", "mom", "dad", "mother", "father")},
}


def asked_fields(text: str) -> list[str]:
    """The basic facts a trainee's message asks about, in the order the card answers them."""
    if "?" not in text and not re.search(r"\b(?:tell me|can you say|could you say)\b", text, re.IGNORECASE):
        return []
    fields = [key for key, pattern in _ASKS.items() if pattern.search(text)]
    # "Who do you live with? Any kids?": the home answer already names them.
    return [f for f in fields if not (f == FAMILY and HOME in fields)]


def _family_answer(persona: Mapping, question: str) -> str:
    """The card's sentences about the relatives a question names (its kids, its siblings...)."""
    lowered = question.lower()
    wanted = {w for key, words in _FAMILY_WORDS.items() if re.search(rf"\b{key}", lowered) for w in words}
    wanted |= {w for w in RELATIONS if re.search(rf"\b{w}s?\b", lowered)}
    if not wanted:
        return ""
    # Named on the card: "Yes, my daughter Kasia." reads as an answer; the whole home sentence
    # again does not.
    card = card_facts(persona)
    # A partner named only in the history may be a past one ("separated from his wife Carla").
    named = [f"my {relation} {name}" for relation, name in card.people.items()
             if relation in wanted and (relation not in PARTNERS or relation == card.partner)]
    if named:
        return "Yes, " + " and ".join(named) + "."
    # Else the card's own sentences about them, in the client's words: home first, then where
    # they come from and their history ("His father, a shipyard welder, ..." -> "My father, ...").
    pattern = re.compile(rf"\b(?:{'|'.join(wanted)})\b", re.IGNORECASE)
    home = [s for s in re.split(r"(?<=\.)\s+", card_answers(persona).get(HOME, "")) if pattern.search(s)]
    if home:
        return " ".join(home)
    for key in ("cultural_background", "history"):
        text = first_person(persona, str(persona.get(key) or "")) if persona.get(key) else ""
        found = [s for s in re.split(r"(?<=\.)\s+", text) if pattern.search(s) and re.match(r"(?:My|I|Our)\b", s)]
        if found:
            return found[0]
    return ""


# A question about suicide or self-harm (the risk screen every first session has).
RISK_QUESTION = re.compile(
    r"suicid|kill(?:ing)? yourself|end(?:ing)? (?:your|their|my) life|end(?:ing)? it all|(?:hurt|harm)(?:ing)? yourself"
    r"|thoughts? (?:of|about) (?:dying|death)|want(?:ed)? to die|better off (?:dead|without you)|not (?:wanting|want) to be here",
    re.IGNORECASE)


def risk_answer(persona: Mapping, question: str) -> str:
    """A client whose card has no risk says so when screened; other cards answer from their
    risk script and disclosures, through the model and the state."""
    risk = persona.get("risk_profile") or {}
    if not isinstance(risk, Mapping) or risk.get("level") != "none" or not RISK_QUESTION.search(question):
        return ""
    return "No, nothing like that. I've never thought about ending my life."


def fact_answer(persona: Mapping, fields: Iterable[str], question: str = "") -> str:
    """The card's answer to the basic facts asked, in the client's voice ("" when none applies)."""
    answers = card_answers(persona)
    if FAMILY in fields:
        family = _family_answer(persona, question)
        if family:
            answers = {**answers, FAMILY: family}
    fields = [f for f in fields if f in answers]
    if NAME in fields and AGE in fields:
        fields = [f for f in fields if f not in (NAME, AGE)]
        return " ".join([f"I'm {first_name(persona)}, I'm {persona['age']}."] + [answers[f] for f in fields])
    return " ".join(answers[f] for f in fields)


# ---------------------------------------------------------------- facts a reply states

_AGE_SAID = re.compile(
    rf"\b(?:i'?m|i am|i turned|i'?ll be|i will be)\s+(?:only |just |nearly |almost |now )?({NUMBER})\b(?!\s*(?:%|percent|minutes|hours|days|weeks|months|times|kilos|pounds|miles|km))"
    rf"|\b(?:i'?m|i am)\s+({NUMBER})\s+years?\s+old\b|\bmy age is\s+({NUMBER})\b|\bat my age of\s+({NUMBER})\b",
    re.IGNORECASE)
_NAME_SAID = re.compile(r"\b(?i:my name(?:'s| is))\s+([A-Z][a-zà-ÿ]+)|\b(?i:call me)\s+([A-Z][a-zà-ÿ]+)")
_LIVE_ALONE = re.compile(r"\bi live (?:all )?(?:alone|on my own|by myself)\b", re.IGNORECASE)
_LIVE_WITH = re.compile(r"\bi live with (?:my )?(\w+)", re.IGNORECASE)
_UNEMPLOYED = re.compile(r"\b(?:i'?m|i am|i've been|i have been) (?:currently )?(?:unemployed|out of work|jobless|between jobs)\b"
                         r"|\bi (?:lost|don't have|do not have|haven't got) (?:a|my) job\b|\bsince i lost my job\b"
                         r"|\bi got (?:laid off|fired|sacked|made redundant)\b", re.IGNORECASE)
_EMPLOYED_NOW = re.compile(r"\bi (?:still )?work (?:as|at|for|in|from home|full[- ]time|part[- ]time|nights|shifts)\b|\bi(?:'m| am) (?:still )?working (?:as|at|for)\b"
                           r"|\bmy job is\b|\bi(?:'m| am) employed\b|\bmy boss (?:is|says|wants)\b", re.IGNORECASE)
_RETIRED = re.compile(r"\bretired\b", re.IGNORECASE)


@dataclass
class Facts:
    """Facts about the client, from the card or from what the client said."""

    age: int | None = None
    name: str = ""
    # relation word -> name ("wife" -> "Ewa"); a relation with no name maps to "".
    people: dict[str, str] = field(default_factory=dict)
    partner: str = ""  # the partner word the card uses ("wife"), "" when the card names none
    working: bool | None = None  # None: unknown or not applicable (retired, student, on leave)
    lives_alone: bool | None = None
    # Relations the card says the client lives with (for "I live with my parents" on a card without).
    lives_with: set[str] = field(default_factory=set)
    retired: bool = False


def card_facts(persona: Mapping) -> Facts:
    facts = Facts()
    if isinstance(persona.get("age"), int):
        facts.age = persona["age"]
    facts.name = first_name(persona)
    text = " ".join(str(persona.get(k) or "") for k in ("living_situation", "history", "presenting_problem",
                                                           "occupation", "hidden"))
    own = {"my", "our", (_pronouns(persona) or ("their",))[0]}
    if own & {"his", "her"}:
        own.add("their")  # "their daughter" on a card with a partner is the couple's
    for possessive, relation, name in _NAMED_RELATION.findall(text):
        # "her five-year-old son Jayden" on a man's card is his girlfriend's son, not his.
        if possessive.lower() in own:
            facts.people.setdefault(relation.lower(), name)
    living = str(persona.get("living_situation") or "")
    partner = re.search(rf"\b(?:his|her|their|my)\s+({'|'.join(PARTNERS)})\b", living, re.IGNORECASE)
    facts.partner = partner.group(1).lower() if partner else ""
    facts.lives_alone = bool(re.search(r"\blives alone\b|\bon (?:his|her|their) own\b", living, re.IGNORECASE))
    facts.lives_with = {w.lower() for w in re.findall(rf"\b({_REL}|parents|children|kids|sons|daughters|housemates|"
                                                      r"teammates|roommates|grandmother|brother|sister)\b", living, re.I)}
    occupation = str(persona.get("occupation") or "")
    if re.search(r"\b(?:unemployed|lost (?:his|her|their) job|out of work)\b", occupation, re.IGNORECASE):
        facts.working = False
    elif re.search(r"\b(?:retired|student|leave|disability|year \d+|grade \d+)\b", occupation, re.IGNORECASE):
        facts.working = None
        facts.retired = bool(re.match(r"(?i)\s*retired\b", occupation))
    elif occupation:
        facts.working = True
    return facts


def said_facts(text: str) -> Facts:
    """What one client reply says about the client (first-person statements only)."""
    facts = Facts()
    age = _AGE_SAID.search(text)
    if age:
        value = number_value(next(g for g in age.groups() if g))
        # "I'm 2" or "I'm 300" are not ages someone gives in therapy.
        facts.age = value if value is not None and 10 <= value <= 110 else None
    name = _NAME_SAID.search(text)
    if name:
        facts.name = next(g for g in name.groups() if g)
    for relation, person in re.findall(rf"\b[Mm]y\s+(?:[\w-]+\s)?({_REL})(?:,)?\s+([A-Z][a-zà-ÿ]+)\b", text):
        if person.lower() not in ("and", "but", "is", "was", "i", "who", "said", "says", "the"):
            facts.people.setdefault(relation.lower(), person)
    partner = re.search(rf"\bmy ({'|'.join(PARTNERS)})\b", text, re.IGNORECASE)
    facts.partner = partner.group(1).lower() if partner else ""
    if _UNEMPLOYED.search(text):
        facts.working = False
    elif any(_EMPLOYED_NOW.search(sentence) and not _RETIRED.search(sentence)
             for sentence in re.split(r"(?<=[.!?])\s+", text)):
        # Sentence by sentence: "I'm retired. I work as a machinist." still says they work.
        facts.working = True
    if _LIVE_ALONE.search(text):
        facts.lives_alone = True
    with_ = _LIVE_WITH.search(text)
    if with_:
        facts.lives_alone = False
        facts.lives_with = {with_.group(1).lower()}
    return facts


class Ledger:
    """What the client has said about themselves so far in a session, first statement wins.

    Rebuilt from the stored client replies each turn (no process keeps it): a card fact always
    wins over the ledger, and the ledger holds what the card leaves open (a child's name the
    model made up at turn 3 must still be that name at turn 15).
    """

    def __init__(self, replies: Iterable[str] = ()):
        self.age: int | None = None
        self.name = ""
        self.people: dict[str, str] = {}
        self.partner = ""
        for reply in replies:
            self.add(reply)

    def add(self, reply: str) -> None:
        facts = said_facts(reply)
        self.age = self.age if self.age is not None else facts.age
        self.name = self.name or facts.name
        for relation, person in facts.people.items():
            self.people.setdefault(relation, person)
        self.partner = self.partner or facts.partner

    def as_dict(self) -> dict:
        return {"age": self.age, "name": self.name, "people": dict(self.people), "partner": self.partner}


_SPOUSE_OK = {  # partner words that may name the same person
    "wife": {"wife", "partner"}, "husband": {"husband", "partner"},
    "partner": set(PARTNERS), "girlfriend": {"girlfriend", "partner"}, "boyfriend": {"boyfriend", "partner"},
}


def contradictions(reply: str, persona: Mapping, ledger: Ledger | None = None) -> list[str]:
    """How REPLY contradicts the card, or what the client said before (reasons for the guard)."""
    card = card_facts(persona)
    said = said_facts(reply)
    ledger = ledger or Ledger()
    reasons = []
    if said.age is not None and card.age is not None and said.age != card.age:
        reasons.append(f"contradicts the card: age {said.age} (card {card.age})")
    elif said.age is not None and card.age is None and ledger.age is not None and said.age != ledger.age:
        reasons.append(f"contradicts the client: age {said.age} (said {ledger.age})")
    known_names = {card.name.lower(), *(w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ]+", str(persona.get("name") or "")))}
    if said.name and said.name.lower() not in known_names:
        reasons.append(f"contradicts the card: name {said.name} (card {card.name})")
    for relation, person in said.people.items():
        expected = card.people.get(relation) or ledger.people.get(relation)
        if expected and person != expected and relation not in ("friend", "boss"):
            source = "card" if card.people.get(relation) else "client"
            reasons.append(f"contradicts the {source}: {relation} {person} ({source} {expected})")
    gender = _gender(persona)
    if gender and re.search(_SELF_AS[gender], reply, re.IGNORECASE):
        reasons.append(f"contradicts the card: speaks of themselves as {'a woman' if gender == 'man' else 'a man'}")
    if said.partner and card.partner and said.partner not in _SPOUSE_OK.get(card.partner, {card.partner}):
        reasons.append(f"contradicts the card: {said.partner} (card {card.partner})")
    if said.working and card.retired:
        reasons.append("contradicts the card: says they work (card: retired)")
    elif said.working is not None and card.working is not None and said.working != card.working:
        reasons.append("contradicts the card: " + ("says they work" if said.working else "says they are out of work"))
    if said.lives_alone is True and card.lives_with and not card.lives_alone:
        reasons.append("contradicts the card: says they live alone")
    elif said.lives_alone is False and card.lives_alone:
        reasons.append("contradicts the card: says they live with someone")
    elif said.lives_with and card.lives_with and not (said.lives_with & _relatives(card)):
        who = next(iter(said.lives_with))
        if who in RELATIONS or who in ("parents", "mum", "mom", "dad", "kids", "children"):
            reasons.append(f"contradicts the card: lives with {who}")
    return reasons


# "I want to be a good mother" from a man: the client's own gendered roles, said of themselves.
_SELF_AS = {
    "man": r"\bi(?: just| really| only| still| never)?(?:'m| am| was| want to be| wanna be| used to be| try to be| tried to be| have to be)\s+(?:a |an |the |her |his )?"
           r"(?:good |bad |better |proper |real |terrible |single |new )?(?:mother|mum|mom|wife|girlfriend|woman|girl|lady)\b",
    "woman": r"\bi(?: just| really| only| still| never)?(?:'m| am| was| want to be| wanna be| used to be| try to be| tried to be| have to be)\s+(?:a |an |the |her |his )?"
             r"(?:good |bad |better |proper |real |terrible |single |new )?(?:father|dad|husband|boyfriend|man|guy|boy)\b",
}


def _gender(persona: Mapping) -> str:
    """"man" or "woman" where the card's pronouns say so ("" for they/them or no pronouns)."""
    pronouns = str(persona.get("pronouns") or "").lower()
    return "man" if pronouns.startswith("he") else "woman" if pronouns.startswith("she") else ""


def _relatives(card: Facts) -> set[str]:
    """Words a reply may use for the people the card says the client lives with."""
    words = set(card.lives_with) | set(card.people)
    if words & {"son", "daughter", "sons", "daughters", "children", "kids"}:
        words |= {"son", "daughter", "sons", "daughters", "children", "kids", "family"}
    if card.partner:
        words |= _SPOUSE_OK.get(card.partner, {card.partner}) | {"family"}
    if words & {"parents", "mother", "father", "mum", "mom", "dad"}:
        words |= {"parents", "mother", "father", "mum", "mom", "dad", "family"}
    return words
