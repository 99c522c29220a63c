"""Fetch-and-authorise for feedback pages: the same people who may see a session may see its
feedback (simulator.access), and the same who may see a trainee may see their history."""

from accounts.access import access_person
from simulator.access import access_own_session, access_session


def access_report(user, session_id):
    """The session if `user` may see it (its trainee, their supervisors, admins); 404 otherwise."""
    return access_session(user, session_id)


def access_history(viewer, user_id):
    """The trainee if `viewer` is them, supervises them, or is an admin; 404 otherwise."""
    return access_person(viewer, user_id)


def access_live_tags(user, session_id):
    """The session if `user` is its trainee (live tags are shown only to them); 404 otherwise."""
    return access_own_session(user, session_id)
