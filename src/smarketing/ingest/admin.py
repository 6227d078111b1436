from django.contrib import admin

from smarketing.ingest.models import (
    ChannelRuleSet,
    InboundForm,
    TrackingSite,
    WebhookDelivery,
    WebhookEndpoint,
)


@admin.register(TrackingSite)
class TrackingSiteAdmin(admin.ModelAdmin):
    list_display = ["name", "public_key", "allowed_origins", "key_rate_limit", "active"]
    search_fields = ["name", "public_key"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "format", "kinds", "active"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "endpoint", "kind", "status", "attempts", "response_code"]
    list_filter = ["status", "kind", "endpoint"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


@admin.register(InboundForm)
class InboundFormAdmin(admin.ModelAdmin):
    list_display = ["name", "default_campaign", "default_channel", "active"]


@admin.register(ChannelRuleSet)
class ChannelRuleSetAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "updated_at"]
