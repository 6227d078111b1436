"""WSGI entry point for any WSGI server (``smarketing serve`` uses waitress)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
application = get_wsgi_application()
