"""Environment parsing: every difference between environments is an env var, parsed strictly."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from skyway.env import database_from_env, env_bool, env_int, env_list


def test_booleans_accept_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", default=True) is False


def test_a_malformed_boolean_is_refused_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG")


def test_a_malformed_integer_is_refused(monkeypatch):
    monkeypatch.setenv("SIZE", "12kb")
    with pytest.raises(ImproperlyConfigured, match="SIZE"):
        env_int("SIZE", 1)


def test_lists_are_comma_separated_and_trimmed(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_unset_database_url_falls_back_to_a_sqlite_file_in_wal_mode(monkeypatch, tmp_path):
    monkeypatch.delenv("SOME_DATABASE_URL", raising=False)
    config = database_from_env("SOME_DATABASE_URL", tmp_path / "ctx" / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "ctx" / "db.sqlite3")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert (tmp_path / "ctx").is_dir()


def test_a_mysql_url_is_parsed_by_dj_database_url_with_utf8mb4(monkeypatch, tmp_path):
    monkeypatch.setenv("SOME_DATABASE_URL", "mysql://app:s3cret@db.internal:3307/flights")
    config = database_from_env("SOME_DATABASE_URL", tmp_path / "unused.sqlite3")
    assert config["ENGINE"] == "django.db.backends.mysql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.internal",
        3307,
        "flights",
        "app",
    )
    assert config["OPTIONS"]["charset"] == "utf8mb4"
    assert config["CONN_HEALTH_CHECKS"] is True
