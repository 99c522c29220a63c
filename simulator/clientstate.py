"""The client's state: how open and how distressed the simulated client is, turn by turn.

After each trainee message the state moves by the rules in RULES, one readable table, from the
behaviour code and empathy levels the feedback scorer gives that message (feedback.scoring) plus a
few transparent phrase rules. The state decides which of the card's hidden disclosures
(persona["disclosures"], simulator/scenario_library/README.md) the client may now talk about, and
how the reply should sound (modelserve.prompt.ClientContext). docs/simulator.md, "The client's
state", explains the rules for people.

Nothing here lives in a process: each trainee message's state is stored on its row
(Message.client_state) and the next is derived from the previous one, so any worker can carry on.
`step()` is pure (a card, the previous state, one scored turn); the functions at the bottom read
the database and never write it (the write is simulator.actions.do_update_client_state).
"""

import re
from dataclasses import dataclass, field

from modelserve.prompt import ClientContext

LOW, HIGH = 0, 5

# How many points a client of each difficulty needs to move up one level of openness. A rupture
# always costs a whole level (and the points saved towards the next): trust is slow to build and
# quick to lose, and harder clients build it more slowly still.
POINTS_PER_LEVEL = {1: 2, 2: 3, 3: 4}

REFLECTIONS = ("simple_reflection", "complex_reflection")

# Phrases that argue with, order about or judge the client. Fixed and readable on purpose, so a
# trainee (and a supervisor) can see exactly why the client closed up. The look-behinds keep a
# reflection of the client's own rule ("you feel you need to keep watch") out.
CONFRONTATION = re.compile(
    r"(?<!feel )(?<!feels )(?<!think )(?<!believe )(?<!like )(?<!that )(?<!if )(?<!whether )(?<!what )"
    r"\byou (really |just |simply )?(need to|should|must|have got to|ought to)\b"
    r"|\bwhy don'?t you just\b|\bthat'?s (just )?not true\b|\byou'?re (just )?(overreacting|exaggerating|being dramatic)\b"
    r"|(?<!to )\bbe honest\b|\byou'?re in denial\b|\badmit it\b|\bstop (making excuses|feeling sorry for yourself|complaining)\b"
    r"|\bthat'?s (ridiculous|silly|irrational|an excuse)\b|\bface (the )?facts\b|\bget over it\b|\bsnap out of it\b",
    re.IGNORECASE,
)
# Comfort offered before the client has been heard: it tells them the feeling is not welcome.
# "at least" counts only where it opens a clause ("At least you still have ..."), not "at least
# once a week".
REASSURANCE = re.compile(
    r"\bdon'?t worry\b|\bno need to worry\b|\bit'?ll (all )?be (fine|ok|okay|alright|all right)\b"
    r"|\bit will (all )?be (fine|ok|okay|alright|all right)\b|\beverything (will|is going to|'ll) be (fine|ok|okay|alright|all right)\b"
    r"|\byou'?ll be (fine|ok|okay|alright|all right)\b|(^|[.!?,;:]\s*)at least (you|he|she|they|it|your|there|nobody|no one)\b"
    r"|\bcheer up\b|\blook on the bright side\b|\bit could be worse\b|\bi'?m sure (it|you|they|he|she)('ll| will)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """One trainee message as the rules see it: its text and what the scorer said about it."""

    seq: int
    text: str
    code: str = "other"
    main: str = "other"
    empathy: dict = field(default_factory=dict)
    asked_permission: bool | None = None

    @property
    def reflected(self):
        return self.code in REFLECTIONS or self.main == "reflection"


@dataclass(frozen=True)
class Rule:
    reason: str  # what a supervisor reads: "complex reflection"
    effect: str  # EARN: `openness` points towards the next level; RUPTURE: `openness` levels lost
    openness: int
    distress: int
    applies: object  # (turn, closed_run) -> bool


EARN, RUPTURE = "earn", "rupture"

# THE RULES. Every rule whose condition holds applies, except that when any rupture applies the
# earning rules do not: warm words around "you need to stop" do not make it feel less like a
# lecture. Each rule applies at most once per message, however often its phrase appears.
#
#    reason                                effect   openness distress  applies when
RULES = (
    Rule("complex reflection",             EARN,    2,       0,        lambda t, run: t.code == "complex_reflection"),
    Rule("simple reflection",              EARN,    1,       0,        lambda t, run: t.code == "simple_reflection"),
    Rule("open question",                  EARN,    1,       0,        lambda t, run: t.code == "open_question"),
    Rule("affirmation",                    EARN,    2,       0,        lambda t, run: t.code == "affirmation"),
    Rule("advice with permission",         EARN,    1,       0,        lambda t, run: t.code == "advice" and t.asked_permission is True),
    Rule("emotional reaction",             EARN,    1,       -1,       lambda t, run: t.empathy.get("emotional_reactions", 0) >= 1),
    Rule("closed questions in a row",      RUPTURE, 1,       1,        lambda t, run: t.code == "closed_question" and run >= 3),
    Rule("advice without permission",      RUPTURE, 1,       1,        lambda t, run: t.code == "advice" and not t.asked_permission),
    Rule("confrontation",                  RUPTURE, 1,       1,        lambda t, run: bool(CONFRONTATION.search(t.text))),
    Rule("premature reassurance",          RUPTURE, 1,       1,        lambda t, run: bool(REASSURANCE.search(t.text))),
)  # fmt: skip

RISK_DISTRESS = {"none": 1, "low": 1, "moderate": 2, "high": 3}


def clamp(value):
    return max(LOW, min(HIGH, value))


def difficulty_of(card):
    level = card.get("difficulty", 1) if isinstance(card, dict) else 1
    return level if level in POINTS_PER_LEVEL else 1


def starting_openness(card):
    """2 for most clients; a reserved client, or one at difficulty 3, starts a level lower (each)."""
    persona = card.get("persona") or {}
    return clamp(2 - (persona.get("conversational_style") == "reserved") - (difficulty_of(card) == 3))


def starting_distress(card):
    """From the risk level (none/low 1, moderate 2, high 3), +1 for neuroticism 5, +1 for an upset style."""
    persona = card.get("persona") or {}
    risk = (persona.get("risk_profile") or {}).get("level", "none")
    neuroticism = (persona.get("big_five") or {}).get("neuroticism", 3)
    return clamp(RISK_DISTRESS.get(risk, 1) + (neuroticism >= 5) + (persona.get("conversational_style") == "upset"))


def mood(openness, distress):
    if distress >= 4:
        return "distressed"
    if openness <= 1:
        return "guarded"
    if openness >= 4:
        return "opening up"
    return ""


def disclosures(card):
    """The card's machine-readable hidden material, [] for a card without it."""
    items = (card.get("persona") or {}).get("disclosures") or []
    return [item for item in items if isinstance(item, dict) and item.get("id")]


def initial_state(card):
    """The client before the trainee has said anything."""
    openness, distress = starting_openness(card), starting_distress(card)
    return {
        "openness": openness,
        "distress": distress,
        "mood": mood(openness, distress),
        "points": 0,
        "closed_run": 0,
        "topics": [],
        "feelings": [],
        "unlocked": [],
        "unlocked_at": {},
        "newly_unlocked": [],
        "reasons": [],
        "code": "",
        "seq": None,
        "guarded": openness <= 1,
    }


def _phrase(words):
    # The start of a word: "drink" also finds "drinking", "brother" finds "brother's".
    return re.compile(r"\b" + re.escape(words.strip().lower()), re.IGNORECASE)


def _heard(items, key, text, already):
    found = list(already)
    for item in items:
        for words in item.get("unlock", {}).get(key, []):
            if words not in found and _phrase(words).search(text):
                found.append(words)
    return found


def unlockable(item, state):
    """Whether disclosure ITEM's conditions hold in STATE (see the README for the semantics)."""
    unlock = item.get("unlock", {})
    if state["openness"] < unlock.get("min_openness", 0):
        return False
    topics, feelings = unlock.get("topics", []), unlock.get("feelings", [])
    if not topics and not feelings:
        return True
    return any(t in state["topics"] for t in topics) or any(f in state["feelings"] for f in feelings)


def step(card, previous, turn):
    """The state after trainee TURN, from the state before it. Pure: same inputs, same state."""
    closed_run = previous["closed_run"] + 1 if turn.code == "closed_question" else 0
    fired = [rule for rule in RULES if rule.applies(turn, closed_run)]
    ruptures = [rule for rule in fired if rule.effect == RUPTURE]
    applied = ruptures or fired
    openness, distress, points = previous["openness"], previous["distress"], previous["points"]
    reasons = []
    per_level = POINTS_PER_LEVEL[difficulty_of(card)]
    for rule in applied:
        if rule.effect == RUPTURE:
            openness, points = clamp(openness - rule.openness), 0
            reasons.append(f"{rule.reason} -{rule.openness} openness")
        else:
            points += rule.openness
            reasons.append(f"{rule.reason} +{rule.openness} point{'s' if rule.openness != 1 else ''}")
        if rule.distress:
            new = clamp(distress + rule.distress)
            if new != distress:
                reasons.append(f"{rule.reason} {rule.distress:+d} distress")
            distress = new
    while points >= per_level and openness < HIGH:
        openness, points = openness + 1, points - per_level
        reasons.append(f"openness up to {openness}")
    if openness >= HIGH:
        points = 0  # nothing to save up for at the top of the scale

    items = disclosures(card)
    feelings = (
        _heard(items, "feelings", turn.text, previous["feelings"]) if turn.reflected else list(previous["feelings"])
    )
    state = {
        "openness": openness,
        "distress": distress,
        "mood": mood(openness, distress),
        "points": points,
        "closed_run": closed_run,
        "topics": _heard(items, "topics", turn.text, previous["topics"]),
        "feelings": feelings,
        "unlocked": list(previous["unlocked"]),
        "unlocked_at": dict(previous["unlocked_at"]),
        "newly_unlocked": [],
        "reasons": reasons,
        "code": turn.code,
        "seq": turn.seq,
        "guarded": openness <= 1 or bool(ruptures),
    }
    for item in items:
        if item["id"] not in state["unlocked"] and unlockable(item, state):
            state["unlocked"].append(item["id"])
            state["unlocked_at"][item["id"]] = turn.seq
            state["newly_unlocked"].append(item["id"])
    return state


def fold(card, turns, start=None):
    """The state after each of TURNS in order: [(turn, state), ...]."""
    state, out = start or initial_state(card), []
    for turn in turns:
        state = step(card, state, turn)
        out.append((turn, state))
    return out


def context_for(card, state):
    """What the reply generator is told (modelserve.prompt.ClientContext)."""
    says = {item["id"]: item.get("says", "") for item in disclosures(card)}
    return ClientContext(
        mood=state["mood"],
        guarded=bool(state.get("guarded")),
        disclosures=tuple((i, says[i]) for i in state["unlocked"] if i in says),
        newly_unlocked=tuple(i for i in state["newly_unlocked"] if i in says),
    )


def mentioned(item, text):
    """Whether a client reply talks about disclosure ITEM: one of its keywords as whole words, any
    case (as training.realism counts a disclosure)."""
    text = (text or "").lower()
    return any(re.search(rf"(?<!\w){re.escape(k.lower())}(?!\w)", text) for k in item.get("keywords", []))


# Shown to supervisors (observe page, live events); the rest is the engine's bookkeeping.
PUBLIC = ("openness", "distress", "mood", "unlocked", "unlocked_at", "newly_unlocked", "reasons", "code", "seq")


def public(state):
    """What the observe page shows, with `disclosed`: [{"id", "seq"}] in the order unlocked."""
    shown = {key: state.get(key) for key in PUBLIC}
    at = state.get("unlocked_at") or {}
    shown["disclosed"] = [{"id": i, "seq": at.get(i)} for i in state.get("unlocked") or []]
    return shown


# --- Reading the database (no writes here) ------------------------------------------------------


def turn_of(message, score=None):
    """A Turn from a stored trainee message and its MessageScore (None: not scored yet, neutral)."""
    if score is None:
        return Turn(seq=message.seq, text=message.text)
    return Turn(
        seq=message.seq,
        text=message.text,
        code=score.code,
        main=score.main,
        empathy=score.empathy,
        asked_permission=score.asked_permission,
    )


def session_states(session, upto_seq=None):
    """[(message, state, stored)] for the session's trainee messages up to UPTO_SEQ.

    Stored states are used as they are; a message without one (its reply never generated, say a
    supervisor answered instead) is computed here from the one before, so every caller sees the
    same fold. `stored` says which is which, for the writer.
    """
    from simulator.models import Message

    card = session.scenario_version.card
    # The skill score is the feedback app's (MessageScore, reached by its reverse accessor so
    # the simulator never imports feedback); a message without one counts as neutral.
    messages = session.messages.filter(role=Message.TRAINEE).select_related("skill_score").order_by("seq")
    if upto_seq is not None:
        messages = messages.filter(seq__lte=upto_seq)
    state, out = initial_state(card), []
    for message in messages:
        if message.client_state:
            state, stored = message.client_state, True
        else:
            state, stored = step(card, state, turn_of(message, getattr(message, "skill_score", None))), False
        out.append((message, state, stored))
    return out


def current_state(session):
    """The client's state now: after the last trainee message with a stored state, or at the start."""
    from simulator.models import Message

    stored = session.messages.filter(role=Message.TRAINEE).exclude(client_state={})
    last = stored.order_by("-seq").only("client_state").first()
    return last.client_state if last is not None else initial_state(session.scenario_version.card)
