from django.urls import path

from smarketing.sla import views
from smarketing.web import charts

app_name = "sla"

# The web shell owns /sla/ itself (a landing page), so the SLA pages live below it.
urlpatterns = [
    path("contract/", views.contract, name="contract"),
    path("contract/edit/", views.edit, name="edit"),
    path("contract/<int:version_id>/activate", views.activate, name="activate"),
    path("compliance/", views.compliance_page, name="compliance"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read", views.notifications_read, name="notifications_read"),
    path("plotly.js", charts.plotly_js, name="plotly"),  # old URL: same view as web:plotly_js
]
