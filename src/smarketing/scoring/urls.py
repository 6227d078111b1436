from django.urls import path

from smarketing.scoring import views
from smarketing.web import charts

app_name = "scoring"

urlpatterns = [
    path("", views.index, name="index"),
    path("edit/", views.edit, name="edit"),
    path("definitions/<int:definition_id>/activate", views.activate, name="activate"),
    path("model/", views.model_page, name="model"),
    path("leads/<int:contact_id>/explanation", views.explanation, name="explanation"),
    path("plotly.js", charts.plotly_js, name="plotly"),  # old URL: same view as web:plotly_js
]
