from django.contrib import admin

from feedback.models import MessageScore


@admin.register(MessageScore)
class MessageScoreAdmin(admin.ModelAdmin):
    """Read-only: scores are written by the models, never by hand."""

    list_display = [
        "session",
        "seq",
        "code",
        "main",
        "confidence",
        "emotional_reactions",
        "interpretations",
        "explorations",
    ]
    list_filter = ["code", "main"]
    readonly_fields = [f.name for f in MessageScore._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
