"""Grading a session against its scenario's learning objectives (docs/feedback.md, "Learning
objectives"; the card schema is in simulator/scenario_library/README.md).

grade() is pure: it reads no database, so the same function serves the trainee's report, the
supervisor's replay and anyone else who has the report's pieces; grade_session() fetches them.

    grade(card, turns, summary=None, states=None) -> [graded objective, ...]

CARD is a scenario card (ScenarioVersion.card); TURNS are feedback.report.turns_for(session)
(dicts with seq, role, text and, on trainee turns, code); SUMMARY is report.summarise(turns)
(computed here when not given); STATES is report.client_states(card, turns), [(seq, state)]
(needed only for "disclosure" objectives; without it they read "not met"). For one session in
one call, grade_session(session) reads all of that from the database.

Each graded objective is a dict:

    {"id", "text", "kind", "verdict": "met" | "partly" | "not_met" | "not_graded",
     "label": "Met", "cue": "✓", "reason": "3 complex reflections, goal 3",
     "evidence": [{"seq": 7, "quote": "It sounds as if…"}, ...], "measures": "" }

An objective still written as plain text (cards stored before objectives were machine-readable)
is "not_graded". The verdict is a prompt for the trainee and supervisor, not a mark: it rests on
the behaviour model's codes and on phrase rules (see the doc for their accuracy).
"""

import re

from feedback import checklist, report
from feedback.models import CODE_LABELS

MET = "met"
PARTLY = "partly"
NOT_MET = "not_met"
NOT_GRADED = "not_graded"
VERDICT_LABELS = {MET: "Met", PARTLY: "Partly met", NOT_MET: "Not met", NOT_GRADED: "Not graded automatically"}
# A sign beside each verdict's words, so the verdict never rests on colour alone.
VERDICT_CUES = {MET: "\u2713", PARTLY: "\u25d0", NOT_MET: "\u2717", NOT_GRADED: "\u2013"}
# What a supervisor may set a verdict to (supervision.actions.do_override_objective).
OVERRIDE_VERDICTS = (MET, PARTLY, NOT_MET)

KINDS = ("behaviour", "checklist", "ratio", "topic", "disclosure")
# The report summary's ratios an objective may name, with the words for them and, for each,
# the behaviour codes whose messages are its evidence (the numerator).
RATIOS = {
    "rq_ratio": ("reflections per question", ("simple_reflection", "complex_reflection")),
    "pct_complex": ("complex reflections as a share of all reflections", ("complex_reflection",)),
    "pct_open": ("open questions as a share of all questions", ("open_question",)),
}
EVIDENCE_LIMIT = 5
QUOTE_CHARS = 120


def quote(text, limit=QUOTE_CHARS):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _evidence(turns):
    return [{"seq": t["seq"], "quote": quote(t["text"])} for t in turns[:EVIDENCE_LIMIT]]


def _kind(objective):
    # Not a dict on cards stored in an earlier shape (a bare list of codes); those read as no kind.
    shown_by = objective.get("shown_by")
    return shown_by.get("kind", "") if isinstance(shown_by, dict) else ""


def _result(objective, verdict, reason, evidence=()):
    return {
        "id": objective.get("id", ""),
        "text": objective.get("text", ""),
        "kind": _kind(objective),
        "verdict": verdict,
        "label": VERDICT_LABELS[verdict],
        "cue": VERDICT_CUES[verdict],
        "reason": reason,
        "evidence": list(evidence),
        "measures": objective.get("measures", ""),
    }


def _trainee(turns):
    return [t for t in turns if t["role"] == "trainee"]


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def phrase(words):
    """A topic as a pattern: lower-case words matched at the start of a word ("sleep" also finds
    "sleeping"), as the client's state matches unlock topics (simulator.clientstate)."""
    return re.compile(r"\b" + re.escape(words.strip().lower()), re.IGNORECASE)


def topic_names(topics):
    """A topics list's entries as [(name, [alternatives])]: a string is its own name; a list of
    strings is one topic with its first string as the name."""
    out = []
    for entry in topics:
        alternatives = [entry] if isinstance(entry, str) else list(entry)
        out.append((alternatives[0], alternatives))
    return out


def grade_behaviour(objective, turns, summary, states):
    shown_by = objective["shown_by"]
    codes, goal = shown_by["codes"], shown_by["min"]
    found = [t for t in _trainee(turns) if t.get("code") in codes]
    names = " or ".join(CODE_LABELS[c].lower() for c in codes)
    reason = f"{len(found)} message{'s' if len(found) != 1 else ''} coded {names}, goal {goal}"
    verdict = MET if len(found) >= goal else PARTLY if found else NOT_MET
    return _result(objective, verdict, reason, _evidence(found))


def grade_checklist(objective, turns, summary, states):
    wanted = objective["shown_by"]["items"]
    items = {item["key"]: item for item in checklist.crisis_checklist(turns)}
    done = [items[key] for key in wanted if items[key]["done"]]
    missing = [items[key]["label"].lower() for key in wanted if not items[key]["done"]]
    if len(wanted) == 1:
        reason = f"{items[wanted[0]]['label']}: " + (f"found in message {done[0]['seq']}" if done else "not found")
    else:
        reason = f"{len(done)} of {len(wanted)} found" + (f"; not found: {', '.join(missing)}" if missing else "")
    verdict = MET if len(done) == len(wanted) else PARTLY if done else NOT_MET
    evidence = sorted(done, key=lambda item: item["seq"])
    return _result(objective, verdict, reason, [{"seq": i["seq"], "quote": quote(i["text"])} for i in evidence])


def _number(measure, value):
    return f"{value:g} : 1" if measure == "rq_ratio" else f"{value:g}%"


def grade_ratio(objective, turns, summary, states):
    shown_by = objective["shown_by"]
    measure, goal = shown_by["measure"], shown_by["min"]
    words, codes = RATIOS[measure]
    # The report's MITI thresholds: "partly met" starts where its key numbers say "fair".
    value, fair = summary[measure], report.BANDS[measure][0]
    evidence = _evidence([t for t in _trainee(turns) if t.get("code") in codes])
    if value is None:
        nothing = "no questions" if measure in ("rq_ratio", "pct_open") else "no reflections"
        return _result(
            objective, NOT_MET, f"{words.capitalize()}: none to count ({nothing}), goal {_number(measure, goal)}"
        )
    reason = f"{words.capitalize()} {_number(measure, value)}, goal {_number(measure, goal)}"
    if value >= goal:
        verdict = MET
    elif value >= fair:
        verdict, reason = PARTLY, reason + f" (fair from {_number(measure, fair)})"
    else:
        verdict = NOT_MET
    return _result(objective, verdict, reason, evidence)


# A link the trainee pastes is not a topic they asked about, though its address may hold the word
# ("…/coping-with-low-mood.pdf").
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def grade_topic(objective, turns, summary, states):
    shown_by = objective["shown_by"]
    goal, named = shown_by["min"], topic_names(shown_by["topics"])
    # (what is searched, the turn quoted as evidence)
    trainee = [(_LINK.sub(" ", t["text"]), t) for t in _trainee(turns)]
    found, evidence = [], []
    for name, alternatives in named:
        patterns = [phrase(a) for a in alternatives]
        first = next((t for text, t in trainee if any(p.search(text) for p in patterns)), None)
        if first is not None:
            found.append(name)
            if first not in evidence:
                evidence.append(first)
    reason = f"{len(found)} of the topics asked about, goal {goal}"
    if found:
        reason += f" ({', '.join(found)})"
    verdict = MET if len(found) >= goal else PARTLY if found else NOT_MET
    return _result(objective, verdict, reason, _evidence(sorted(evidence, key=lambda t: t["seq"])))


def grade_disclosure(objective, turns, summary, states):
    ident = objective["shown_by"]["disclosure"]
    seq = next((s for s, state in states or () if ident in (state.get("newly_unlocked") or [])), None)
    if seq is None:
        return _result(objective, NOT_MET, f"The client did not open up about \u201c{ident}\u201d")
    turn = next((t for t in turns if t["seq"] == seq), None)
    evidence = [{"seq": seq, "quote": quote(turn["text"])}] if turn else []
    return _result(objective, MET, f"The client opened up about \u201c{ident}\u201d after message {seq}", evidence)


GRADERS = {
    "behaviour": grade_behaviour,
    "checklist": grade_checklist,
    "ratio": grade_ratio,
    "topic": grade_topic,
    "disclosure": grade_disclosure,
}


def grade_one(objective, turns, summary, states=None):
    if isinstance(objective, str):
        return {
            "id": "", "text": objective, "kind": "", "verdict": NOT_GRADED, "label": VERDICT_LABELS[NOT_GRADED],
            "cue": VERDICT_CUES[NOT_GRADED], "evidence": [], "measures": "",
            "reason": "Written before objectives named what shows them; read the transcript to judge it.",
        }  # fmt: skip
    try:
        return GRADERS[_kind(objective)](objective, turns, summary, states)
    except (KeyError, TypeError, ValueError, AttributeError):
        # A card the library check never saw (edited in the admin, or older than a kind's params):
        # say so on the page rather than fail the whole report over one objective.
        return _result(
            objective, NOT_GRADED, "Its criterion is not one Pixel can read, so it is not graded automatically."
        )


def grade(card, turns, summary=None, states=None):
    """Every objective of CARD graded on TURNS, in the card's order (see the module docstring)."""
    if summary is None:
        summary = report.summarise(turns)
    return [grade_one(o, turns, summary, states) for o in card.get("learning_objectives") or []]


def grade_session(session, turns=None):
    """The objectives of SESSION's scenario version graded on its transcript (reads the database,
    writes nothing; messages not scored yet are scored for the call, as the report does)."""
    card = session.scenario_version.card
    turns = report.turns_for(session) if turns is None else turns
    return grade(card, turns, report.summarise(turns), report.client_states(card, turns))


def with_overrides(graded, overrides):
    """GRADED with each objective's latest override attached as "override" (None if there is none).
    OVERRIDES: {objective id: {"verdict", "label", "cue", "note", "by", "at", "history"}}."""
    for item in graded:
        item["override"] = overrides.get(item["id"]) if item["id"] else None
    return graded


# The report page shows overrides from supervision, which sits above feedback: supervision
# registers where to read them (supervision.apps), as simulator.actions.register_scorer does.
_override_reader = None


def register_override_reader(reader):
    """READER(user, session) -> {objective id: override dict}, the overrides USER may see."""
    global _override_reader
    _override_reader = reader


def overrides_for(user, session):
    return _override_reader(user, session) if _override_reader is not None else {}
