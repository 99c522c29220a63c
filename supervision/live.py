"""What the live dashboard shows: the open sessions a supervisor may watch, most urgent first."""

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import Cohort
from modelserve.crisis.levels import LEVELS, at_least
from simulator.crisis_protocol import NO_COHORT
from simulator.models import Session


def supervised_cohort_ids(user):
    """The cohorts whose dashboard groups the user's dashboard joins. Admins: every cohort and
    NO_COHORT, the trainees in no cohort, whom no supervisor watches (their alerts go to admins)."""
    if user.has_role("admin"):
        return [*Cohort.objects.values_list("pk", flat=True), NO_COHORT]
    return list(user.supervised_cohorts.values_list("pk", flat=True))


def live_sessions(user):
    """Open sessions of the user's cohorts' trainees (admins: and of trainees in no cohort), each
    with its worst crisis flag."""
    cohort_ids = supervised_cohort_ids(user)
    visible = Q(trainee__cohorts__in=[pk for pk in cohort_ids if pk != NO_COHORT])
    if NO_COHORT in cohort_ids:
        visible |= Q(trainee__cohorts__isnull=True)
    sessions = (
        Session.objects.filter(visible, status__in=Session.OPEN_STATUSES)
        .distinct()
        .select_related("trainee", "scenario_version__scenario", "takeover_by")
        .annotate(
            flags=Count("messages", filter=Q(messages__crisis_level__in=LEVELS[1:])),
            last_message_at=Max("messages__created_at"),
        )
    )
    now = timezone.now()
    rows = []
    for session in sessions:
        levels = set(session.messages.exclude(crisis_level__in=["", "none"]).values_list("crisis_level", flat=True))
        worst = max(levels, key=LEVELS.index) if levels else "none"
        rows.append(
            {
                "session": session,
                "worst_level": worst,
                "flags": session.flags,
                "duration": now - session.started_at,
                "last_activity": session.last_message_at or session.started_at,
            }
        )
    rows.sort(key=lambda r: (-LEVELS.index(r["worst_level"]), -r["last_activity"].timestamp()))
    return rows


def flag_of(message):
    """What the observe page lists for MESSAGE among its flags, or None: a client's message at or
    over the client flag level, a trainee's at or over the support level; the same messages the
    crisis protocol announces live (simulator/crisis_protocol.py), so a reload loses none and adds
    none. Lower marks (a 'low') stay on the message itself, muted."""
    threshold = {
        "client": settings.PIXEL_CRISIS_CLIENT_FLAG_LEVEL,
        "trainee": settings.PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL,
    }.get(message.role)
    level = message.crisis_level or "none"
    if threshold is None or level == "none" or not at_least(level, threshold):
        return None
    return {
        "seq": message.seq,
        "level": level,
        "speaker": message.role,
        "categories": (message.crisis or {}).get("categories", []),
    }


def scenario_card(card):
    """The parts of a scenario version's card a supervisor reads beside the transcript. Learning
    objectives may be plain strings or objects with a "text" (both shapes are in use)."""
    persona = card.get("persona", {})
    objectives = [o.get("text", "") if isinstance(o, dict) else str(o) for o in card.get("learning_objectives", [])]
    disclosures = [
        {
            "id": d.get("id", ""),
            "says": d.get("says", ""),
            "min_openness": d.get("unlock", {}).get("min_openness"),
            "topics": d.get("unlock", {}).get("topics", []),
            "feelings": d.get("unlock", {}).get("feelings", []),
        }
        for d in persona.get("disclosures", [])
    ]
    return {
        "persona": persona,
        "risk": persona.get("risk_profile", {}),
        "objectives": [o for o in objectives if o],
        "disclosures": disclosures,
    }
