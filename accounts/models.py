"""People, their roles and certifications, and the audit trail. See docs/accounts.md."""

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

ROLE_TRAINEE = "trainee"
ROLE_SUPERVISOR = "supervisor"
ROLE_ADMIN = "admin"
ROLES = (ROLE_TRAINEE, ROLE_SUPERVISOR, ROLE_ADMIN)
ROLE_CHOICES = [(ROLE_TRAINEE, "Trainee"), (ROLE_SUPERVISOR, "Supervisor"), (ROLE_ADMIN, "Admin")]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their e-mail address. Their role is one of the role groups."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin (admins only).")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    @property
    def label(self):
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    @property
    def role(self):
        """The person's role; superusers count as admins. None for someone not yet given one."""
        if self.is_superuser:
            return ROLE_ADMIN
        names = {g.name for g in self.groups.all()}
        for role in reversed(ROLES):
            if role in names:
                return role
        return None

    def has_role(self, *roles):
        return self.is_authenticated and self.role in roles

    def set_role(self, role):
        """Make `role` this person's only role. Call through accounts.actions.do_set_role."""
        if role not in ROLES:
            raise ValueError(f"Unknown role {role!r}")
        role_groups = Group.objects.filter(name__in=ROLES)
        self.groups.remove(*role_groups)
        self.groups.add(Group.objects.get_or_create(name=role)[0])
        self.is_staff = role == ROLE_ADMIN
        self.save(update_fields=["is_staff"])

    def valid_certification(self, kind, at=None):
        for cert in self.certifications.filter(kind=kind).order_by("-valid_from"):
            if cert.is_valid(at):
                return cert
        return None

    def supervised_trainee_ids(self):
        """Ids of the trainees in the cohorts this person supervises."""
        return set(
            Cohort.trainees.through.objects.filter(cohort__supervisors=self).values_list("user_id", flat=True)
        )


class Cohort(models.Model):
    """A group of trainees and the supervisors responsible for them."""

    name = models.CharField(max_length=120, unique=True)
    supervisors = models.ManyToManyField(User, related_name="supervised_cohorts", blank=True)
    trainees = models.ManyToManyField(User, related_name="cohorts", blank=True)
    show_live_feedback = models.BooleanField(
        default=False,
        help_text="Show trainees the skill tags of each message during the session (docs/feedback.md). "
        "Helps novices; off by default so experienced trainees are not distracted.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Certification(models.Model):
    """One person's certification of one kind for a period, until revoked.

    `is_valid(at)` is the one truth about whether it counts; nothing else compares the dates.
    """

    SIMULATION = "simulation"
    CRISIS = "crisis"
    KIND_CHOICES = [
        (SIMULATION, "Therapeutic simulation"),
        (CRISIS, "Crisis (high-risk) scenarios"),
    ]

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="Empty: does not expire.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoke_reason = models.TextField(blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["user", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user}"

    @classmethod
    def kind_label(cls, kind):
        return dict(cls.KIND_CHOICES).get(kind, kind)

    def is_valid(self, at=None):
        at = at or timezone.now()
        if at < self.valid_from:
            return False
        if self.valid_until is not None and at >= self.valid_until:
            return False
        if self.revoked_at is not None and at >= self.revoked_at:
            return False
        return True

    def status(self, at=None):
        at = at or timezone.now()
        if self.revoked_at is not None and at >= self.revoked_at:
            return "revoked"
        if at < self.valid_from:
            return "not yet valid"
        if self.valid_until is not None and at >= self.valid_until:
            return "expired"
        return "valid"

    def revoke(self, by, reason):
        """Mark revoked now. Idempotent: a second revoke keeps the first time and reason."""
        with transaction.atomic():
            cert = Certification.objects.select_for_update().get(pk=self.pk)
            if cert.revoked_at is None:
                cert.revoked_at = timezone.now()
                cert.revoked_by = by
                cert.revoke_reason = reason
                cert.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        self.refresh_from_db()


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A one-time link an admin sends so a new person can set their password.

    Only the token's hash is stored: a database leak does not leak usable links.
    """

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    cohort = models.ForeignKey(Cohort, null=True, blank=True, on_delete=models.SET_NULL)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation for {self.email}"

    @staticmethod
    def default_expiry():
        return timezone.now() + timedelta(hours=settings.PIXEL_INVITATION_HOURS)

    def is_usable(self, at=None):
        at = at or timezone.now()
        return self.accepted_at is None and at < self.expires_at

    def claim(self):
        """Mark accepted now, exactly once even if two requests race; True for the winner."""
        now = timezone.now()
        won = Invitation.objects.filter(pk=self.pk, accepted_at__isnull=True, expires_at__gt=now).update(
            accepted_at=now
        )
        return won == 1


# --- Audit trail -------------------------------------------------------------------------------

GENESIS_HASH = "0" * 64


def audit_mac(kind, seq, digest):
    """HMAC-SHA256 of (KIND, SEQ, DIGEST) under PIXEL_AUDIT_KEY, or "" when no key is set.

    The key lives in the environment or a file, never in the database, so someone who can write
    the database can still rewrite rows and recompute the plain SHA-256 chain, but cannot make
    these tags agree (docs/accounts.md, "What the chain proves"). KIND keeps a row's tag, the
    head's and an anchor's apart, so one cannot be replayed as another.
    """
    key = settings.PIXEL_AUDIT_KEY
    if not key:
        return ""
    return hmac.new(key.encode(), f"{kind}:{seq}:{digest}".encode(), hashlib.sha256).hexdigest()


class AuditChainHead(models.Model):
    """One row holding the newest hash and the row count.

    Appending updates this row first, which takes a row lock on PostgreSQL and the write lock on
    SQLite, so concurrent appends line up one behind another and the chain never forks.
    """

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)
    # audit_mac("head", count, last_hash): a head rewound to an earlier row no longer matches.
    mac = models.CharField(max_length=64, blank=True, default="")


class AuditEvent(models.Model):
    """An append-only, hash-chained record of who did what (docs/accounts.md, "Audit trail").

    On PostgreSQL a trigger refuses UPDATE and DELETE; `manage.py audit_verify` finds rows changed
    around it. User references survive the user's deletion (no constraint, labels copied).
    """

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    ROLE_CHANGED = "role_changed"
    CERT_ISSUED = "certification_issued"
    CERT_REVOKED = "certification_revoked"
    INVITATION_SENT = "invitation_sent"
    INVITATION_ACCEPTED = "invitation_accepted"
    COHORT_CHANGED = "cohort_changed"
    USER_CREATED = "user_created"
    MFA_CHANGED = "mfa_changed"
    CLINICAL_VIEW = "clinical_view"
    AUDIT_EXPORTED = "audit_exported"
    SESSION_STARTED = "session_started"
    SESSION_ENDED = "session_ended"
    SCENARIO_CHANGED = "scenario_changed"
    CRISIS_FLAG = "crisis_flag"
    CRISIS_ESCALATION = "crisis_escalation"
    SUPERVISOR_ACTION = "supervisor_action"
    REVIEW_CHANGED = "review_changed"
    OBJECTIVE_OVERRIDDEN = "objective_overridden"
    RECORDINGS_PURGED = "recordings_purged"
    MODEL_PROMOTED = "model_promoted"
    MODEL_PROMOTION_REFUSED = "model_promotion_refused"
    MODEL_ROLLED_BACK = "model_rolled_back"
    TRAINING_QUEUED = "training_queued"
    ADMIN_DELETED = "admin_deleted"
    EVENT_TYPES = [
        LOGIN, LOGIN_FAILED, LOGOUT, ROLE_CHANGED, CERT_ISSUED, CERT_REVOKED, INVITATION_SENT,
        INVITATION_ACCEPTED, COHORT_CHANGED, USER_CREATED, MFA_CHANGED, CLINICAL_VIEW, AUDIT_EXPORTED,
        SESSION_STARTED, SESSION_ENDED, SCENARIO_CHANGED, CRISIS_FLAG, CRISIS_ESCALATION,
        SUPERVISOR_ACTION, REVIEW_CHANGED, OBJECTIVE_OVERRIDDEN, RECORDINGS_PURGED, MODEL_PROMOTED, MODEL_PROMOTION_REFUSED,
        MODEL_ROLLED_BACK, TRAINING_QUEUED, ADMIN_DELETED,
    ]  # fmt: skip

    seq = models.BigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(editable=False, db_index=True)
    event_type = models.CharField(max_length=64, db_index=True, editable=False)
    actor = models.ForeignKey(
        User, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", editable=False
    )
    actor_label = models.CharField(max_length=300, blank=True, editable=False)
    target_user = models.ForeignKey(
        User, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", editable=False
    )
    target_label = models.CharField(max_length=300, blank=True, editable=False)
    object_type = models.CharField(max_length=64, blank=True, editable=False)
    object_id = models.CharField(max_length=64, blank=True, editable=False)
    details = models.JSONField(default=dict, encoder=DjangoJSONEncoder, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    # audit_mac("row", seq, hash); empty for rows written before PIXEL_AUDIT_KEY was set.
    mac = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"#{self.seq} {self.event_type} by {self.actor_label or 'system'}"

    def compute_hash(self):
        payload = {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(),
            "event_type": self.event_type,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "target_user_id": self.target_user_id,
            "target_label": self.target_label,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "details": self.details,
            "ip": self.ip,
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
        return hashlib.sha256((self.prev_hash + text).encode()).hexdigest()

    @classmethod
    def append(cls, event_type, actor=None, target_user=None, obj=None, details=None, ip=None):
        """Write one row at the end of the chain, inside the caller's transaction."""
        if event_type not in cls.EVENT_TYPES:
            raise ValueError(f"Unknown audit event type {event_type!r}")
        # Round-trip details through JSON now so the hash covers exactly what is stored.
        details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))
        actor = actor if actor is not None and actor.is_authenticated else None
        with transaction.atomic():
            AuditChainHead.objects.get_or_create(pk=1)
            AuditChainHead.objects.filter(pk=1).update(count=models.F("count") + 1)
            head = AuditChainHead.objects.select_for_update().get(pk=1)
            event = cls(
                seq=head.count,
                created_at=timezone.now(),
                event_type=event_type,
                actor=actor,
                actor_label=actor.label if actor else "",
                target_user=target_user,
                target_label=target_user.label if target_user else "",
                object_type=obj._meta.label_lower if obj is not None else "",
                object_id=str(obj.pk) if obj is not None else "",
                details=details,
                ip=ip,
                prev_hash=head.last_hash,
            )
            event.hash = event.compute_hash()
            event.mac = audit_mac("row", event.seq, event.hash)
            event.save(force_insert=True)
            head.last_hash = event.hash
            head.mac = audit_mac("head", head.count, head.last_hash)
            head.save(update_fields=["last_hash", "mac"])
        return event

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only")


def verify_audit_chain(anchors=()):
    """Walk the chain in order. Returns (rows checked, first bad event or None, reason).

    With PIXEL_AUDIT_KEY set, each keyed row's tag and the head's are checked too, and a row
    without a tag after one with a tag is a break (tags stripped to hide a rewrite). ANCHORS are
    (seq, hash) pairs exported earlier (read_anchors): the chain must still hold each of them, so a
    tail cut off and a head rewound to match, even to an earlier head copied from a backup, fail.
    """
    keyed = bool(settings.PIXEL_AUDIT_KEY)
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    seen_mac = False
    wanted = {seq: digest for seq, digest in anchors if seq > 0}
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return checked, event, f"sequence jumps from {expected_seq - 1} to {event.seq} (rows missing)"
        if event.prev_hash != prev_hash:
            return checked, event, "prev_hash does not match the previous row's hash"
        if event.compute_hash() != event.hash:
            return checked, event, "row content does not match its hash"
        if keyed and event.mac:
            seen_mac = True
            if not hmac.compare_digest(event.mac, audit_mac("row", event.seq, event.hash)):
                return checked, event, "keyed hash does not match (row rewritten without the audit key)"
        elif keyed and seen_mac:
            return checked, event, "row has no keyed hash although earlier rows do (tags stripped)"
        if event.seq in wanted and wanted.pop(event.seq) != event.hash:
            return checked, event, "row differs from the exported anchor for this seq (chain rewritten)"
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    if wanted:
        seq = min(wanted)
        return checked, None, f"chain ends at seq {checked} but an exported anchor records seq {seq} (tail cut off)"
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.count != checked or head.last_hash != prev_hash):
        return checked, None, f"chain head says {head.count} rows ending {head.last_hash[:12]}, found {checked}"
    if keyed and head is not None and checked and (seen_mac or head.mac):
        if not hmac.compare_digest(head.mac, audit_mac("head", head.count, head.last_hash)):
            return checked, None, "chain head's keyed hash does not match (head rewound or edited)"
    return checked, None, ""


# --- Anchors: the chain head exported outside the database ------------------------------------


def anchor_line(head):
    """One JSON line recording the head now; tagged under PIXEL_AUDIT_KEY when one is set."""
    record = {
        "seq": head.count,
        "hash": head.last_hash,
        "at": timezone.now().isoformat(),
        "mac": audit_mac("anchor", head.count, head.last_hash),
    }
    return json.dumps(record, sort_keys=True)


def read_anchors(path):
    """[(seq, hash)] from an anchor file; raises ValueError naming a line that is not genuine.

    A line whose tag does not match (written or edited without the key) is an error, not skipped:
    an anchor file someone can write is otherwise a way to make a rewritten chain look anchored.
    """
    anchors = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return anchors
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            seq, digest, mac = int(record["seq"]), str(record["hash"]), str(record.get("mac", ""))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}:{number}: not an anchor line ({e})") from e
        if settings.PIXEL_AUDIT_KEY and not hmac.compare_digest(mac, audit_mac("anchor", seq, digest)):
            raise ValueError(f"{path}:{number}: anchor's keyed hash does not match (line forged or edited)")
        anchors.append((seq, digest))
    return anchors
