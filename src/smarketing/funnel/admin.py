from django.contrib import admin

from smarketing.funnel.models import LeadReview, StageChange


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    """The stage log is append-only: visible, never editable."""

    list_display = [
        "changed_at",
        "contact",
        "from_stage",
        "to_stage",
        "changed_by",
        "rule",
        "reason",
    ]
    list_filter = ["to_stage", "from_stage"]
    raw_id_fields = ["contact"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LeadReview)
class LeadReviewAdmin(admin.ModelAdmin):
    list_display = ["at", "contact", "decision", "reason_code", "quality_rating", "by"]
    list_filter = ["decision", "reason_code", "quality_rating"]
    raw_id_fields = ["contact"]
