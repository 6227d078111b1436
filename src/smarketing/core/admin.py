from django.contrib import admin

from smarketing.core.models import ApiToken, AuditLog, Team, UserProfile


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "manager"]
    list_filter = ["kind"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "timezone", "territory", "capacity"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "territory"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action", "object_type", "user"]
    search_fields = ["object_id", "object_repr", "actor"]
    date_hierarchy = "at"
    readonly_fields = ["at", "user", "actor", "action", "object_type", "object_id",
                       "object_repr", "changes"]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
