"""Every write to accounts that a view, consumer, admin page or command may ask for.

Each do_* checks permission, writes, and writes the audit row in the same transaction, so an
action that fails leaves neither the change nor a claim that it happened.
"""

import secrets

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    ROLE_ADMIN,
    ROLES,
    AuditEvent,
    Certification,
    Cohort,
    Invitation,
    User,
    hash_token,
)


def client_ip(request):
    """The client's address as allauth's rate limits see it, so the audit row and the limit agree.

    Behind PIXEL_TRUSTED_PROXY_COUNT proxies (ALLAUTH_TRUSTED_PROXY_COUNT) it is that many entries
    from the right of X-Forwarded-For: the entries to their left are whatever the client sent, so a
    forged header moves neither the limit nor the audit row. With no trusted proxy the header is
    ignored and the socket's address counts.
    """
    if request is None:
        return None
    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        # Fewer forwarded entries than trusted proxies: the request did not come through them.
        return request.META.get("REMOTE_ADDR") or None


def do_audit(event_type, actor=None, target_user=None, obj=None, details=None, request=None, ip=None):
    """Append an audit row. Other apps call this for their own events (e.g. clinical views)."""
    return AuditEvent.append(
        event_type, actor=actor, target_user=target_user, obj=obj, details=details, ip=ip or client_ip(request)
    )


def _require_admin(actor):
    if actor is None or not actor.has_role(ROLE_ADMIN):
        raise PermissionDenied("Only an admin may do this.")


def can_certify(actor, user):
    """Admins certify anyone; a supervisor certifies the trainees of their own cohorts."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.has_role(ROLE_ADMIN):
        return True
    return actor.has_role("supervisor") and user.pk in actor.supervised_trainee_ids()


def do_ensure_service_user(email, full_name, via):
    """The account a program acts as (a scripted trainee): created once, with no password anyone
    can sign in with, and audited like any other new account."""
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, None, full_name=full_name)
            do_audit(AuditEvent.USER_CREATED, None, user, user, {"via": via, "service": True})
    return user


def do_set_role(actor, user, role, request=None):
    _require_admin(actor)
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    with transaction.atomic():
        old = user.role
        user.set_role(role)
        do_audit(AuditEvent.ROLE_CHANGED, actor, user, user, {"from": old, "to": role}, request)
    return user


def do_issue_certification(actor, user, kind, valid_from=None, valid_until=None, note="", request=None):
    if not can_certify(actor, user):
        raise PermissionDenied("You may not certify this person.")
    if kind not in dict(Certification.KIND_CHOICES):
        raise ValidationError(f"Unknown certification kind {kind!r}.")
    valid_from = valid_from or timezone.now()
    if valid_until is not None and valid_until <= valid_from:
        raise ValidationError("A certification must end after it starts.")
    with transaction.atomic():
        cert = Certification.objects.create(
            user=user, kind=kind, issued_by=actor, valid_from=valid_from, valid_until=valid_until, note=note
        )
        do_audit(
            AuditEvent.CERT_ISSUED,
            actor,
            user,
            cert,
            {"kind": kind, "valid_from": valid_from, "valid_until": valid_until},
            request,
        )
    return cert


def do_revoke_certification(actor, cert, reason, request=None):
    if not can_certify(actor, cert.user):
        raise PermissionDenied("You may not revoke this certification.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the certification is revoked.")
    with transaction.atomic():
        already = cert.revoked_at is not None
        cert.revoke(actor, reason)
        if not already:
            do_audit(AuditEvent.CERT_REVOKED, actor, cert.user, cert, {"kind": cert.kind, "reason": reason}, request)
    return cert


def do_set_cohort_members(actor, cohort, supervisors=None, trainees=None, request=None):
    _require_admin(actor)
    with transaction.atomic():
        changes = {}
        if supervisors is not None:
            cohort.supervisors.set(supervisors)
            changes["supervisors"] = sorted(u.email for u in supervisors)
        if trainees is not None:
            cohort.trainees.set(trainees)
            changes["trainees"] = sorted(u.email for u in trainees)
        do_audit(AuditEvent.COHORT_CHANGED, actor, None, cohort, changes, request)
    return cohort


def do_admin_delete(actor, objects, request=None):
    """Delete OBJECTS (model instances) from the admin, one chained audit row each, all or none.

    The row keeps what the object was (its model, id and name), since the object itself is gone.
    """
    _require_admin(actor)
    with transaction.atomic():
        for obj in objects:
            target = obj if isinstance(obj, User) else getattr(obj, "user", None)
            details = {"model": obj._meta.label_lower, "id": str(obj.pk), "name": str(obj)[:300]}
            do_audit(AuditEvent.ADMIN_DELETED, actor, target if isinstance(target, User) else None, obj, details, request)
            obj.delete()


def do_create_invitation(actor, email, role, cohort=None, request=None):
    """Create an invitation and e-mail its one-time link. Returns (invitation, absolute link)."""
    _require_admin(actor)
    email = (email or "").strip().lower()
    if not email:
        raise ValidationError("Enter an e-mail address.")
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}.")
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"{email} already has an account.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            cohort=cohort,
            token_hash=hash_token(token),
            created_by=actor,
            expires_at=Invitation.default_expiry(),
        )
        do_audit(AuditEvent.INVITATION_SENT, actor, None, invitation, {"email": email, "role": role}, request)
    path = reverse("accept_invitation", args=[token])
    link = request.build_absolute_uri(path) if request is not None else path
    hours = settings.PIXEL_INVITATION_HOURS
    transaction.on_commit(
        lambda: send_mail(
            "[Pixel] You are invited to Pixel",
            f"{actor} has invited you to Pixel as a {role}.\n\n"
            f"Set your password here (the link works once, for {hours} hours):\n{link}\n",
            None,
            [email],
        )
    )
    return invitation, link


def find_invitation(token):
    """The invitation for a link's token if it can still be used, else None."""
    invitation = Invitation.objects.filter(token_hash=hash_token(token or "")).first()
    if invitation is None or not invitation.is_usable():
        return None
    return invitation


def do_accept_invitation(token, password, full_name="", request=None):
    """Create the invited person's account. Raises ValidationError if the link is spent."""
    invitation = find_invitation(token)
    if invitation is None:
        raise ValidationError("This invitation link has expired or has already been used.")
    with transaction.atomic():
        if not invitation.claim():
            raise ValidationError("This invitation link has expired or has already been used.")
        user = User.objects.create_user(invitation.email, password, full_name=full_name.strip())
        user.set_role(invitation.role)
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        if invitation.cohort is not None:
            if invitation.role == "supervisor":
                invitation.cohort.supervisors.add(user)
            elif invitation.role == "trainee":
                invitation.cohort.trainees.add(user)
        Invitation.objects.filter(pk=invitation.pk).update(accepted_user=user)
        do_audit(AuditEvent.USER_CREATED, user, user, user, {"role": invitation.role, "via": "invitation"}, request)
        do_audit(AuditEvent.INVITATION_ACCEPTED, user, user, invitation, {"email": user.email}, request)
    return user


def do_seed_demo_people():
    """The demo trainee, supervisor and admin, their cohort and the trainee's certifications; safe to
    run twice. Returns {role: user}. Demo mode only (accounts.demo: the passwords are public)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.demo import DEMO_COHORT, DEMO_PEOPLE, require_demo_mode

    require_demo_mode()
    people = {}
    with transaction.atomic():
        for email, name, role, password, secret in DEMO_PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, password, full_name=name)
                do_audit(AuditEvent.USER_CREATED, None, user, user, {"role": role, "via": "seed_demo"})
            if user.role != role:
                user.set_role(role)
                do_audit(AuditEvent.ROLE_CHANGED, None, user, user, {"to": role, "via": "seed_demo"})
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            if secret and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, secret)
            people[role] = user
        cohort, _ = Cohort.objects.get_or_create(name=DEMO_COHORT)
        if not cohort.trainees.filter(pk=people["trainee"].pk).exists() or not cohort.supervisors.exists():
            do_set_cohort_members(people["admin"], cohort, [people["supervisor"]], [people["trainee"]])
        for kind, _label in Certification.KIND_CHOICES:
            if people["trainee"].valid_certification(kind) is None:
                do_issue_certification(people["admin"], people["trainee"], kind, note="Demo certification")
    return people

