from django import forms

from accounts.models import Certification
from simulator.models import DIFFICULTY_CHOICES, TOPICS


class CatalogueFilter(forms.Form):
    topic = forms.ChoiceField(choices=[("", "Any topic")] + [(t, t.replace("-", " ")) for t in TOPICS], required=False)
    difficulty = forms.TypedChoiceField(
        choices=[("", "Any difficulty")] + DIFFICULTY_CHOICES, coerce=int, required=False, empty_value=None
    )
    certification = forms.ChoiceField(
        choices=[("", "Any certification")] + Certification.KIND_CHOICES, required=False, label="Certification needed"
    )

    def filter(self, queryset):
        if not self.is_bound or not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("topic"):
            queryset = queryset.filter(topic=data["topic"])
        if data.get("difficulty"):
            queryset = queryset.filter(difficulty=data["difficulty"])
        if data.get("certification"):
            queryset = queryset.filter(certification=data["certification"])
        return queryset
