"""Who may see and review which recordings, as fetch-and-authorise helpers.

Supervisors see the sessions of their cohorts' trainees, a trainee their own sessions, admins all.
Anything else is a 404, so nobody learns which sessions exist.
"""

from django.http import Http404

from accounts.models import ROLE_ADMIN, ROLE_SUPERVISOR
from simulator.access import access_session, access_supervised_session, can_supervise
from simulator.models import Session
from supervision.models import Annotation, ObjectiveOverride, Review

# The trainee never sees what the crisis detector said about their messages (docs/crisis.md).
STAFF_ONLY_EVENT_KINDS = {"crisis_flag", "crisis_escalation"}


def can_review(user, session):
    """Annotate, score, release and sign off: the trainee's supervisors and admins."""
    return can_supervise(user, session)


def visible_sessions(user):
    """The sessions `user` may open in review: admins all, supervisors their cohorts', trainees their own."""
    sessions = Session.objects.select_related("trainee", "scenario_version__scenario")
    if not user.is_authenticated:
        return sessions.none()
    if user.has_role(ROLE_ADMIN):
        return sessions
    if user.has_role(ROLE_SUPERVISOR):
        return sessions.filter(trainee_id__in=user.supervised_trainee_ids())
    return sessions.filter(trainee=user)


def reviewable_sessions(user):
    """Sessions `user` may review (not their own as a trainee)."""
    if user.is_authenticated and user.has_role(ROLE_ADMIN, ROLE_SUPERVISOR):
        return visible_sessions(user)
    return Session.objects.none()


def access_recording(user, session_id):
    """The session if `user` may replay it (its trainee, their supervisors, admins); 404 otherwise."""
    return access_session(user, session_id)


def access_reviewable_session(user, session_id):
    """The session if `user` may review and export it; 404 otherwise (the trainee included)."""
    return access_supervised_session(user, session_id)


def access_annotation(user, annotation_id):
    """The annotation if `user` may change it: a reviewer of its session; 404 otherwise."""
    try:
        annotation = Annotation.objects.select_related("session", "message").get(pk=annotation_id)
    except (Annotation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such annotation") from None
    if not can_review(user, annotation.session):
        raise Http404("No such annotation")
    return annotation


def review_for(user, session):
    """The session's review as `user` may see it: always for reviewers, released only for the trainee."""
    review = Review.objects.filter(session=session).select_related("rubric", "signed_off_by", "released_by").first()
    if review is None:
        return None
    if can_review(user, session) or review.is_released:
        return review
    return None


def annotations_for(user, session):
    """The annotations `user` may read: all for reviewers; for the trainee only once released."""
    annotations = Annotation.objects.filter(session=session).select_related("message", "author")
    if can_review(user, session):
        return annotations
    if Review.objects.filter(session=session, released_at__isnull=False).exists():
        return annotations
    return annotations.none()


def objective_overrides_for(user, session):
    """{objective id: latest override as a dict, with "history" (the earlier ones, newest first)}
    as `user` may see them: always for reviewers; for the trainee once the review is released, as
    with annotations (feedback.objectives reads this through its registered hook)."""
    if not can_review(user, session) and not Review.objects.filter(session=session, released_at__isnull=False).exists():
        return {}
    out = {}
    rows = ObjectiveOverride.objects.filter(session=session).select_related("by").order_by("-created_at", "-pk")
    for row in rows:
        if row.objective_id in out:
            out[row.objective_id]["history"].append(row.as_dict())
        else:
            out[row.objective_id] = {**row.as_dict(), "history": []}
    return out
