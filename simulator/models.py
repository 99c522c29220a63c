"""Scenarios (versioned persona cards), sessions and their messages. See docs/simulator.md."""

import hashlib
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Certification
from simulator import events

TOPICS = [
    "depression", "anxiety", "panic", "trauma", "grief", "alcohol", "self-harm", "suicide", "violence",
    "perinatal", "eating", "ocd", "substance-use", "relationships", "engagement", "other",
]  # fmt: skip
DIFFICULTY_CHOICES = [(1, "1 · novice"), (2, "2 · intermediate"), (3, "3 · advanced")]


def card_hash(card):
    return hashlib.sha256(json.dumps(card, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Scenario(models.Model):
    """A training scenario: a client persona card plus training metadata.

    The editable card lives here; every change that alters it snapshots a new ScenarioVersion, and
    sessions point at the version they ran, so later edits never rewrite what a trainee saw.
    """

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=40, choices=[(t, t) for t in TOPICS])
    difficulty = models.PositiveSmallIntegerField(choices=DIFFICULTY_CHOICES)
    certification = models.CharField(
        max_length=32,
        choices=Certification.KIND_CHOICES,
        default=Certification.SIMULATION,
        help_text="The certification a trainee needs (besides 'simulation') to run it.",
    )
    summary = models.TextField()
    learning_objectives = models.JSONField(default=list)
    content_warnings = models.JSONField(default=list, blank=True)
    persona = models.JSONField(help_text="The client persona card (see simulator/scenario_library/README.md).")
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["difficulty", "title"]

    def __str__(self):
        return self.title

    def card(self):
        return {
            "slug": self.slug,
            "title": self.title,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "certification": self.certification,
            "summary": self.summary,
            "learning_objectives": self.learning_objectives,
            "content_warnings": self.content_warnings,
            "persona": self.persona,
        }

    def required_certifications(self):
        kinds = [Certification.SIMULATION]
        if self.certification != Certification.SIMULATION:
            kinds.append(self.certification)
        return kinds

    def snapshot(self, by=None):
        """The current version, creating a new one if the card changed since the last."""
        card = self.card()
        digest = card_hash(card)
        with transaction.atomic():
            latest = self.versions.select_for_update().order_by("-number").first()
            if latest is not None and latest.content_hash == digest:
                return latest
            return ScenarioVersion.objects.create(
                scenario=self,
                number=(latest.number + 1) if latest else 1,
                card=card,
                content_hash=digest,
                created_by=by,
            )

    @property
    def current_version(self):
        return self.versions.order_by("-number").first()


class ScenarioVersion(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    card = models.JSONField()
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scenario", "number"], name="one_number_per_scenario_version")]

    def __str__(self):
        return f"{self.scenario.slug} v{self.number}"

    @property
    def persona(self):
        return self.card["persona"]


class Session(models.Model):
    """One trainee's conversation with one simulated client. live -> paused <-> live -> ended."""

    LIVE = "live"
    PAUSED = "paused"
    ENDED = "ended"
    STATUS_CHOICES = [(LIVE, "Live"), (PAUSED, "Paused"), (ENDED, "Ended")]
    OPEN_STATUSES = (LIVE, PAUSED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trainee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sim_sessions")
    scenario_version = models.ForeignKey(ScenarioVersion, on_delete=models.PROTECT, related_name="sessions")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=LIVE)
    started_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=200, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    next_seq = models.PositiveIntegerField(default=1)
    persona_breaks = models.PositiveIntegerField(default=0)
    # A supervisor speaking as the client; the model stands by while this is set.
    takeover_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One open session per trainee, enforced by the database even under racing requests.
            models.UniqueConstraint(
                fields=["trainee"], condition=Q(status__in=["live", "paused"]), name="one_open_session_per_trainee"
            )
        ]

    def __str__(self):
        return f"{self.scenario_version.scenario.title} · {self.trainee} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def scenario(self):
        return self.scenario_version.scenario

    @property
    def persona(self):
        return self.scenario_version.persona

    @property
    def group_name(self):
        return events.session_group(self.pk)

    @property
    def observers_group(self):
        return events.observers_group(self.pk)

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def time_left(self, now=None):
        limit = timedelta(minutes=settings.PIXEL_SESSION_MAX_MINUTES)
        return self.started_at + limit - (now or timezone.now())

    def pause(self):
        """live -> paused; returns False if it was not live."""
        return self._move(self.LIVE, self.PAUSED)

    def resume(self):
        """paused -> live; returns False if it was not paused."""
        return self._move(self.PAUSED, self.LIVE)

    def _move(self, from_status, to_status):
        moved = Session.objects.filter(pk=self.pk, status=from_status).update(status=to_status) == 1
        self.refresh_from_db(fields=["status"])
        return moved

    def end(self, by, reason):
        """Close the session; returns False if it was already ended (so callers audit once)."""
        with transaction.atomic():
            session = Session.objects.select_for_update().get(pk=self.pk)
            if session.status == self.ENDED:
                return False
            session.status = self.ENDED
            session.ended_at = timezone.now()
            session.ended_by = by
            session.end_reason = reason[:200]
            session.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
        self.refresh_from_db()
        return True

    def trainee_notices(self, after=0):
        """What the trainee's page shows besides messages, after seq AFTER, in order: whispers and
        observer notices, as the socket sends them live. A reload or reconnect draws them again
        (issue 17): a hint that vanishes on reload, or a watcher no longer announced, misleads."""
        notices = []
        kinds = [SessionEvent.WHISPER, SessionEvent.OBSERVER_JOINED]
        for event in self.events.filter(seq__gt=after, kind__in=kinds).select_related("actor").order_by("seq"):
            who = str(event.actor) if event.actor_id else "your supervisor"
            if event.kind == SessionEvent.WHISPER:
                notices.append({"type": "whisper", "seq": event.seq, "text": event.data.get("text", ""), "from": who})
            else:
                notices.append({"type": "observer", "seq": event.seq, "name": who})
        return notices

    def record(self, kind, actor=None, **data):
        """Append a non-message event to the recording with the next sequence number."""
        with transaction.atomic():
            session = Session.objects.select_for_update().get(pk=self.pk)
            event = SessionEvent.objects.create(
                session=session, seq=session.next_seq, kind=kind, actor=actor, data=data
            )
            Session.objects.filter(pk=self.pk).update(next_seq=F("next_seq") + 1)
        self.refresh_from_db(fields=["next_seq"])
        return event

    def append(self, role, text, client_msg_id=None, **fields):
        """Store a message with the next sequence number; the row lock orders concurrent appends.

        With a client_msg_id already stored, returns (that message, False) instead of a duplicate.
        A model's reply (a client message with reply_to and no author) to a trainee message that is
        no longer the trainee's latest raises StaleReply: it would answer a question the trainee
        has moved past (docs/simulator.md, "Nothing lost, nothing out of order").
        """
        with transaction.atomic():
            session = Session.objects.select_for_update().get(pk=self.pk)
            if client_msg_id:
                existing = session.messages.filter(client_msg_id=client_msg_id).first()
                if existing is not None:
                    return existing, False
            reply_to = fields.get("reply_to")
            if role == Message.CLIENT and reply_to is not None and fields.get("author") is None:
                # Checked under the row lock that also orders trainee messages, so a reply can
                # never slip in after a newer trainee message. A supervisor speaking as the client
                # sees the conversation and is exempt.
                if session.messages.filter(role=Message.TRAINEE, seq__gt=reply_to).exists():
                    raise StaleReply(
                        f"trainee message #{reply_to} of {self.pk} has a newer one; its reply is not stored"
                    )
            message = Message.objects.create(
                session=session, seq=session.next_seq, role=role, text=text, client_msg_id=client_msg_id, **fields
            )
            Session.objects.filter(pk=self.pk).update(next_seq=F("next_seq") + 1, last_activity_at=timezone.now())
        self.refresh_from_db(fields=["next_seq", "last_activity_at"])
        return message, True


class StaleReply(Exception):
    """A model reply to a trainee message the trainee has since written past (Session.append)."""


class Message(models.Model):
    TRAINEE = "trainee"
    CLIENT = "client"
    ROLE_CHOICES = [(TRAINEE, "Trainee"), (CLIENT, "Client")]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    text = models.TextField()
    client_msg_id = models.CharField(max_length=64, null=True, blank=True)
    reply_to = models.PositiveIntegerField(null=True, blank=True, help_text="For client replies: the trainee seq.")
    created_at = models.DateTimeField(default=timezone.now)
    # Generation facts for client replies: how long, how many retries, what the persona guard saw.
    seconds = models.FloatField(null=True, blank=True)
    first_token_seconds = models.FloatField(null=True, blank=True)
    regenerations = models.PositiveSmallIntegerField(default=0)
    guard_breaks = models.JSONField(default=list, blank=True)
    fallback = models.BooleanField(default=False)
    model_name = models.CharField(max_length=200, blank=True)
    # The crisis detector's verdict (modelserve.crisis.check), written by the safety task.
    crisis = models.JSONField(null=True, blank=True)
    crisis_level = models.CharField(max_length=10, blank=True, db_index=True)
    crisis_checked_at = models.DateTimeField(null=True, blank=True)
    # Set when a supervisor who took over the client's voice wrote this client message.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # On trainee messages: the client's state after this message (simulator.clientstate), stored
    # once before the reply is generated. Supervisors see it; the trainee only in the report.
    client_state = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="one_seq_per_session"),
            models.UniqueConstraint(
                fields=["session", "client_msg_id"],
                condition=Q(client_msg_id__isnull=False),
                name="one_client_id_per_session",
            ),
            models.UniqueConstraint(
                fields=["session", "reply_to"], condition=Q(reply_to__isnull=False), name="one_reply_per_message"
            ),
        ]

    def __str__(self):
        return f"{self.session_id} #{self.seq} {self.role}"

    def set_client_state(self, state):
        """Store the client's state after this trainee message, once: a second computation (a
        retried reply, two workers) keeps the first. Returns True if this call stored it."""
        stored = Message.objects.filter(pk=self.pk, client_state={}).update(client_state=state) == 1
        self.refresh_from_db(fields=["client_state"])
        return stored

    def as_event(self):
        return {
            "seq": self.seq,
            "role": self.role,
            "text": self.text,
            "id": self.client_msg_id,
            "reply_to": self.reply_to,
            "created_at": self.created_at.isoformat(),
            "by_supervisor": self.author_id is not None,
        }


class SessionEvent(models.Model):
    """Everything in a session's recording that is not a conversation turn, in order.

    Messages carry their own seq; events share the same per-session counter (Session.next_seq), so
    the recording is one sequence: replay order is storage order.
    """

    WHISPER = "whisper"
    PAUSED = "paused"
    RESUMED = "resumed"
    ENDED = "ended"
    TAKEOVER_STARTED = "takeover_started"
    TAKEOVER_ENDED = "takeover_ended"
    FLAG = "crisis_flag"
    ESCALATION = "crisis_escalation"
    REGENERATION = "regeneration"
    OBSERVER_JOINED = "observer_joined"
    KIND_CHOICES = [(k, k.replace("_", " ")) for k in [
        WHISPER, PAUSED, RESUMED, ENDED, TAKEOVER_STARTED, TAKEOVER_ENDED, FLAG, ESCALATION, REGENERATION, OBSERVER_JOINED,
    ]]  # fmt: skip

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=KIND_CHOICES)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="one_event_per_seq")]

    def __str__(self):
        return f"{self.session_id} #{self.seq} {self.kind}"

    def as_event(self):
        return {
            "seq": self.seq,
            "kind": self.kind,
            "actor": str(self.actor) if self.actor_id else "",
            "data": self.data,
            "created_at": self.created_at.isoformat(),
        }
