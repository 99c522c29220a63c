from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import actions
from accounts.access import access_cohort
from accounts.forms import AcceptInvitationForm, InvitationForm, IssueCertificationForm, RevokeCertificationForm
from accounts.models import ROLE_ADMIN, ROLE_SUPERVISOR, Certification, Cohort, User


def role_required(*roles):
    """Signed-in people with one of `roles`; anyone else signed in gets 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                raise PermissionDenied("Your role may not open this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def certifiable_people(actor):
    """Whom `actor` may certify: everyone for admins, their cohorts' trainees for supervisors."""
    if actor.has_role(ROLE_ADMIN):
        return User.objects.filter(is_active=True)
    return User.objects.filter(pk__in=actor.supervised_trainee_ids(), is_active=True)


@login_required
def home(request):
    user = request.user
    context = {
        "certifications": user.certifications.select_related("issued_by"),
        "cohorts": user.cohorts.all(),
        "supervised": user.supervised_cohorts.all() if user.has_role(ROLE_SUPERVISOR) else Cohort.objects.none(),
        "all_cohorts": Cohort.objects.all() if user.has_role(ROLE_ADMIN) else Cohort.objects.none(),
    }
    return render(request, "accounts/home.html", context)


@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def cohort_detail(request, cohort_id):
    cohort = access_cohort(request.user, cohort_id)
    trainees = cohort.trainees.prefetch_related("certifications")
    return render(request, "accounts/cohort.html", {"cohort": cohort, "trainees": trainees})


@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def certifications(request):
    people = certifiable_people(request.user)
    form = IssueCertificationForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cert = actions.do_issue_certification(
                request.user, data["user"], data["kind"], valid_until=data["valid_until"], note=data["note"], request=request
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"Issued: {cert}.")
            return redirect("certifications")
    certs = Certification.objects.filter(user__in=people).select_related("user", "issued_by", "revoked_by")
    return render(request, "accounts/certifications.html", {"form": form, "certs": certs, "revoke_form": RevokeCertificationForm()})


@require_POST
@role_required(ROLE_SUPERVISOR, ROLE_ADMIN)
def revoke_certification(request, cert_id):
    cert = get_object_or_404(Certification.objects.filter(user__in=certifiable_people(request.user)), pk=cert_id)
    form = RevokeCertificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the certification is revoked.")
    else:
        actions.do_revoke_certification(request.user, cert, form.cleaned_data["reason"], request=request)
        messages.success(request, f"Revoked: {cert}.")
    return redirect("certifications")


@role_required(ROLE_ADMIN)
def invite(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _, link = actions.do_create_invitation(request.user, data["email"], data["role"], data["cohort"], request)
        except ValidationError as e:
            form.add_error("email", e)
        else:
            messages.success(request, f"Invitation sent to {data['email']}. The link works once: {link}")
            return redirect("invite")
    return render(request, "accounts/invite.html", {"form": form})


def accept_invitation(request, token):
    invitation = actions.find_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=410)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_accept_invitation(token, form.cleaned_data["password1"], form.cleaned_data["full_name"], request)
        except ValidationError:
            return render(request, "accounts/invitation_invalid.html", status=410)
        messages.success(request, "Your account is ready. Sign in with your e-mail address and new password.")
        return redirect("account_login")
    return render(request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation})
