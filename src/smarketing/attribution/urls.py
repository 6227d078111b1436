from django.urls import path

from smarketing.attribution import views

app_name = "attribution"

urlpatterns = [
    path("", views.index, name="index"),
    path("plotly.js", views.plotly_js, name="plotly_js"),
    path("status.json", views.status, name="status"),
]
