"""The crisis-handling checklist: transparent rules on the trainee's own words (docs/feedback.md).

Each item is a list of phrase patterns; an item is met by the first trainee message that matches,
and the report quotes that message so the trainee can see why. The rules read what the trainee
wrote, not what the skill models guessed, except "feelings before problem solving", which also
uses the behaviour codes (a reflection counts as acknowledging).

Plain lower-casing rather than modelserve.crisis.normalise: that one squeezes repeated letters to
defeat evasive spelling by clients, which would only make these trainee-side phrases harder to read.
"""

import re

CRISIS_TOPICS = ("suicide", "self-harm")


def _any(*patterns):
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_QUESTION = re.compile(r"\?|^\s*(are|have|do|did|is|has|would|could|can|how|what|when|where)\b", re.IGNORECASE)
_SUICIDE_WORDS = _any(
    r"\bsuicid",
    r"\bkill(ing)? (yourself|your self)",
    r"\bend(ing)? (your|it all|things)",
    r"\btake your (own )?life",
    r"\b(want|wanting|wish|wishing) (to|you were) (die|dead)",
    r"\bthoughts? (of|about) (dying|death|not being here|not wanting to live)",
    r"\bnot (want|wanting) to (live|be alive|be here)",
    r"\bhurt(ing)? yourself",
    r"\bharm(ing)? yourself",
    r"\bself[- ]harm",
    r"\bbetter off (dead|without you)",
    r"\bno longer (alive|here)",
)
_PLAN = _any(
    r"\bplan(s|ned|ning)?\b",
    r"\bhow (would|might|could) you\b",
    r"\bthought about how\b",
    r"\bworked out how\b",
    r"\bwhen (would|might) you\b",
)
_MEANS = _any(
    r"\bmeans\b",
    r"\baccess to\b",
    r"\b(pills?|tablets?|medication|meds)\b",
    r"\b(gun|firearm|weapon|knife|knives|blade|rope)s?\b",
    r"\bstockpil",
    r"\bhave (it|them|anything) (with you|at home|nearby)\b",
)
_INTENT = _any(
    r"\bintend",
    r"\bintention",
    r"\bact on (it|them|those|these)",
    r"\bgoing to (do it|act|go through)",
    r"\bhow likely\b",
    r"\bdo you think you (will|would|might) (do|act)",
    r"\bgo through with",
    r"\bhow close\b",
)
_FEELING = _any(
    r"\bsounds? (really |so |incredibly |very )?(hard|painful|awful|difficult|overwhelming|exhausting|lonely|frightening|scary|heavy)",
    r"\b(that|this) must\b",
    r"\bi can hear\b",
    r"\bi hear (you|how|that)\b",
    r"\byou('re| are| have been| seem| sound)( feeling)? (so |really |very )?"
    r"(hopeless|alone|lonely|exhausted|overwhelmed|scared|frightened|desperate|hurt|sad|angry|ashamed|trapped|stuck|worn out|in pain)",
    r"\byou feel\b",
    r"\bthank you for (telling|sharing|trusting)",
    r"\bi'?m (really |so )?(sorry|glad you told)",
)
_PROBLEM_SOLVING_CODES = ("advice", "giving_information")
_SAFETY_PLAN = _any(
    r"\bsafety plan",
    r"\bkeep (you|yourself) safe",
    r"\bstay(ing)? safe",
    r"\bsafe (tonight|right now|for now)",
    r"\bwho (could|can|would) you (call|reach|contact|turn to|talk to)",
    r"\breasons? (for|to) (living|live|keep going)",
    r"\b(remove|put away|lock away|get rid of|give (them|it) to)\b.*\b(pills|tablets|medication|knife|knives|gun|rope|means)",
    r"\bget through (tonight|the night|today)",
    r"\bwhat (helps|has helped) (you )?(before|in the past|when)",
    r"\bcoping\b",
)
_RESOURCES = _any(
    r"\b988\b",
    r"\b116 ?123\b",
    r"\bsamaritans\b",
    r"\bcrisis (line|team|service|text)",
    r"\b(hot|help)line\b",
    r"\b911\b",
    r"\b999\b",
    r"\b112\b",
    r"\bemergency (services|department|room|number)\b",
    r"\b(a&e|a and e|er)\b",
    r"\btext (home|shout)\b",
    r"\bshout 85258\b",
    r"\bgp\b.*\b(today|urgent)",
    r"\bout[- ]of[- ]hours\b",
)

ITEMS = [
    (
        "asked_directly",
        "Asked directly about suicidal thoughts",
        "A question naming suicide, ending one's life, dying or self-harm.",
    ),
    ("asked_plan", "Asked about a plan", "A question about a plan, or how or when they might act."),
    ("asked_means", "Asked about means", "A question about access to pills, weapons or other means."),
    ("asked_intent", "Asked about intent", "A question about intending or being likely to act on the thoughts."),
    (
        "feelings_first",
        "Acknowledged feelings before problem solving",
        "A message naming or validating the client's feelings (or coded as a reflection) that comes before the first advice or information.",
    ),
    (
        "safety_planning",
        "Moved to safety planning",
        "Talk of keeping safe, who to contact, reasons for living, removing means or coping.",
    ),
    (
        "gave_resources",
        "Gave crisis resources",
        "A helpline (988, Samaritans 116 123…), crisis team or emergency services.",
    ),
]


def is_crisis_session(session):
    card = session.scenario_version.card
    return card.get("topic") in CRISIS_TOPICS or card.get("certification") == "crisis"


def crisis_checklist(turns):
    """TURNS: the report's turns (dicts with seq, role, text and, for trainee turns, code).
    Returns one dict per ITEMS entry: key, label, rule, done, seq, text."""
    trainee = [t for t in turns if t["role"] == "trainee"]
    found = {}

    def first(key, test):
        for t in trainee:
            if test(t):
                found[key] = t
                return

    def asks(pattern):
        return lambda t: bool(_QUESTION.search(t["text"]) and pattern.search(t["text"]))

    first("asked_directly", asks(_SUICIDE_WORDS))
    first("asked_plan", asks(_PLAN))
    first("asked_means", asks(_MEANS))
    first("asked_intent", asks(_INTENT))
    first("safety_planning", lambda t: bool(_SAFETY_PLAN.search(t["text"])))
    first("gave_resources", lambda t: bool(_RESOURCES.search(t["text"])))
    acknowledging = [t for t in trainee if _FEELING.search(t["text"]) or (t.get("code") or "").endswith("_reflection")]
    solving = [
        t
        for t in trainee
        if t.get("code") in _PROBLEM_SOLVING_CODES or _SAFETY_PLAN.search(t["text"]) or _RESOURCES.search(t["text"])
    ]
    if acknowledging and (not solving or acknowledging[0]["seq"] < solving[0]["seq"]):
        found["feelings_first"] = acknowledging[0]
    return [
        {"key": key, "label": label, "rule": rule, "done": key in found,
         "seq": found[key]["seq"] if key in found else None, "text": found[key]["text"] if key in found else ""}
        for key, label, rule in ITEMS
    ]  # fmt: skip
