"""URL map: web pages, the admin, the REST API (/api, docs at /api/docs)."""

import importlib.util

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from smarketing.config.api import api

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("smarketing.web.urls")),
]

#: Apps with their own pages mount ``smarketing.<app>.urls`` under ``/<app>/`` (namespace = app).
for _app in ["funnel", "sla", "scoring", "planning", "content", "reporting", "ingest"]:
    if importlib.util.find_spec(f"smarketing.{_app}.urls") is not None:
        urlpatterns.append(path(f"{_app}/", include(f"smarketing.{_app}.urls", namespace=_app)))
