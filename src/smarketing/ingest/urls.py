"""Ingest URLs under /ingest/: public endpoints (snippet, collect, form webhooks) and the
settings pages for tracking sites, webhooks and inbound forms."""

from django.urls import path

from smarketing.ingest import pages, views

app_name = "ingest"

urlpatterns = [
    path("t.js", views.snippet, name="snippet"),
    path("collect", views.collect, name="collect"),
    path("forms/<int:form_id>", views.inbound_form, name="inbound_form"),
    path("settings/", pages.settings_home, name="settings"),
    path("settings/sites/<int:site_id>/", pages.site_detail, name="site"),
    path("settings/webhooks/<int:endpoint_id>/", pages.endpoint_detail, name="endpoint"),
    path("settings/forms/<int:form_id>/", pages.form_detail, name="form"),
    path("settings/channels/", pages.channel_rules, name="channels"),
]
