from django.contrib import admin

from smarketing.ingest.csvimport.models import (
    DuplicateCandidate,
    ExternalRef,
    ImportJob,
    ImportRowError,
    MergeRecord,
)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "file_name",
        "detected_format",
        "status",
        "rows_read",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "detected_format"]
    readonly_fields = ["counts", "warnings", "checkpoint_row"]


@admin.register(ImportRowError)
class ImportRowErrorAdmin(admin.ModelAdmin):
    list_display = ["job", "row_number", "column", "value", "reason"]
    list_filter = ["job"]


@admin.register(ExternalRef)
class ExternalRefAdmin(admin.ModelAdmin):
    list_display = ["system", "object_type", "external_id", "object_id", "job"]
    list_filter = ["system", "object_type"]
    search_fields = ["external_id"]


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(admin.ModelAdmin):
    list_display = ["kind", "existing_id", "incoming_id", "score", "status", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(MergeRecord)
class MergeRecordAdmin(admin.ModelAdmin):
    list_display = ["kind", "winner_id", "loser_id", "loser_label", "by", "at", "undone_at"]
    list_filter = ["kind"]
