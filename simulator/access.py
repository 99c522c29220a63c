"""Fetch a session and check the person may see it, in one call."""

from django.http import Http404

from accounts.access import can_supervise_trainee, can_view_trainee
from simulator.models import Session


def can_view_session(user, session):
    return can_view_trainee(user, session.trainee_id)


def can_supervise(user, session):
    """Supervisors of the trainee's cohorts and admins may observe and intervene."""
    return can_supervise_trainee(user, session.trainee_id)


def access_session(user, session_id):
    """The session if `user` may see it (its trainee, their supervisors, admins); 404 otherwise."""
    try:
        session = Session.objects.select_related("scenario_version__scenario", "trainee").get(pk=session_id)
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404("No such session") from None
    if not can_view_session(user, session):
        raise Http404("No such session")
    return session


def access_own_session(user, session_id):
    """The session if `user` is its trainee (the one who may write in it); 404 otherwise."""
    session = access_session(user, session_id)
    if session.trainee_id != user.pk:
        raise Http404("No such session")
    return session


def access_supervised_session(user, session_id):
    """The session if `user` may supervise it; 404 otherwise (the trainee included)."""
    session = access_session(user, session_id)
    if not can_supervise(user, session):
        raise Http404("No such session")
    return session
