import csv
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.utils import timezone

from accounts import actions
from accounts.models import ROLE_CHOICES, AuditEvent, Certification, Cohort, Invitation, User


class AuditedDeleteMixin:
    """Deletions in this admin each write a chained audit row (docs/accounts.md, "Deleting in the
    admin"). Admins for what must never be deleted (people, roles, sessions, certifications, audit
    rows) refuse deletion instead; tests/accounts/test_hardening.py checks every registered admin
    is one or the other, third-party ones included."""

    def delete_model(self, request, obj):
        actions.do_admin_delete(request.user, [obj], request=request)

    def delete_queryset(self, request, queryset):
        actions.do_admin_delete(request.user, list(queryset), request=request)


class AuditedDeleteAdmin(AuditedDeleteMixin, admin.ModelAdmin):
    pass


class NoDeleteMixin:
    def has_delete_permission(self, request, obj=None):
        return False


def _reregister(model, mixin):
    """Give another app's admin (registered earlier: INSTALLED_APPS order) our delete rule."""
    base = type(admin.site._registry[model])
    admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (mixin, base), {}))


# Roles are groups: deleting one would take a role from everyone holding it, unaudited.
_reregister(Group, NoDeleteMixin)
# Removing someone's authenticator is how an admin resets a lost second factor; removing an
# address can lock a person out. Both are allowed, and each leaves an audit row.
_reregister(Authenticator, AuditedDeleteMixin)
_reregister(EmailAddress, AuditedDeleteMixin)


class UserAdminForm(forms.ModelForm):
    role = forms.ChoiceField(choices=[("", "—")] + ROLE_CHOICES, required=False)

    class Meta:
        model = User
        fields = ["email", "full_name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = self.instance.role


@admin.register(User)
class UserAdmin(NoDeleteMixin, admin.ModelAdmin):
    # A person is deactivated (is_active), never deleted: their sessions, reviews and audit rows
    # name them, and deleting would take their recordings with them outside the retention purge.
    form = UserAdminForm
    list_display = ["email", "full_name", "role", "is_active", "date_joined"]
    list_filter = ["groups", "is_active"]
    search_fields = ["email", "full_name"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_unusable_password()  # new people set their own through an invitation or reset
        super().save_model(request, obj, form, change)
        role = form.cleaned_data.get("role")
        if role and role != obj.role:
            actions.do_set_role(request.user, obj, role, request=request)


@admin.register(Cohort)
class CohortAdmin(AuditedDeleteAdmin):
    list_display = ["name", "created_at"]
    filter_horizontal = ["supervisors", "trainees"]
    search_fields = ["name"]

    def save_related(self, request, form, formsets, change):
        # Membership decides who sees whose sessions, so it changes through the audited action.
        actions.do_set_cohort_members(
            request.user,
            form.instance,
            supervisors=list(form.cleaned_data["supervisors"]),
            trainees=list(form.cleaned_data["trainees"]),
            request=request,
        )


class CertificationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        days = settings.PIXEL_CERT_EXPIRY_WARNING_DAYS
        return [
            ("valid", "Valid"),
            ("expiring", f"Expiring in {days} days"),
            ("expired", "Expired"),
            ("revoked", "Revoked"),
            ("future", "Not yet valid"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        live = queryset.filter(revoked_at__isnull=True, valid_from__lte=now)
        if self.value() == "valid":
            return live.exclude(valid_until__lte=now)
        if self.value() == "expiring":
            soon = now + timedelta(days=settings.PIXEL_CERT_EXPIRY_WARNING_DAYS)
            return live.filter(valid_until__gt=now, valid_until__lte=soon)
        if self.value() == "expired":
            return queryset.filter(valid_until__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "future":
            return queryset.filter(valid_from__gt=now)
        return queryset


@admin.register(Certification)
class CertificationAdmin(NoDeleteMixin, admin.ModelAdmin):
    # Revoked, never deleted: who was certified for what, when, is part of the record.
    list_display = ["user", "kind", "status_label", "valid_from", "valid_until", "issued_by", "revoked_at"]
    list_filter = [CertificationStatusFilter, "kind"]
    search_fields = ["user__email", "user__full_name"]
    fields = ["user", "kind", "valid_from", "valid_until", "note"]
    readonly_fields = ["issued_by", "issued_at", "revoked_at", "revoked_by", "revoke_reason"]

    @admin.display(description="status")
    def status_label(self, obj):
        return obj.status()

    def get_fields(self, request, obj=None):
        return self.fields + (self.readonly_fields if obj else [])

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        cert = actions.do_issue_certification(
            request.user, data["user"], data["kind"], data["valid_from"], data["valid_until"], data["note"], request
        )
        obj.pk = cert.pk


@admin.register(Invitation)
class InvitationAdmin(AuditedDeleteAdmin):
    list_display = ["email", "role", "cohort", "created_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request):
        return False  # invitations are sent from the Invite page, which e-mails the link

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "created_at", "event_type", "actor_label", "target_label", "object_type", "object_id", "ip"]
    list_filter = ["event_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "target_label", "object_id"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export selected events as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="pixel-audit.csv"'
        columns = ["seq", "created_at", "event_type", "actor_id", "actor_label", "target_user_id", "target_label",
                   "object_type", "object_id", "details", "ip", "prev_hash", "hash"]  # fmt: skip
        writer = csv.writer(response)
        writer.writerow(columns)
        rows = queryset.order_by("seq")
        for event in rows:
            writer.writerow([getattr(event, c) for c in columns])
        actions.do_audit(AuditEvent.AUDIT_EXPORTED, request.user, details={"rows": rows.count()}, request=request)
        return response
