"""Fetch a session and check the person may see it, in one call."""

from django.http import Http404

from accounts.models import ROLE_ADMIN, ROLE_SUPERVISOR
from simulator.models import Session


def can_view_session(user, session):
    if not user.is_authenticated:
        return False
    if session.trainee_id == user.pk or user.has_role(ROLE_ADMIN):
        return True
    return user.has_role(ROLE_SUPERVISOR) and session.trainee_id in user.supervised_trainee_ids()


def can_supervise(user, session):
    """Supervisors of the trainee's cohorts and admins may observe and intervene."""
    if not user.is_authenticated:
        return False
    if user.has_role(ROLE_ADMIN):
        return True
    return user.has_role(ROLE_SUPERVISOR) and session.trainee_id in user.supervised_trainee_ids()


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
