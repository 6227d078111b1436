"""WSGI entry point for any WSGI server (``smarketing serve`` uses waitress)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
application = get_wsgi_application()
# Import every page's and endpoint's code now (the API pulls in scikit-learn, pandas, Ibis:
# several seconds) instead of on the first request, so the first visitor does not wait.
get_resolver().url_patterns  # noqa: B018 (the import is the point)
