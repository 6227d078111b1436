"""Django settings for smarketing: everything configurable comes from the environment.

Variables (see docs/operations.md): ``DATABASE_URL``, ``SECRET_KEY``, ``DEBUG``,
``ALLOWED_HOSTS``, ``SMARKETING_PRODUCTION``, ``SMARKETING_DATA_DIR``, ``REDIS_URL``,
``CSRF_TRUSTED_ORIGINS``, ``SMARKETING_CURRENCY``, ``EMAIL_URL``-style SMTP settings
(``EMAIL_HOST`` …).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from smarketing.config.env import (
    ConfigError,
    data_dir,
    database_url,
    env_bool,
    env_int,
    env_list,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = env_bool("SMARKETING_PRODUCTION", False)
SECRET_KEY = secret_key(production=PRODUCTION)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "ninja",  # serves its bundled Swagger UI at /api/docs: no CDN, works offline
    "smarketing.core",
    "smarketing.crm",
    "smarketing.funnel",
    "smarketing.sla",
    "smarketing.scoring",
    "smarketing.planning",
    "smarketing.content",
    "smarketing.reporting",
    "smarketing.attribution",
    "smarketing.abm",
    "smarketing.ingest",
    "smarketing.ingest.csvimport",
    "smarketing.demo",
    "smarketing.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # trust: refuse out-of-bounds input (64-bit ints, NUL, JSON depth) before any view.
    "smarketing.core.middleware.RequestBoundsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "smarketing.core.middleware.AuditUserMiddleware",
]

ROOT_URLCONF = "smarketing.config.urls"
WSGI_APPLICATION = "smarketing.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "smarketing.web.context.navigation",
                "smarketing.sla.context.notifications",
            ],
        },
    },
]

DATABASE_URL = database_url()
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and the CLI read while one of them writes;
    # IMMEDIATE transactions avoid "database is locked" upgrades mid-transaction.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # The test database must be a file: the Ibis adapter and the browser tests' live server
    # open their own connections to it.
    # One file per test process, so concurrent test runs never share a test database.
    _db["TEST"] = {"NAME": str(data_dir() / f"test_smarketing_{os.getpid()}.sqlite3")}
elif _db["ENGINE"] not in ("django.db.backends.postgresql",):
    raise ConfigError(f"unsupported database engine {_db['ENGINE']}")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# The company's currency (ISO 4217 code): chart axes and money labels name it.
SMARKETING_CURRENCY = os.environ.get("SMARKETING_CURRENCY", "USD").strip().upper()
if not (len(SMARKETING_CURRENCY) == 3 and SMARKETING_CURRENCY.isalpha()):
    raise ConfigError(
        f"SMARKETING_CURRENCY={SMARKETING_CURRENCY!r} is not a 3-letter currency code (e.g. USD)"
    )

STATIC_URL = "static/"
STATIC_ROOT = data_dir() / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps' folders: `smarketing demo` works without
# a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = data_dir() / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Background tasks: huey on a SQLite file by default, Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "smarketing",
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "smarketing",
        "filename": str(data_dir() / "huey.sqlite3"),
        "immediate": env_bool("HUEY_IMMEDIATE", False),
    }

# Outbound messages (Slack, webhooks, mail): where the app is reachable, for links back to a
# record, and the company's time zone for the times people read in them.
SMARKETING_BASE_URL = os.environ.get("SMARKETING_BASE_URL", "").strip().rstrip("/")
SMARKETING_COMPANY_TIME_ZONE = os.environ.get("SMARKETING_COMPANY_TIME_ZONE", "UTC").strip()
try:
    import zoneinfo as _zoneinfo

    _zoneinfo.ZoneInfo(SMARKETING_COMPANY_TIME_ZONE)
except (KeyError, ValueError, _zoneinfo.ZoneInfoNotFoundError) as _exc:
    raise ImproperlyConfigured(
        f"SMARKETING_COMPANY_TIME_ZONE={SMARKETING_COMPANY_TIME_ZONE!r} is not an IANA time zone"
    ) from _exc

EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "smarketing@localhost")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"smarketing": {"level": "INFO"}},
}

# --- trust: login throttling and password hashing (docs/security.md) ------------------------
# django-axes counts failed logins (web login, /admin/login/) per account and per client IP
# and locks the pair out for AXES_COOLOFF_MINUTES after AXES_FAILURE_LIMIT failures: 429.
INSTALLED_APPS += ["axes", "smarketing.privacy"]  # own block: other helpers edit the list above
AUTHENTICATION_BACKENDS = [
    "smarketing.config.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE += [
    "smarketing.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False
# Argon2id first (argon2-cffi); older PBKDF2 hashes still verify and are upgraded at login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Rate limits and lockouts count in the cache: with Redis (production) the count is shared by
# every process; without it each process counts alone (local memory).
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
#: Bad API tokens from one client IP per minute before the API answers 429.
API_BAD_TOKEN_LIMIT = env_int("API_BAD_TOKEN_LIMIT", 20)
#: Requests per minute one API token may make to the event API (POST /api/ingest/events).
API_INGEST_RATE_LIMIT = env_int("API_INGEST_RATE_LIMIT", 600)
#: Requests per minute one API token may make to the rest of the API.
API_TOKEN_RATE_LIMIT = env_int("API_TOKEN_RATE_LIMIT", 1200)

# --- trust: HTTPS and production guards (docs/operations.md) --------------------------------
if PRODUCTION and DEBUG:
    raise ConfigError("DEBUG=1 is refused when SMARKETING_PRODUCTION=1 (it shows secrets)")
if PRODUCTION and "*" in ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS=* is refused when SMARKETING_PRODUCTION=1; list the hosts")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# A load balancer's health check speaks plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
_proxy_header = env_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_header and len(_proxy_header) != 2:
    raise ConfigError(
        "SECURE_PROXY_SSL_HEADER must be HEADER,VALUE, e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) or None
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"

# --- trust: limits set by the operator (docs/security.md) -----------------------------------
#: Longest lifetime of a public dashboard share link, in days (at most 365).
SHARE_LINK_MAX_DAYS = env_int("SHARE_LINK_MAX_DAYS", 30)

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
