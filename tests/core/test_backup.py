"""Backup and restore: into an empty database, identical row counts, a working login, the
secret key and uploaded files back; SQLite and PostgreSQL (whichever the suite runs on)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection

from smarketing.config.env import data_dir
from smarketing.core.backup import BackupError, backup, restore
from smarketing.crm.models import Contact

SMARKETING = os.path.join(os.path.dirname(sys.executable), "smarketing")
pytestmark = pytest.mark.django_db(transaction=True)


def _cli(*args, env):
    return subprocess.run(
        [SMARKETING, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def target(tmp_path):
    """Environment of an empty second installation on the same kind of database."""
    env = {**os.environ, "SMARKETING_DATA_DIR": str(tmp_path / "restored")}
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        yield env
        return
    name = f"smk_restore_{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    base = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
    subprocess.run(["psql", f"{base}/postgres", "-c", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True)  # fmt: skip
    env["DATABASE_URL"] = f"{base}/{name}"
    yield env
    subprocess.run(["psql", f"{base}/postgres", "-c", f"DROP DATABASE {name}"], check=False,
                   capture_output=True)  # fmt: skip


def test_backup_restores_into_an_empty_database(make_user, tmp_path, target):
    user = make_user("sam", team="Sales")
    user.password = Argon2PasswordHasher().encode("pw-restored", "somesalt1234")
    user.save()
    Contact.objects.create(email="ann@example.com", first_name="Ann")
    media = Path(settings.MEDIA_ROOT) / "imports"
    media.mkdir(parents=True, exist_ok=True)
    (media / "trust-test.csv").write_text("Email\nann@example.com\n")
    archive = tmp_path / "backup.tar.gz"
    manifest = backup(archive)
    assert manifest["tables"]["crm_contact"] == 1

    run = _cli("restore", str(archive), env=target)
    assert run.returncode == 0, run.stderr
    assert "counts identical" in run.stdout
    login = _cli(
        "shell", "-c",
        "from django.contrib.auth import authenticate; "
        "print(bool(authenticate(username='sam', password='pw-restored')))",
        env=target,
    )  # fmt: skip
    assert login.stdout.strip().endswith("True"), login.stdout + login.stderr
    restored_dir = Path(target["SMARKETING_DATA_DIR"])
    assert (restored_dir / "secret_key").read_text() == (data_dir() / "secret_key").read_text()
    assert (restored_dir / "media" / "imports" / "trust-test.csv").is_file()
    # A second restore into the now full database is refused, naming why.
    again = _cli("restore", str(archive), env=target)
    assert again.returncode != 0 and "not empty" in again.stderr


def test_restore_refuses_a_database_with_tables(tmp_path):
    archive = tmp_path / "b.tar.gz"
    backup(archive)
    with pytest.raises(BackupError, match="not empty"):
        restore(archive)
