from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone

from accounts.models import ROLE_CHOICES, ROLE_TRAINEE, Certification, Cohort, User


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=ROLE_TRAINEE)
    cohort = forms.ModelChoiceField(Cohort.objects.all(), required=False, help_text="Optional.")


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, required=False, label="Your name")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email="", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError("The two passwords differ.")
        if p1:
            password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
        return data


class IssueCertificationForm(forms.Form):
    user = forms.ModelChoiceField(User.objects.none(), label="Person")
    kind = forms.ChoiceField(choices=Certification.KIND_CHOICES)
    valid_until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Leave empty for no expiry."
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people if people is not None else User.objects.none()

    def clean_valid_until(self):
        day = self.cleaned_data.get("valid_until")
        if day is None:
            return None
        end = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
        if end <= timezone.now():
            raise forms.ValidationError("The end date must be in the future.")
        return end


class RevokeCertificationForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Reason")
