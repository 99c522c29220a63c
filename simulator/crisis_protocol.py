"""The crisis protocol: what Pixel does with the detector's verdict on each stored message.

The detector, its levels and the reply filter are modelserve/crisis/; this module acts: a client
message at PIXEL_CRISIS_CLIENT_FLAG_LEVEL or above is flagged to the supervisors; a trainee's own
words (a real person) at PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL get support resources and an alert,
and at PIXEL_CRISIS_TRAINEE_PAUSE_LEVEL the session is paused through the same action a supervisor
uses (simulator.actions.do_pause_session, with the system as actor: PAUSED event recorded, the
reply in flight stopped) and the supervisors are e-mailed. docs/crisis.md has the whole protocol;
`policy()` returns the settings for the staff page.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.actions import do_audit
from accounts.models import ROLE_ADMIN, AuditEvent, User
from modelserve.crisis import check
from modelserve.crisis.levels import LEVELS, MEANINGS, at_least
from simulator import actions
from simulator.events import cohort_supervisors_group, emit
from simulator.models import Message

log = logging.getLogger(__name__)
PAUSE_REASON = "paused so your supervisor can check in"
# The dashboard group of trainees in no cohort (cohort.none.supervisors): every admin's joins it.
NO_COHORT = "none"
SWEEP_BATCH = 500
# A sweeper's claim on one message; longer than any single check takes.
SWEEP_CLAIM_SECONDS = 300
# Shown on the policy page beside the client flag level: why its default is where it is. The
# figures are docs/crisis.md's ("The client flag level"), measured on sets no model was fitted on.
CLIENT_FLAG_DEFAULT_REASON = (
    "At moderate (active thoughts of suicide or self-harm, and everything above) the detector's false alarms, "
    "measured on ordinary talk no model learnt from, are 0.4% of everyday-stress messages, none of the held-out "
    "word-trap prompts and 0.3% of real counselling clients' turns. At low they are 1.6%, 1.7% and 4.1% of the "
    "clients' turns: a flag every few dozen client messages, which teaches supervisors to ignore flags. Messages "
    "at low are still "
    "graded, stored and shown in the recording."
)


def policy():
    """What happens at which level: the one place an admin reads the protocol."""
    return {
        "client_flag_level": settings.PIXEL_CRISIS_CLIENT_FLAG_LEVEL,
        "trainee_support_level": settings.PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL,
        "trainee_pause_level": settings.PIXEL_CRISIS_TRAINEE_PAUSE_LEVEL,
        "support_message": settings.PIXEL_SUPPORT_MESSAGE,
        "support_resources": [{"name": n, "contact": c} for n, c in settings.PIXEL_SUPPORT_RESOURCES],
        "meanings": [(level, MEANINGS[level]) for level in LEVELS],
        "client_flag_default": settings.PIXEL_CRISIS_CLIENT_FLAG_DEFAULT,
        "client_flag_default_reason": CLIENT_FLAG_DEFAULT_REASON,
    }


def supervisor_groups(session):
    """Channel groups of everyone who must hear about this session's flags (never the trainee).

    A trainee in no cohort has no supervisor: their alerts go to the admins' dashboards
    (NO_COHORT's group, which supervision.live has every admin's dashboard join), rather than to nobody.
    """
    cohort_ids = list(session.trainee.cohorts.values_list("pk", flat=True)) or [NO_COHORT]
    return [cohort_supervisors_group(cohort_id) for cohort_id in cohort_ids] + [session.observers_group]


def supervisor_emails(session):
    """Who is e-mailed about this trainee: their active supervisors, or, when they have none (no
    cohort, or a cohort nobody active supervises), every active admin, so an urgent mail always
    reaches someone."""
    supervisors = User.objects.filter(supervised_cohorts__trainees=session.trainee, is_active=True)
    emails = sorted(supervisors.values_list("email", flat=True).distinct())
    return emails or admin_emails()


def admin_emails():
    admins = User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(groups__name=ROLE_ADMIN))
    return sorted(admins.values_list("email", flat=True).distinct())


def sweep_unchecked(now=None):
    """Check every stored message still unchecked PIXEL_CRISIS_SWEEP_AFTER_SECONDS after it was
    stored (its queued check was lost: the broker flushed, the task raised, no worker came) and
    escalate as the check would have. Returns the ids checked.

    Safe with several sweepers at once: each message is claimed in the shared cache first, and
    do_check_message's conditional UPDATE escalates once even if two got through.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PIXEL_CRISIS_SWEEP_AFTER_SECONDS)
    lost = Message.objects.filter(crisis_checked_at__isnull=True, created_at__lt=cutoff).order_by("created_at")
    checked = []
    for pk in list(lost.values_list("pk", flat=True)[:SWEEP_BATCH]):
        claim = f"crisis-sweep:{pk}"
        if not cache.add(claim, 1, SWEEP_CLAIM_SECONDS):
            continue
        try:
            log.warning("the crisis check of message %s was lost; checking it now", pk)
            do_check_message(pk)
            checked.append(pk)
        except Exception:  # noqa: BLE001 - one message that fails must not leave the others unchecked
            log.exception("the sweep could not check message %s", pk)
        finally:
            cache.delete(claim)
    return checked


def do_check_message(message_id):
    """Run the detector on a stored message, store the verdict and escalate. Idempotent."""
    message = (
        Message.objects.select_related("session__trainee", "session__scenario_version__scenario")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.crisis_checked_at is not None:
        return message
    result = check(message.text, speaker="trainee" if message.role == Message.TRAINEE else "client")
    with transaction.atomic():
        claimed = Message.objects.filter(pk=message.pk, crisis_checked_at__isnull=True).update(
            crisis=result, crisis_level=result["level"], crisis_checked_at=timezone.now()
        )
        if claimed:
            _escalate(message, result)
    message.refresh_from_db()
    return message


def _escalate(message, result):
    session = message.session
    level = result["level"]
    flag = {
        "session": str(session.pk),
        "trainee": session.trainee.label,
        "scenario": session.scenario.title,
        "seq": message.seq,
        "speaker": message.role,
        "level": level,
        "categories": result.get("categories", []),
        "text": message.text[:500],
    }
    if message.role == Message.CLIENT:
        if not at_least(level, settings.PIXEL_CRISIS_CLIENT_FLAG_LEVEL):
            return
        do_audit(AuditEvent.CRISIS_FLAG, None, session.trainee, session, _audit_details(message, result))
        for group in supervisor_groups(session):
            emit(group, {"type": "crisis.flag", **flag})
        return
    if not at_least(level, settings.PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL):
        return
    pause = at_least(level, settings.PIXEL_CRISIS_TRAINEE_PAUSE_LEVEL)
    action = "pause" if pause else "support"
    do_audit(
        AuditEvent.CRISIS_ESCALATION,
        None,
        session.trainee,
        session,
        {**_audit_details(message, result), "action": action},
    )
    emit(session.group_name, {"type": "support", **{k: v for k, v in policy().items() if k.startswith("support_")}})
    for group in supervisor_groups(session):
        emit(group, {"type": "crisis.alert", "action": action, **flag})
    if pause and _pause(session):
        recipients = supervisor_emails(session)
        if recipients:
            transaction.on_commit(lambda: _mail_supervisors(recipients, session, flag))


def _pause(session):
    """Pause through the supervisors' own action, the system acting; False if it was not live."""
    try:
        actions.do_pause_session(None, session, reason=PAUSE_REASON)
    except actions.SimulatorError:
        return False  # already paused, or ended: nothing to stop
    return True


def _audit_details(message, result):
    return {
        "seq": message.seq,
        "speaker": message.role,
        "level": result["level"],
        "categories": result.get("categories", []),
    }


def _mail_supervisors(recipients, session, flag):
    try:
        send_mail(
            f"[Pixel] Urgent: {flag['trainee']} may need support now",
            f"A message {flag['trainee']} wrote in a practice session was assessed as {flag['level']} risk "
            f"({', '.join(flag['categories']) or 'no category'}). The session is paused.\n\n"
            f"Please check in with them now. Session: {session.pk}\n",
            None,
            recipients,
        )
    except Exception:  # the dashboard alert has gone out; a mail outage must not hide it
        log.exception("could not e-mail supervisors about session %s", session.pk)
