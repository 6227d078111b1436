from django.urls import path

from smarketing.ingest.csvimport import views

app_name = "csvimport"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("jobs/<int:pk>/preview/", views.preview_job, name="preview"),
    path("jobs/<int:pk>/run/", views.run_job, name="run"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/errors.csv", views.errors_csv, name="errors_csv"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/resolve/", views.resolve_duplicate, name="resolve"),
    path("merges/<int:pk>/undo/", views.undo_merge, name="undo"),
]
