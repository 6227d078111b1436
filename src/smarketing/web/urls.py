from django.urls import path

from smarketing.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/", views.section, {"section": "dashboards"}, name="dashboards"),
    path("leads/", views.leads, name="leads"),
    path("leads/<int:contact_id>/", views.contact_detail, name="contact"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<int:account_id>/", views.account_detail, name="account"),
    path("deals/", views.deals, name="deals"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("attribution/", views.section, {"section": "attribution"}, name="attribution"),
    path("planning/", views.section, {"section": "planning"}, name="planning"),
    path("sla/", views.section, {"section": "sla"}, name="sla"),
    path("content/", views.section, {"section": "content"}, name="content"),
    path("healthz", views.healthz, name="healthz"),
]
