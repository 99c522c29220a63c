"""Sign-in, failed sign-in and sign-out are audited whichever page or API caused them."""

from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.actions import do_audit
from accounts.models import AuditEvent


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    do_audit(AuditEvent.LOGIN, user, user, details={}, request=request)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        do_audit(AuditEvent.LOGOUT, user, user, details={}, request=request)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password; keep only the address that was tried.
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    do_audit(AuditEvent.LOGIN_FAILED, details={"email": attempted}, request=request)


@receiver(authenticator_added)
def audit_mfa_added(sender, request, user, authenticator, **kwargs):
    do_audit(AuditEvent.MFA_CHANGED, user, user, details={"added": authenticator.type}, request=request)


@receiver(authenticator_removed)
def audit_mfa_removed(sender, request, user, authenticator, **kwargs):
    do_audit(AuditEvent.MFA_CHANGED, user, user, details={"removed": authenticator.type}, request=request)
