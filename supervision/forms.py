from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Certification, User
from modelserve.crisis.levels import LEVELS
from simulator.models import Scenario, Session
from supervision.access import STAFF_ONLY_EVENT_KINDS
from supervision.models import SUGGESTED_TAGS, Review, Rubric, clean_tags

FLAG_LEVELS = [level for level in LEVELS if level != "none"]


class RecordingFilter(forms.Form):
    trainee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="All trainees")
    scenario = forms.ModelChoiceField(queryset=Scenario.objects.all(), required=False, empty_label="All scenarios")
    flagged = forms.BooleanField(required=False, label="Flagged only")

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainee"].queryset = User.objects.filter(pk__in=sessions.values("trainee_id")).order_by(
            "full_name", "email"
        )
        self.fields["scenario"].queryset = Scenario.objects.filter(versions__sessions__in=sessions).distinct()

    def filter(self, sessions):
        if not self.is_valid():
            return sessions
        data = self.cleaned_data
        if data["trainee"]:
            sessions = sessions.filter(trainee=data["trainee"])
        if data["scenario"]:
            sessions = sessions.filter(scenario_version__scenario=data["scenario"])
        if data["flagged"]:
            flagged = Q(messages__crisis_level__in=FLAG_LEVELS) | Q(events__kind__in=STAFF_ONLY_EVENT_KINDS)
            sessions = sessions.filter(pk__in=Session.objects.filter(flagged).values("pk"))
        return sessions


class AnnotationForm(forms.Form):
    seq = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000)
    tags = forms.MultipleChoiceField(
        choices=[(t, t) for t in SUGGESTED_TAGS], widget=forms.CheckboxSelectMultiple, required=False
    )
    other_tags = forms.CharField(required=False, label="Other tags", help_text="Separate with commas.", max_length=400)

    def clean(self):
        data = super().clean()
        tags = list(data.get("tags") or []) + [t for t in (data.get("other_tags") or "").split(",") if t.strip()]
        try:
            data["all_tags"] = clean_tags(tags)
        except ValidationError as e:
            self.add_error("other_tags", e)
            return data
        if not (data.get("comment") or "").strip() and not data["all_tags"]:
            raise ValidationError("Write a comment or choose a tag.")
        return data


class RubricChoiceForm(forms.Form):
    rubric = forms.ModelChoiceField(queryset=Rubric.objects.filter(is_active=True), empty_label=None)


class ReviewForm(forms.Form):
    """One radio group per rubric item (1–5, each labelled with its anchor), and an overall comment."""

    overall_comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)

    def __init__(self, *args, rubric, review=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        self.items = list(rubric.items.all())
        scores = review.score_map() if review is not None and review.rubric_id == rubric.pk else {}
        for item in self.items:
            choices = [("", "Not scored")] + [
                (str(n), f"{n} — {anchor}" if anchor else str(n)) for n, anchor in item.anchors()
            ]
            self.fields[f"score_{item.pk}"] = forms.TypedChoiceField(
                label=item.title,
                help_text=item.description,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                initial=str(scores[item.pk]) if item.pk in scores else "",
            )
        if review is not None:
            self.fields["overall_comment"].initial = review.overall_comment

    def score_fields(self):
        return [self[f"score_{item.pk}"] for item in self.items]

    def scores(self):
        return {item.pk: self.cleaned_data.get(f"score_{item.pk}") for item in self.items}


class SignOffForm(forms.Form):
    recommendation = forms.ChoiceField(
        choices=Review.RECOMMENDATION_CHOICES, widget=forms.RadioSelect, initial=Review.NONE
    )
    certification_kind = forms.ChoiceField(
        choices=[("", "—")] + Certification.KIND_CHOICES, required=False, label="Certification"
    )
    note = forms.CharField(required=False, max_length=500, help_text="Kept with an issued certification.")

    def clean(self):
        data = super().clean()
        if data.get("recommendation") not in (None, Review.NONE) and not data.get("certification_kind"):
            self.add_error("certification_kind", "Choose the certification you recommend or issue.")
        return data


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search transcripts", max_length=200, help_text='Words, "a phrase", -excluded, or alternatives with or.'
    )
