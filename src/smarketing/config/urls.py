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
]

#: Apps with their own pages mount ``smarketing.<app>.urls`` under ``/<app>/`` (namespace = app).
_APP_URLS = {
    "funnel": "funnel",
    "sla": "sla",
    "scoring": "scoring",
    "planning": "planning",
    "content": "content",
    "reporting": "reporting",
    "ingest": "ingest",
    "ingest.csvimport": "csvimport",
    "attribution": "attribution",
    "abm": "abm",
}
for _module, _namespace in _APP_URLS.items():
    if importlib.util.find_spec(f"smarketing.{_module}.urls") is not None:
        urlpatterns.append(
            path(f"{_namespace}/", include(f"smarketing.{_module}.urls", namespace=_namespace))
        )
# Last, so an app's own pages win over the web shell's placeholder for its section.
urlpatterns.append(path("", include("smarketing.web.urls")))
