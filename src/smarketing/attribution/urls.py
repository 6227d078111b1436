from django.urls import path

from smarketing.attribution import views
from smarketing.web import charts

app_name = "attribution"

urlpatterns = [
    path("", views.index, name="index"),
    path("plotly.js", charts.plotly_js, name="plotly_js"),  # old URL: same view as web:plotly_js
    path("status.json", views.status, name="status"),
]
