"""Read smarketing's configuration from the environment, failing loudly on bad values.

Every setting the product reads from the environment goes through this module, so that a
typo in a deployment (``DEBUG=ture``) stops the process with a message naming the variable
instead of silently running with a default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import platformdirs


class ConfigError(RuntimeError):
    """A configuration variable holds a value smarketing cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Return the boolean environment variable ``name`` (1/0, true/false, yes/no, on/off)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def env_list(name: str, default: list[str]) -> list[str]:
    """Return the comma-separated environment variable ``name`` as a list of stripped items."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Return the integer environment variable ``name``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None


def data_dir() -> Path:
    """Directory holding the embedded database, huey queue and generated secret key.

    ``SMARKETING_DATA_DIR`` overrides the per-user data directory of the platform.
    """
    raw = os.environ.get("SMARKETING_DATA_DIR")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir("smarketing"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(*, production: bool) -> str:
    """Return ``SECRET_KEY``; in the embedded default, generate one and keep it in the data dir."""
    key = os.environ.get("SECRET_KEY")
    if key:
        if production and len(key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production mode")
        return key
    if production:
        raise ConfigError("SECRET_KEY is required when SMARKETING_PRODUCTION=1")
    path = data_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url() -> str:
    """Return ``DATABASE_URL``, defaulting to a SQLite file in the data directory."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if not url.startswith(("sqlite://", "postgres://", "postgresql://", "pgsql://")):
            raise ConfigError(
                f"DATABASE_URL={url!r} is not supported; use sqlite:///PATH or postgres://…"
            )
        return url
    return f"sqlite:///{data_dir() / 'smarketing.sqlite3'}"
