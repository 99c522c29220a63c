"""What the live dashboard shows: the open sessions a supervisor may watch, most urgent first."""

from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import Cohort
from modelserve.crisis.levels import LEVELS
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
