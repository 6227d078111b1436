"""The content app's settings, read from the environment once (fail loudly on bad values).

``SMARKETING_CONTENT_MAX_UPLOAD_MB`` (default 25): the largest file the library accepts.
``SMARKETING_CONTENT_LINK_DAYS`` (default 30): how long a tracked link opens by default.
"""

from __future__ import annotations

from smarketing.config.env import env_int

MAX_UPLOAD_BYTES = env_int("SMARKETING_CONTENT_MAX_UPLOAD_MB", 25) * 1024 * 1024
LINK_DAYS = env_int("SMARKETING_CONTENT_LINK_DAYS", 30)
