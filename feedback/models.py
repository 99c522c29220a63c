"""One skill score per stored trainee message (docs/feedback.md)."""

from django.db import models
from django.utils import timezone

from simulator.models import Message, Session

CODE_LABELS = {
    "open_question": "Open question",
    "closed_question": "Closed question",
    "simple_reflection": "Simple reflection",
    "complex_reflection": "Complex reflection",
    "affirmation": "Affirmation",
    "giving_information": "Giving information",
    "advice": "Advice",
    "other": "Other",
}
EMPATHY_LABELS = {
    "emotional_reactions": "Emotional reactions",
    "interpretations": "Interpretations",
    "explorations": "Explorations",
}
LEVEL_LABELS = {0: "none", 1: "weak", 2: "strong"}


class MessageScore(models.Model):
    """What the skill models said about one trainee message. Written once (the one-to-one makes
    a second scoring of the same message a no-op); never edited, so a report reads as it was."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="skill_score")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="skill_scores")
    seq = models.PositiveIntegerField()
    main = models.CharField(
        max_length=20, help_text="AnnoMI main behaviour: reflection, question, therapist_input, other."
    )
    code = models.CharField(max_length=30, choices=list(CODE_LABELS.items()))
    confidence = models.FloatField(help_text="The behaviour model's probability for the main behaviour.")
    asked_permission = models.BooleanField(null=True, blank=True, help_text="For advice: whether permission was asked.")
    emotional_reactions = models.PositiveSmallIntegerField()
    interpretations = models.PositiveSmallIntegerField()
    explorations = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "seq"]

    def __str__(self):
        return f"{self.session_id} #{self.seq} {self.code}"

    @property
    def empathy(self):
        return {k: getattr(self, k) for k in EMPATHY_LABELS}

    @property
    def empathy_total(self):
        return sum(self.empathy.values())

    @property
    def label(self):
        label = CODE_LABELS.get(self.code, self.code)
        if self.code == "advice" and self.asked_permission is not None:
            label += " (with permission)" if self.asked_permission else " (without permission)"
        return label

    def as_tags(self):
        return {"codes": [self.code], "labels": [self.label], "main": self.main, "empathy": self.empathy}

    def as_event(self):
        return {"type": "feedback", "seq": self.seq, **self.as_tags()}
