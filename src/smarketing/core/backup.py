"""Backups: one archive holding the database, the secret key and the uploaded files.

``smarketing backup FILE`` writes a ``.tar.gz`` while the app keeps running:

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
  page by page while others read and write (WAL mode);
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot transaction);
- the ``secret_key`` file of the data directory (sessions and share links are signed with it;
  when ``SECRET_KEY`` comes from the environment, keep that value with the backup yourself);
- ``MEDIA_ROOT`` (uploaded import files);
- ``manifest.json``: format, engine, time, and the row count of every table.

``smarketing restore FILE`` loads it into an **empty** database (it refuses a database that
has tables), puts back the secret key (a key the empty target had is kept as ``secret_key.before-restore``)
and the files, and compares every
table's row count with the manifest.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404: fixed argument lists, no shell
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

from smarketing.config.env import data_dir

FORMAT = 1


class BackupError(RuntimeError):
    """A backup or restore cannot proceed; the message says why."""


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


def row_counts() -> dict[str, int]:
    """Rows in every table of the database, by table name."""
    tables = sorted(connection.introspection.table_names())
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608: introspected, quoted names
            counts[table] = cursor.fetchone()[0]
    return counts


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):  # fmt: skip
        if db.get(key):
            env[var] = str(db[key])
    return env


def _dump_database(target: Path) -> None:
    if _engine() == "sqlite":
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
        return
    run = subprocess.run(  # noqa: S603  # nosec B603 B607: pg_dump from PATH, no shell
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(target)],  # noqa: S607
        env=_pg_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode:
        raise BackupError(f"pg_dump failed: {run.stderr.strip()}")


def backup(path: str | os.PathLike) -> dict:
    """Write a backup archive to ``path``; returns its manifest."""
    path = Path(path)
    engine = _engine()
    manifest = {
        "format": FORMAT,
        "engine": engine,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "tables": row_counts(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / ("database.sqlite3" if engine == "sqlite" else "database.dump")
        _dump_database(dump)
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=dump.name)
            key = data_dir() / "secret_key"
            if key.is_file():
                tar.add(key, arcname="secret_key")
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                tar.add(media, arcname="media")
        os.replace(partial, path)
    return manifest


def _safe_members(tar: tarfile.TarFile):
    for member in tar.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or member.issym() or member.islnk():
            raise BackupError(f"refusing archive member {member.name!r}")
        yield member


def restore(path: str | os.PathLike) -> dict:
    """Restore the archive at ``path`` into the (empty) configured database; returns a report."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    if connection.introspection.table_names():
        raise BackupError(
            "the database is not empty; restore into a new, empty database (create it, set "
            "DATABASE_URL, then run restore before migrate)"
        )
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(path, "r:gz") as tar:
        tar.extractall(tmp, members=list(_safe_members(tar)))  # noqa: S202  # nosec B202: members checked
        root = Path(tmp)
        manifest = json.loads((root / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        if manifest["engine"] != _engine():
            raise BackupError(
                f"this is a {manifest['engine']} backup; the configured database is {_engine()}"
            )
        if _engine() == "sqlite":
            connection.close()
            source = sqlite3.connect(root / "database.sqlite3")
            dest = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            try:
                with dest:
                    source.backup(dest)
            finally:
                dest.close()
                source.close()
        else:
            run = subprocess.run(  # noqa: S603  # nosec B603 B607: pg_restore from PATH, no shell
                ["pg_restore", "--no-owner", "--exit-on-error", "--dbname",  # noqa: S607
                 _pg_env()["PGDATABASE"], str(root / "database.dump")],
                env=_pg_env(), capture_output=True, text=True, check=False,
            )  # fmt: skip
            if run.returncode:
                raise BackupError(f"pg_restore failed: {run.stderr.strip()}")
        key = data_dir() / "secret_key"
        restored_key = False
        # The target database was empty, so a key generated for it signed nothing yet: the
        # backup's key wins (sessions and share links keep working); the old one is kept aside.
        if (root / "secret_key").is_file():
            if key.exists() and key.read_bytes() != (root / "secret_key").read_bytes():
                os.replace(key, key.with_name("secret_key.before-restore"))
            shutil.copyfile(root / "secret_key", key)
            key.chmod(0o600)
            restored_key = True
        if (root / "media").is_dir():
            shutil.copytree(root / "media", settings.MEDIA_ROOT, dirs_exist_ok=True)
    counts = row_counts()
    expected = manifest["tables"]
    mismatched = {t: (n, counts.get(t)) for t, n in expected.items() if counts.get(t) != n}
    return {
        "tables": len(expected),
        "rows": sum(expected.values()),
        "mismatched": mismatched,
        "secret_key_restored": restored_key,
    }
