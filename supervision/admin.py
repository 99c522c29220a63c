from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from accounts.admin import AuditedDeleteAdmin
from supervision.models import Annotation, ObjectiveOverride, Review, Rubric, RubricItem


class RubricItemFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not kept:
            raise ValidationError("A rubric needs at least one item.")


class RubricItemInline(admin.StackedInline):
    model = RubricItem
    formset = RubricItemFormSet
    fields = ["order", "title", "description", "anchor_1", "anchor_2", "anchor_3", "anchor_4", "anchor_5"]
    extra = 0
    min_num = 1
    validate_min = True


@admin.register(Rubric)
class RubricAdmin(AuditedDeleteAdmin):
    list_display = ["name", "is_active", "item_count", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at"]
    inlines = [RubricItemInline]

    @admin.display(description="items")
    def item_count(self, obj):
        return obj.items.count()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reviews, annotations and objective overrides change only through supervision.actions
    (audited), never here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["session", "supervisor", "rubric", "released_at", "signed_off_at", "recommendation"]
    list_filter = ["recommendation", "rubric"]


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyAdmin):
    list_display = ["session", "message", "author_label", "tags", "created_at"]


@admin.register(ObjectiveOverride)
class ObjectiveOverrideAdmin(ReadOnlyAdmin):
    # Append-only: a supervisor's change of mind is a new row (do_override_objective), so the
    # admin lists them and nothing more.
    list_display = ["session", "objective_id", "verdict", "by_label", "created_at"]
    list_filter = ["verdict"]
    search_fields = ["objective_id", "note", "by_label"]
