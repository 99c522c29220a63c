"""Reviewing recorded sessions: rubrics, annotations, reviews and their sign-off. See docs/supervision.md.

The recording itself is the simulator's (Message and SessionEvent rows, one seq per session);
`supervision.exports.recording()` reads it. Everything here hangs off the session with CASCADE,
so purging a recording (supervision.actions.do_purge_recordings) takes its review with it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Certification
from feedback.objectives import OVERRIDE_VERDICTS, VERDICT_CUES, VERDICT_LABELS
from simulator.models import Message, Session

SCORES = (1, 2, 3, 4, 5)

# Offered as checkboxes when annotating; people may add their own tags as well.
SUGGESTED_TAGS = [
    "missed risk cue",
    "good complex reflection",
    "simple reflection",
    "closed question",
    "open question",
    "empathic response",
    "premature advice",
    "good summary",
    "collaborative",
]
MAX_TAGS = 10
MAX_TAG_CHARS = 40


def clean_tags(tags):
    """Lower-case, trimmed, de-duplicated tags in the order given. Raises on too many or too long."""
    seen = []
    for tag in tags:
        tag = " ".join(str(tag).split()).lower()
        if not tag or tag in seen:
            continue
        if len(tag) > MAX_TAG_CHARS:
            raise ValidationError(f"Keep each tag under {MAX_TAG_CHARS} characters (“{tag[:20]}…” is longer).")
        seen.append(tag)
    if len(seen) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags on one annotation.")
    return seen


class Rubric(models.Model):
    """A scoring sheet admins define in the Django admin: items scored 1 to 5, each with anchors.

    A rubric used by a review cannot be deleted (PROTECT); retire it with is_active instead.
    """

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Offered for new reviews.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def default(cls):
        return cls.objects.filter(is_active=True).order_by("pk").first()


class RubricItem(models.Model):
    """One thing scored 1 to 5. Anchors describe what a score looks like; 1 and 5 are required."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    anchor_1 = models.TextField("anchor for 1", help_text="What a 1 looks like.")
    anchor_2 = models.TextField("anchor for 2", blank=True)
    anchor_3 = models.TextField("anchor for 3", blank=True)
    anchor_4 = models.TextField("anchor for 4", blank=True)
    anchor_5 = models.TextField("anchor for 5", help_text="What a 5 looks like.")

    class Meta:
        ordering = ["rubric", "order", "pk"]

    def __str__(self):
        return self.title

    def clean(self):
        # Both ends must be described: a scale whose extremes are undefined is scored by mood.
        missing = [str(n) for n in (1, 5) if not (getattr(self, f"anchor_{n}") or "").strip()]
        if missing:
            raise ValidationError(f"Describe what scores {' and '.join(missing)} look like.")

    def anchors(self):
        """[(score, anchor text or "")] for 1..5."""
        return [(n, getattr(self, f"anchor_{n}")) for n in SCORES]

    def anchor(self, score):
        return getattr(self, f"anchor_{score}", "") if score in SCORES else ""


class Review(models.Model):
    """A supervisor's review of one session: rubric scores, overall comment, release and sign-off.

    Draft -> released (the trainee sees annotations and scores) and/or signed off (frozen, with a
    recommendation; may issue a certification through accounts.actions). Change it through
    supervision.actions only, so every change is audited.
    """

    NONE = "none"
    RECOMMEND = "recommend"
    ISSUE = "issue"
    RECOMMENDATION_CHOICES = [
        (NONE, "No recommendation"),
        (RECOMMEND, "Recommend certification"),
        (ISSUE, "Issue certification"),
    ]

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="review")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who last changed the review.",
    )
    rubric = models.ForeignKey(Rubric, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    overall_comment = models.TextField(blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recommendation = models.CharField(max_length=20, choices=RECOMMENDATION_CHOICES, default=NONE)
    certification_kind = models.CharField(max_length=32, choices=Certification.KIND_CHOICES, blank=True)
    certification = models.ForeignKey(Certification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(recommendation="none") | ~Q(certification_kind=""), name="review_recommendation_names_kind"
            )
        ]

    def __str__(self):
        return f"Review of {self.session}"

    @property
    def is_released(self):
        return self.released_at is not None

    @property
    def is_signed_off(self):
        return self.signed_off_at is not None

    @property
    def status_label(self):
        parts = ["signed off" if self.is_signed_off else "draft"]
        if self.is_released:
            parts.append("released")
        return ", ".join(parts)

    @classmethod
    def locked_for(cls, session):
        """The session's review, created if need be, locked for the rest of the transaction."""
        cls.objects.get_or_create(session=session)
        return cls.objects.select_for_update().get(session=session)

    def score_map(self):
        """{item id: score} for this review's rubric."""
        return dict(self.scores.values_list("item_id", "score"))

    def scored_items(self):
        """[(item, score or None)] in rubric order; empty without a rubric."""
        if self.rubric_id is None:
            return []
        scores = self.score_map()
        return [(item, scores.get(item.pk)) for item in self.rubric.items.all()]

    def release(self, by):
        """Show it to the trainee. False if it already was (so callers audit once)."""
        if self.released_at is not None:
            return False
        self.released_at = timezone.now()
        self.released_by = by
        self.updated_at = self.released_at
        self.save(update_fields=["released_at", "released_by", "updated_at"])
        return True

    def retract(self):
        if self.released_at is None:
            return False
        self.released_at = None
        self.released_by = None
        self.updated_at = timezone.now()
        self.save(update_fields=["released_at", "released_by", "updated_at"])
        return True

    def sign_off(self, by, recommendation, kind="", certification=None):
        if self.signed_off_at is not None:
            return False
        self.signed_off_at = timezone.now()
        self.signed_off_by = by
        self.recommendation = recommendation
        self.certification_kind = kind if recommendation != self.NONE else ""
        self.certification = certification
        self.updated_at = self.signed_off_at
        self.save(
            update_fields=[
                "signed_off_at", "signed_off_by", "recommendation", "certification_kind", "certification", "updated_at"
            ]
        )  # fmt: skip
        return True

    def set_scores(self, by, rubric, scores, overall_comment):
        """Replace rubric, scores ({item id: 1..5}) and comment. Switching rubric drops old scores."""
        with transaction.atomic():
            if self.rubric_id != rubric.pk:
                self.scores.all().delete()
            items = {item.pk for item in rubric.items.all()}
            for item_id, score in scores.items():
                if item_id not in items:
                    raise ValidationError("A score names an item that is not in this rubric.")
                if score is None:
                    self.scores.filter(item_id=item_id).delete()
                    continue
                if score not in SCORES:
                    raise ValidationError("Scores run from 1 to 5.")
                ReviewScore.objects.update_or_create(review=self, item_id=item_id, defaults={"score": score})
            self.rubric = rubric
            self.overall_comment = overall_comment
            self.supervisor = by
            self.updated_at = timezone.now()
            self.save(update_fields=["rubric", "overall_comment", "supervisor", "updated_at"])


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    # PROTECT: an item that has scores cannot vanish from under a signed review.
    item = models.ForeignKey(RubricItem, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        ordering = ["item__order", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "item"], name="one_score_per_item"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="score_1_to_5"),
        ]

    def __str__(self):
        return f"{self.item}: {self.score}"


class Annotation(models.Model):
    """A supervisor's comment and tags on one message. The trainee sees it once the review is released."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="annotations")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Copied so the annotation still says who wrote it after that account is deleted.
    author_label = models.CharField(max_length=300, blank=True)
    comment = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["message__seq", "created_at", "pk"]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self):
        return f"Annotation on {self.session_id} #{self.message.seq}"

    @property
    def seq(self):
        return self.message.seq

    def as_dict(self):
        return {
            "id": self.pk,
            "seq": self.message.seq,
            "author": str(self.author) if self.author_id else self.author_label,
            "comment": self.comment,
            "tags": list(self.tags),
            "created_at": self.created_at.isoformat(),
        }


class ObjectiveOverride(models.Model):
    """A supervisor's verdict on one learning objective of a session, with the note that says why.

    Append-only: a change of mind is a new row, and the latest row for an objective is the one
    shown (beside the automatic verdict, feedback.objectives). Written only through
    supervision.actions.do_override_objective, which audits it.
    """

    # The verdicts a supervisor may give, named as the report names them.
    VERDICT_CHOICES = [(v, VERDICT_LABELS[v]) for v in OVERRIDE_VERDICTS]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="objective_overrides")
    # The objective's id in the session's scenario version (learning_objectives[].id).
    objective_id = models.CharField(max_length=40)
    verdict = models.CharField(max_length=10, choices=VERDICT_CHOICES)
    note = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Copied so the row still says who decided after that account is deleted.
    by_label = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "objective_id", "created_at", "pk"]
        indexes = [models.Index(fields=["session", "objective_id"])]

    def __str__(self):
        return f"{self.session_id} {self.objective_id}: {self.verdict}"

    def as_dict(self):
        return {
            "verdict": self.verdict,
            "label": VERDICT_LABELS[self.verdict],
            "cue": VERDICT_CUES[self.verdict],
            "note": self.note,
            "by": str(self.by) if self.by_id else self.by_label,
            "at": self.created_at,
        }
