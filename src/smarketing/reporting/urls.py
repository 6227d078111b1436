from django.urls import path

from smarketing.reporting import report_views, views
from smarketing.web import charts

app_name = "reporting"

urlpatterns = [
    path("", views.index, name="dashboards"),
    path("plotly.js", charts.plotly_js, name="plotly_js"),  # old URL: same view as web:plotly_js
    path("closed-loop/", views.closed_loop, name="closed_loop"),
    path("reports/monthly/", report_views.monthly, name="monthly"),
    path("reports/weekly/", report_views.weekly, name="weekly"),
    path("reports/management/", report_views.management, name="management"),
    path("s/<str:token>/", views.shared, name="shared"),
    path("s/<str:token>/seen", views.shared_seen, name="shared_seen"),
    path("s/<str:token>/<slug:chart_name>.csv", views.shared_csv, name="shared_csv"),
    path("share/<int:link_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("<slug:name>/", views.dashboard, name="dashboard"),
    path("<slug:name>/share/", views.share_create, name="share_create"),
    path("<slug:name>/<slug:chart_name>.csv", views.chart_csv, name="chart_csv"),
]
