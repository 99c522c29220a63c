"""The per-session report and the cross-session history (docs/feedback.md has every recipe).

Pure functions over "turns" (plain dicts) so the arithmetic can be checked by hand in tests;
turns_for() and build_report() read the database and never write to it: the pages built from
them are GETs.
"""

import re

from feedback import checklist, suggestions
from feedback.actions import unsaved_score
from feedback.models import CODE_LABELS, EMPATHY_LABELS, LEVEL_LABELS, MessageScore
from simulator import clientstate
from simulator.models import Message

# MITI 4.2.1 summary-score thresholds (Moyers et al. 2016): reflection-to-question ratio 1:1 fair,
# 2:1 good; complex reflections 40% fair, 50% good of all reflections. MITI 4 dropped the %
# open-questions score, so that one uses MITI 3.1.1's 50% fair / 70% good.
BANDS = {
    "rq_ratio": (1.0, 2.0),
    "pct_complex": (40.0, 50.0),
    "pct_open": (50.0, 70.0),
}
# The client's share of all words at which "social skill" (talk-time balance) scores in full:
# in counselling the client should do most of the talking.
CLIENT_SHARE_TARGET = 60.0

_WORD = re.compile(r"[A-Za-z']+")
_EMOTION = re.compile(
    r"\b(sad|sadness|scared|afraid|frightened|terrified|angry|furious|hurt|hurts|lonely|alone|hopeless|worthless|anxious|anxiety|"
    r"worried|worry|depressed|cry|crying|cried|tears|hate|ashamed|shame|guilty|guilt|miserable|exhausted|overwhelmed|stressed|"
    r"upset|frustrated|panic|panicking|empty|numb|die|dying|dead|suicid\w*|kill|broken|pain|painful|grief|grieving|miss (her|him|them)|"
    r"can'?t cope|fed up|heartbroken|devastated|awful|terrible|horrible|useless|failure|trapped|stuck|feel|feeling|felt)\b",
    re.IGNORECASE,
)
_CHECKING = re.compile(
    r"\b(did i (get|understand|hear)|am i right|is that right|have i got|correct me|let me (check|make sure)|i wonder|i'?m not sure i|"
    r"does that (sound|fit|seem) right|i might be wrong|if i'?ve understood|tell me if)\b",
    re.IGNORECASE,
)
MI_CONSISTENT = ("complex_reflection", "open_question", "affirmation")
# What a trainee turn takes from its MessageScore.
SCORE_FIELDS = ("code", "label", "main", "asked_permission", "empathy", "empathy_total")


def words(text):
    return len(_WORD.findall(text or ""))


def is_emotional(text):
    return bool(_EMOTION.search(text or ""))


def band(key, value):
    if value is None:
        return ""
    fair, good = BANDS[key]
    return "good" if value >= good else "fair" if value >= fair else "below fair"


def _pct(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def summarise(turns):
    """Numbers for one session from its turns (trainee turns carry code and empathy)."""
    trainee = [t for t in turns if t["role"] == "trainee" and t.get("code")]
    counts = {code: sum(t["code"] == code for t in trainee) for code in CODE_LABELS}
    reflections = counts["simple_reflection"] + counts["complex_reflection"]
    questions = counts["open_question"] + counts["closed_question"]
    rq = round(reflections / questions, 2) if questions else None
    pct_complex = _pct(counts["complex_reflection"], reflections)
    pct_open = _pct(counts["open_question"], questions)
    empathy_mean = {
        d: round(sum(t["empathy"][d] for t in trainee) / len(trainee), 2) if trainee else None for d in EMPATHY_LABELS
    }
    trainee_words = sum(words(t["text"]) for t in turns if t["role"] == "trainee")
    client_words = sum(words(t["text"]) for t in turns if t["role"] == "client")
    return {
        "trainee_turns": len(trainee),
        "counts": counts,
        "reflections": reflections,
        "questions": questions,
        "rq_ratio": rq,
        "rq_band": band("rq_ratio", rq),
        "pct_complex": pct_complex,
        "complex_band": band("pct_complex", pct_complex),
        "pct_open": pct_open,
        "open_band": band("pct_open", pct_open),
        "empathy_mean": empathy_mean,
        "empathy_rows": [
            (EMPATHY_LABELS[d], v, _pct(sum(t["empathy"][d] > 0 for t in trainee), len(trainee)))
            for d, v in empathy_mean.items()
        ],
        "count_rows": [(CODE_LABELS[c], n) for c, n in counts.items()],
        "empathy_total_mean": round(sum(t["empathy_total"] for t in trainee) / len(trainee), 2) if trainee else None,
        "trainee_words": trainee_words,
        "client_words": client_words,
        "trainee_share": _pct(trainee_words, trainee_words + client_words),
    }


def ei_profile(turns, summary):
    """Five training heuristics named after the emotional-intelligence domains. Each is a 0-100
    percentage with its recipe beside it; none is a validated EI measure."""
    trainee = [t for t in turns if t["role"] == "trainee" and t.get("code")]
    after_emotion = [t for t in trainee if t["prev_emotional"]]
    held = [t for t in after_emotion if t["code"] not in ("advice", "closed_question", "giving_information")]
    effortful = [
        t for t in trainee if t["code"] in MI_CONSISTENT or (t["code"] == "advice" and t.get("asked_permission"))
    ]
    client_share = None if summary["trainee_share"] is None else 100.0 - summary["trainee_share"]
    return [
        {"key": "self_awareness", "name": "Self-awareness", "score": _pct(sum(bool(_CHECKING.search(t["text"])) for t in trainee), len(trainee)),
         "recipe": "Share of your messages that check your understanding or say you may be wrong (\"did I get that right?\", \"I wonder…\", \"correct me\")."},
        {"key": "self_regulation", "name": "Self-regulation", "score": _pct(len(held), len(after_emotion)),
         "recipe": "Of the client's messages with feeling words, the share you answered without advice, information or a closed question "
                   "(staying with the feeling rather than fixing it). Empty if the client expressed no feelings."},
        {"key": "motivation", "name": "Motivation", "score": _pct(len(effortful), len(trainee)),
         "recipe": "Share of your messages that are the harder MI skills: complex reflections, open questions, affirmations, advice with permission."},
        {"key": "empathy", "name": "Empathy", "score": None if summary["empathy_total_mean"] is None else round(100 * summary["empathy_total_mean"] / 6, 1),
         "recipe": "Mean EPITOME empathy over your messages (emotional reactions + interpretations + explorations, each 0-2, so 0-6), as a percentage of 6."},
        {"key": "social_skill", "name": "Social skill", "score": None if client_share is None else round(min(100.0, 100 * client_share / CLIENT_SHARE_TARGET), 1),
         "recipe": f"Talk-time balance: the client's share of all words, scaled so that {CLIENT_SHARE_TARGET:.0f}% or more scores 100."},
    ]  # fmt: skip


def weak_moments(turns, limit=3):
    """Up to LIMIT trainee turns most worth another try, each with the reasons; worst first."""
    candidates = []
    for t in turns:
        if t["role"] != "trainee" or not t.get("code") or not t["prev_client"]:
            continue
        reasons = []
        if t["prev_emotional"] and t["code"] == "closed_question":
            reasons.append("a closed question right after the client spoke about feelings")
        if t["prev_emotional"] and t["code"] == "advice" and not t.get("asked_permission"):
            reasons.append("advice without permission right after the client spoke about feelings")
        if t["prev_emotional"] and t["code"] == "giving_information":
            reasons.append("information right after the client spoke about feelings")
        if t["prev_emotional"] and t["empathy_total"] == 0:
            reasons.append("no sign of empathy (no emotional reaction, interpretation or exploration)")
        if reasons:
            candidates.append((-len(reasons), t["seq"], t, reasons))
    candidates.sort(key=lambda c: (c[0], c[1]))
    return [{"turn": t, "reasons": reasons} for _, _, t, reasons in candidates[:limit]]


def turns_for(session):
    """Every message of SESSION in order, each trainee turn with its skill score.

    A message not scored yet (stored before feedback was installed, or its scoring task still
    queued) is scored here and not stored, so the page shows it all the same without writing;
    the task stores the same score later.
    """
    scores = {s.seq: s for s in MessageScore.objects.filter(session=session)}
    turns, prev_client, earlier_trainee = [], "", ""
    for m in session.messages.order_by("seq"):
        turn = {"seq": m.seq, "role": m.role, "text": m.text, "created_at": m.created_at}
        if m.role == Message.TRAINEE:
            s = scores.get(m.seq) or unsaved_score(m, prev_client, earlier_trainee)
            turn.update({field: getattr(s, field) for field in SCORE_FIELDS})
            turn.update(
                prev_client=prev_client,
                prev_emotional=is_emotional(prev_client),
                empathy_items=[(EMPATHY_LABELS[k], v, LEVEL_LABELS[v]) for k, v in s.empathy.items()],
                client_state=m.client_state,
            )
            earlier_trainee = m.text
        else:
            prev_client = m.text
        turns.append(turn)
    return turns


def client_states(card, turns):
    """[(seq, state)] after each trainee turn: the state the live path stored, else the one before
    moved on by the turn's score. clientstate.session_states folds the same way but reads stored
    scores only, and TURNS may carry scores computed for this page."""
    state, states = clientstate.initial_state(card), []
    for t in turns:
        if t["role"] != Message.TRAINEE:
            continue
        scored = clientstate.Turn(t["seq"], t["text"], t["code"], t["main"], t["empathy"], t["asked_permission"])
        state = t["client_state"] or clientstate.step(card, state, scored)
        states.append((t["seq"], state))
    return states


def opened_up(card, states):
    """When the client began to talk about what they kept back, from the client's state after each
    trainee message (simulator.clientstate): STATES is [(seq, state)] in order.

    {"kept_back": how many the card has, "moments": one per disclosure unlocked, "trajectory":
    [(seq, openness, distress)]}, or None for a card without machine-readable disclosures.
    """
    items = {d["id"]: d for d in clientstate.disclosures(card)}
    if not items:
        return None
    moments = []
    for seq, state in states:
        for ident in state.get("newly_unlocked") or []:
            item = items.get(ident)
            if item is None:
                continue
            # The keywords, quoted: they are the client's own words ("Kasia", "university").
            about = " and ".join(f"\u201c{k}\u201d" for k in item.get("keywords", [])[:2]) or ident
            code = state.get("code") or ""
            after = f"your {CODE_LABELS[code].lower()} at message {seq}" if code in CODE_LABELS and code != "other" else f"your message {seq}"
            moments.append({
                "id": ident, "seq": seq, "code": code, "about": about, "says": item.get("says", ""),
                "sentence": f"The client began to talk about {about} after {after}.",
            })
    trajectory = [(seq, state["openness"], state["distress"]) for seq, state in states]
    return {"kept_back": len(items), "moments": moments, "trajectory": trajectory}


def build_report(session, with_suggestions=True):
    turns = turns_for(session)
    summary = summarise(turns)
    weak = weak_moments(turns)
    if with_suggestions:
        for moment in weak:
            moment["suggestions"] = suggestions.similar(moment["turn"]["prev_client"], k=2)
    crisis = checklist.crisis_checklist(turns) if checklist.is_crisis_session(session) else None
    card = session.scenario_version.card
    states = client_states(card, turns)
    opening = opened_up(card, states)
    return {"turns": turns, "summary": summary, "profile": ei_profile(turns, summary), "weak": weak, "crisis": crisis,
            "opened_up": opening, "states": states}


def history(trainee, sessions):
    """One row per session (oldest first) with its key numbers, for the history page and chart."""
    return [{"session": session, "summary": summarise(turns_for(session))} for session in sessions]
