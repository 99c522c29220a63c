"""Every write the feedback app makes: scoring a trainee message.

Scoring is done by the system, not a person, so it writes no audit row; reading the scores does
(views.py, CLINICAL_VIEW).
"""

import logging

from django.db import IntegrityError, transaction

from feedback import scoring
from feedback.models import MessageScore
from simulator.events import emit
from simulator.models import Message

log = logging.getLogger(__name__)


def live_feedback_on(trainee):
    """Any of the trainee's cohorts showing live feedback turns it on for them."""
    return trainee.cohorts.filter(show_live_feedback=True).exists()


def unsaved_score(message, prev_client, earlier_trainee):
    """The MessageScore the models give trainee MESSAGE, not saved: do_score_message stores it, and
    a report computes it for a message not scored yet, since reading must not write."""
    result = scoring.score(message.text, prev_client, earlier_trainee)
    return MessageScore(
        message=message,
        session_id=message.session_id,
        seq=message.seq,
        main=result["main"],
        code=result["code"],
        confidence=result["confidence"],
        asked_permission=result["asked_permission"],
        **result["empathy"],
    )


def do_score_message(message_id):
    """Score one stored trainee message once; return its MessageScore (None for other messages).

    Idempotent: a message already scored returns the stored row and nothing is sent again. Two
    workers racing on one message both compute, but the one-to-one lets only one row in.
    """
    message = Message.objects.select_related("session__trainee").filter(pk=message_id).first()
    if message is None or message.role != Message.TRAINEE:
        return None
    existing = MessageScore.objects.filter(message=message).first()
    if existing is not None:
        return existing
    before = message.session.messages.filter(seq__lt=message.seq).order_by("-seq")
    prev_client = before.filter(role=Message.CLIENT).values_list("text", flat=True).first() or ""
    earlier_trainee = before.filter(role=Message.TRAINEE).values_list("text", flat=True).first() or ""
    row = unsaved_score(message, prev_client, earlier_trainee)
    session = message.session
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            # Observers always see the tags (a supervisor needs them whatever the cohort shows its
            # trainees). They listen on both groups, so the event goes to exactly one of them: the
            # trainee's when their cohort has live feedback on, else the observers' alone.
            live = live_feedback_on(session.trainee)
            emit(session.group_name if live else session.observers_group, row.as_event())
    except IntegrityError:
        return MessageScore.objects.get(message=message)
    return row


def do_score_session(session):
    """Store the scores of any trainee message of SESSION not scored yet (messages stored before
    feedback was installed, or whose task is still queued); returns how many were scored now.
    Pages never call it: they compute what is missing without storing it (report.turns_for)."""
    missing = session.messages.filter(role=Message.TRAINEE, skill_score__isnull=True).values_list("pk", flat=True)
    return sum(do_score_message(pk) is not None for pk in list(missing))
