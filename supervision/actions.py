"""Every write to reviews, annotations and recordings that a view, admin page, task or command may ask for.

Each do_* checks permission, writes, and writes the audit row (REVIEW_CHANGED, RECORDINGS_PURGED)
in the same transaction; anything sent to people (e-mail) goes after commit.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.actions import do_audit, do_issue_certification
from accounts.models import AuditEvent, Certification
from feedback.objectives import OVERRIDE_VERDICTS
from simulator.actions import do_purge_sessions
from simulator.models import Message, Session, SessionEvent
from supervision.access import can_review
from supervision.models import Annotation, ObjectiveOverride, Review, clean_tags

log = logging.getLogger(__name__)
MAX_COMMENT_CHARS = 4000


def _require_reviewer(actor, session):
    if actor is None or not can_review(actor, session):
        raise PermissionDenied("Only the trainee's supervisors and admins can review this session.")


def _audit(actor, session, action, request=None, **details):
    do_audit(AuditEvent.REVIEW_CHANGED, actor, session.trainee, session, {"action": action, **details}, request)


def _refuse_if_signed_off(review):
    if review.is_signed_off:
        raise ValidationError("This review is signed off and can no longer change.")


def do_annotate(actor, session, seq, comment, tags=(), request=None):
    """Attach a comment and tags to message `seq` of `session`."""
    _require_reviewer(actor, session)
    comment = (comment or "").strip()
    tags = clean_tags(tags)
    if not comment and not tags:
        raise ValidationError("Write a comment or choose a tag.")
    if len(comment) > MAX_COMMENT_CHARS:
        raise ValidationError(f"Keep an annotation under {MAX_COMMENT_CHARS} characters.")
    message = session.messages.filter(seq=seq).first()
    if message is None:
        raise ValidationError("There is no such message in this session.")
    with transaction.atomic():
        _refuse_if_signed_off(Review.locked_for(session))
        annotation = Annotation.objects.create(
            session=session, message=message, author=actor, author_label=actor.label, comment=comment, tags=tags
        )
        _audit(actor, session, "annotation_added", request, annotation=annotation.pk, seq=seq, tags=tags)
    return annotation


def do_delete_annotation(actor, annotation, request=None):
    """Remove an annotation: its author, or an admin."""
    session = annotation.session
    _require_reviewer(actor, session)
    if annotation.author_id != actor.pk and not actor.has_role("admin"):
        raise PermissionDenied("Only its author or an admin can remove an annotation.")
    with transaction.atomic():
        _refuse_if_signed_off(Review.locked_for(session))
        details = {"annotation": annotation.pk, "seq": annotation.message.seq, "tags": annotation.tags}
        annotation.delete()
        _audit(actor, session, "annotation_deleted", request, **details)


def do_save_review(actor, session, rubric, scores, overall_comment="", request=None):
    """Save rubric scores ({item id: 1..5 or None}) and the overall comment of a draft review."""
    _require_reviewer(actor, session)
    if rubric is None:
        raise ValidationError("Choose a rubric.")
    overall_comment = (overall_comment or "").strip()
    if len(overall_comment) > MAX_COMMENT_CHARS:
        raise ValidationError(f"Keep the overall comment under {MAX_COMMENT_CHARS} characters.")
    with transaction.atomic():
        review = Review.locked_for(session)
        _refuse_if_signed_off(review)
        if review.rubric_id != rubric.pk and not rubric.is_active:
            raise ValidationError("That rubric is retired; choose another.")
        review.set_scores(actor, rubric, scores, overall_comment)
        _audit(
            actor,
            session,
            "scores_saved",
            request,
            rubric=rubric.name,
            scores={str(k): v for k, v in review.score_map().items()},
        )
    return review


def do_release_review(actor, session, request=None):
    """Let the trainee see the annotations and scores; tells them by e-mail once it is committed."""
    _require_reviewer(actor, session)
    with transaction.atomic():
        review = Review.locked_for(session)
        if not review.release(actor):
            return review
        _audit(actor, session, "released", request)
    trainee = session.trainee
    link = reverse("review_replay", args=[session.pk])
    link = request.build_absolute_uri(link) if request is not None else link
    transaction.on_commit(lambda: _mail_trainee(trainee, session, link))
    return review


def _mail_trainee(trainee, session, link):
    try:
        # No clinical content in the mail: only that there is something to read, and where.
        send_mail(
            "[Pixel] Your supervisor's review is ready",
            f"Your supervisor has released their review of your session “{session.scenario.title}” "
            f"({session.started_at:%d %b %Y}).\n\nRead it here: {link}\n",
            None,
            [trainee.email],
        )
    except Exception:
        log.exception("could not e-mail %s about the review of session %s", trainee.pk, session.pk)


def do_retract_review(actor, session, request=None):
    """Hide a released review from the trainee again (e.g. released by mistake)."""
    _require_reviewer(actor, session)
    with transaction.atomic():
        review = Review.locked_for(session)
        if review.retract():
            _audit(actor, session, "retracted", request)
    return review


def do_sign_off_review(actor, session, recommendation, certification_kind="", note="", request=None):
    """Sign the review off (freezing it) with a recommendation; 'issue' certifies the trainee now.

    The certification goes through accounts.actions.do_issue_certification, in the same
    transaction: if the sign-off fails, no certification is left behind, and the other way round.
    """
    _require_reviewer(actor, session)
    if recommendation not in dict(Review.RECOMMENDATION_CHOICES):
        raise ValidationError("Choose a recommendation.")
    if recommendation != Review.NONE and certification_kind not in dict(Certification.KIND_CHOICES):
        raise ValidationError("Name the certification you recommend or issue.")
    if recommendation == Review.NONE:
        certification_kind = ""
    with transaction.atomic():
        review = Review.locked_for(session)
        _refuse_if_signed_off(review)
        if review.rubric_id is None or any(score is None for _, score in review.scored_items()):
            raise ValidationError("Score every item of the rubric before signing off.")
        certification = None
        if recommendation == Review.ISSUE:
            certification = do_issue_certification(
                actor,
                session.trainee,
                certification_kind,
                note=(note or f"Issued on signing off the review of session {session.pk}.").strip(),
                request=request,
            )
        review.sign_off(actor, recommendation, certification_kind, certification)
        _audit(
            actor,
            session,
            "signed_off",
            request,
            recommendation=recommendation,
            certification_kind=certification_kind or None,
            certification=certification.pk if certification else None,
        )
    return review


def objective_ids(session):
    """The ids of the objectives of the scenario version SESSION ran (plain-text ones have none)."""
    return [o["id"] for o in session.scenario_version.card.get("learning_objectives") or [] if isinstance(o, dict) and o.get("id")]


def do_override_objective(actor, session, objective_id, verdict, note, request=None):
    """Record a reviewer's verdict on one learning objective, with a note saying why.

    Append-only (the latest row wins, the earlier stay as history) and, like the rest of the
    review, refused once the review is signed off. Bad input stores nothing.
    """
    _require_reviewer(actor, session)
    note = (note or "").strip()
    if objective_id not in objective_ids(session):
        raise ValidationError("This scenario has no such learning objective.")
    if verdict not in OVERRIDE_VERDICTS:
        raise ValidationError("Choose met, partly met or not met.")
    if not note:
        raise ValidationError("Write a note saying why you changed the verdict.")
    if len(note) > MAX_COMMENT_CHARS:
        raise ValidationError(f"Keep the note under {MAX_COMMENT_CHARS} characters.")
    with transaction.atomic():
        _refuse_if_signed_off(Review.locked_for(session))
        row = ObjectiveOverride.objects.create(
            session=session, objective_id=objective_id, verdict=verdict, note=note, by=actor, by_label=actor.label
        )
        details = {"objective": objective_id, "verdict": verdict, "override": row.pk}
        do_audit(AuditEvent.OBJECTIVE_OVERRIDDEN, actor, session.trainee, session, details, request)
    return row


# --- Retention -----------------------------------------------------------------------------------

def retention_days():
    return int(getattr(settings, "PIXEL_RETENTION_DAYS", 365))


def purgeable_sessions(days=None, now=None):
    """Sessions whose last activity (and end, if ended) is older than the retention period."""
    days = retention_days() if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return Session.objects.filter(last_activity_at__lt=cutoff).exclude(ended_at__gte=cutoff).order_by(
        "started_at"
    ), cutoff


def do_purge_recordings(days=None, dry_run=False, actor=None, now=None, progress=None):
    """Delete recordings older than `days` (PIXEL_RETENTION_DAYS): sessions with their messages,
    events, annotations and reviews. Certifications issued at sign-off stay.

    Works in batches, each its own transaction with its own RECORDINGS_PURGED row naming the
    sessions, so a purge interrupted half-way has audited exactly what it deleted, and running it
    again carries on. Returns {"sessions", "messages", "events", "session_ids", "cutoff"}.
    """
    if actor is not None and not actor.has_role("admin"):
        raise PermissionDenied("Only an admin may purge recordings.")
    days = retention_days() if days is None else days
    if days < 1:
        raise ValidationError("The retention period must be at least one day.")
    sessions, cutoff = purgeable_sessions(days, now)
    result = {"sessions": 0, "messages": 0, "events": 0, "session_ids": [], "cutoff": cutoff.isoformat()}
    if dry_run:
        ids = [str(pk) for pk in sessions.values_list("pk", flat=True)]
        result.update(sessions=len(ids), session_ids=ids)
        result["messages"] = Message.objects.filter(session__in=sessions).count()
        result["events"] = SessionEvent.objects.filter(session__in=sessions).count()
        return result
    # Deleting sessions is the simulator's to do; this app decides what is old enough, and who may.
    purged = do_purge_sessions(
        sessions, actor, {"retention_days": days, "cutoff": cutoff},
        progress=None if progress is None else (lambda done: progress({**done, "cutoff": result["cutoff"]})),
    )
    result.update(purged)
    return result
