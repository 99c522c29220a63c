"""Fetch-and-authorise helpers, and the certification gate used by views and consumers."""

from functools import wraps

from django.http import Http404
from django.shortcuts import render

from accounts.models import ROLE_ADMIN, ROLE_SUPERVISOR, Certification, Cohort, User


def access_cohort(user, cohort_id):
    """The cohort if `user` may see it (its supervisors and admins); 404 otherwise.

    404 rather than 403 so an outsider cannot learn which cohorts exist.
    """
    queryset = Cohort.objects.all()
    if not user.has_role(ROLE_ADMIN):
        if not user.has_role(ROLE_SUPERVISOR):
            raise Http404("No such cohort")
        queryset = queryset.filter(supervisors=user)
    try:
        return queryset.get(pk=cohort_id)
    except (Cohort.DoesNotExist, ValueError, TypeError):
        raise Http404("No such cohort") from None


def can_supervise_trainee(viewer, trainee_id):
    """Admins, and the supervisors of a cohort the trainee is in: who may observe, intervene and review."""
    if not viewer.is_authenticated:
        return False
    if viewer.has_role(ROLE_ADMIN):
        return True
    return viewer.has_role(ROLE_SUPERVISOR) and trainee_id in viewer.supervised_trainee_ids()


def can_view_trainee(viewer, trainee_id):
    """The trainee themself and whoever supervises them: the one rule for a trainee's person,
    sessions and feedback (simulator.access and feedback.access ask it by the trainee's id)."""
    return viewer.is_authenticated and (viewer.pk == trainee_id or can_supervise_trainee(viewer, trainee_id))


def access_person(viewer, user_id):
    try:
        person = User.objects.get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such person") from None
    if not can_view_trainee(viewer, person.pk):
        raise Http404("No such person")
    return person


def missing_certification(user, kind, at=None):
    """None if `user` holds a valid certification of `kind`, else a message saying what is missing."""
    if user.is_authenticated and user.valid_certification(kind, at) is not None:
        return None
    label = Certification.kind_label(kind)
    return (
        f"This needs a valid “{label}” certification ({kind}), and you do not hold one. "
        "Ask your supervisor or an admin to certify you."
    )


def certification_required(kind):
    """View decorator: refuse (403, with the message) anyone without a valid certification."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            message = missing_certification(request.user, kind)
            if message:
                return render(request, "accounts/certification_missing.html", {"message": message, "kind": kind}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
