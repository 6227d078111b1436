import pytest

from smarketing.config import env


def test_env_bool_accepts_common_spellings(monkeypatch):
    for raw, expected in [
        ("1", True),
        ("yes", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("", False),
    ]:
        monkeypatch.setenv("X_FLAG", raw)
        assert env.env_bool("X_FLAG", not expected) is expected


def test_env_bool_rejects_typos_loudly(monkeypatch):
    monkeypatch.setenv("DEBUG", "ture")
    with pytest.raises(env.ConfigError, match="DEBUG='ture' is not a boolean"):
        env.env_bool("DEBUG", False)


def test_database_url_defaults_to_sqlite_in_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SMARKETING_DATA_DIR", str(tmp_path))
    assert env.database_url() == f"sqlite:///{tmp_path / 'smarketing.sqlite3'}"


def test_database_url_rejects_unsupported(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://x@y/z")
    with pytest.raises(env.ConfigError, match="not supported"):
        env.database_url()


def test_secret_key_generated_once_and_required_in_production(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SMARKETING_DATA_DIR", str(tmp_path))
    first = env.secret_key(production=False)
    assert len(first) > 40 and env.secret_key(production=False) == first
    with pytest.raises(env.ConfigError, match="SECRET_KEY is required"):
        env.secret_key(production=True)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(env.ConfigError, match="at least 32"):
        env.secret_key(production=True)
