from django.contrib import admin

from accounts.actions import do_audit
from accounts.admin import AuditedDeleteAdmin, NoDeleteMixin
from accounts.models import AuditEvent
from simulator.models import Message, Scenario, ScenarioVersion, Session


class VersionInline(admin.TabularInline):
    model = ScenarioVersion
    fields = ["number", "content_hash", "created_at", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scenario)
class ScenarioAdmin(AuditedDeleteAdmin):
    list_display = ["title", "slug", "topic", "difficulty", "certification", "is_active", "updated_at"]
    list_filter = ["topic", "difficulty", "certification", "is_active"]
    search_fields = ["title", "slug", "summary"]
    inlines = [VersionInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Sessions keep the version they ran; an edit becomes a new version for sessions to come.
        version = obj.snapshot(request.user)
        do_audit(AuditEvent.SCENARIO_CHANGED, request.user, None, obj, {"version": version.number}, request)


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["seq", "role", "text", "regenerations", "fallback", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Session)
class SessionAdmin(NoDeleteMixin, admin.ModelAdmin):
    # A recording leaves only through the retention purge (supervision), which is audited and
    # keeps to PIXEL_RETENTION_DAYS; deleting one here would skip both.
    list_display = ["id", "trainee", "scenario_version", "status", "started_at", "persona_breaks"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Session._meta.fields]
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        session = self.get_object(request, object_id)
        if session is not None:
            do_audit(AuditEvent.CLINICAL_VIEW, request.user, session.trainee, session, {"page": "admin"}, request)
        return super().change_view(request, object_id, form_url, extra_context)
