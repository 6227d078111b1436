from django.contrib import admin

from smarketing.scoring.models import (
    DriftAlert,
    LeadScore,
    PredictiveModel,
    ScoreHistory,
    ScoringDefinition,
)


@admin.register(ScoringDefinition)
class ScoringDefinitionAdmin(admin.ModelAdmin):
    list_display = ("pk", "version", "name", "active", "author", "created_at")
    list_filter = ("active",)
    # Versions are activated through the app (validated); the admin only reads them.
    readonly_fields = ("version", "name", "text", "author", "created_at", "active", "activated_at")


@admin.register(LeadScore)
class LeadScoreAdmin(admin.ModelAdmin):
    list_display = ("contact", "fit", "engagement", "total", "hand_raiser", "is_mql", "probability")
    list_filter = ("hand_raiser", "is_mql")
    raw_id_fields = ("contact",)


@admin.register(ScoreHistory)
class ScoreHistoryAdmin(admin.ModelAdmin):
    list_display = ("contact", "at", "fit", "engagement", "total", "probability", "reason")
    raw_id_fields = ("contact",)


@admin.register(PredictiveModel)
class PredictiveModelAdmin(admin.ModelAdmin):
    list_display = ("version", "name", "source", "trained_at", "active", "decision")
    exclude = ("data",)
    readonly_fields = ("version", "name", "metrics", "holdout", "source", "trained_at", "decision")


@admin.register(DriftAlert)
class DriftAlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "model", "psi", "level", "n_new", "acknowledged_at")
