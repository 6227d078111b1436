from django.contrib import admin

from smarketing.crm.models import (
    Account,
    Campaign,
    CampaignCost,
    Contact,
    ContentAsset,
    Deal,
    DealContact,
    DealStageChange,
    Persona,
    SalesInsight,
    Touchpoint,
    VisitorId,
)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "domain",
        "industry",
        "employees",
        "country",
        "tier",
        "is_target",
        "owner",
    ]
    list_filter = ["is_target", "tier", "industry", "country"]
    search_fields = ["name", "domain"]
    raw_id_fields = ["owner"]


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "first_name",
        "last_name",
        "account",
        "persona",
        "lifecycle_stage",
        "owner",
        "created_at",
    ]
    list_filter = ["lifecycle_stage", "persona", "original_channel", "do_not_contact"]
    search_fields = ["email", "first_name", "last_name"]
    raw_id_fields = ["account", "owner", "original_campaign"]
    readonly_fields = ["lifecycle_stage", "stage_changed_at"]
    date_hierarchy = "created_at"


class CampaignCostInline(admin.TabularInline):
    model = CampaignCost
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "utm_campaign",
        "start_date",
        "end_date",
        "cost_per_day",
        "owner",
    ]
    list_filter = ["channel"]
    search_fields = ["name", "utm_campaign"]
    inlines = [CampaignCostInline]


@admin.register(CampaignCost)
class CampaignCostAdmin(admin.ModelAdmin):
    list_display = ["campaign", "period_start", "period_end", "amount", "currency"]


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "team", "channel", "contact", "account", "campaign"]
    list_filter = ["kind", "team", "channel"]
    raw_id_fields = ["contact", "account", "campaign", "content", "user"]
    search_fields = ["external_id", "anonymous_id", "url"]
    show_full_result_count = False


@admin.register(VisitorId)
class VisitorIdAdmin(admin.ModelAdmin):
    list_display = ["anonymous_id", "contact", "first_seen_at", "identified_at"]
    raw_id_fields = ["contact"]


class DealContactInline(admin.TabularInline):
    model = DealContact
    raw_id_fields = ["contact"]
    extra = 0


class DealStageChangeInline(admin.TabularInline):
    model = DealStageChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "changed_at", "changed_by"]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account",
        "owner",
        "amount",
        "currency",
        "stage",
        "created_at",
        "close_date",
        "is_won",
    ]
    list_filter = ["stage", "is_closed", "is_won"]
    search_fields = ["name"]
    raw_id_fields = ["account", "primary_contact", "owner", "source_campaign"]
    inlines = [DealContactInline, DealStageChangeInline]


@admin.register(DealStageChange)
class DealStageChangeAdmin(admin.ModelAdmin):
    list_display = ["deal", "from_stage", "to_stage", "changed_at", "changed_by"]
    raw_id_fields = ["deal"]


@admin.register(SalesInsight)
class SalesInsightAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "persona", "stage", "topic", "text"]
    list_filter = ["kind", "persona", "stage"]
    raw_id_fields = ["contact", "deal"]


@admin.register(ContentAsset)
class ContentAssetAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "url", "published_at"]
    list_filter = ["kind", "personas"]
    search_fields = ["title", "body"]
