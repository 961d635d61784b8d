"""Environment parsing: every difference between environments is an env var, parsed strictly."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from skyway.env import database_from_env, env_bool, env_float, env_int, env_list, env_str


def test_booleans_accept_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", default=True) is False


def test_a_malformed_boolean_is_refused_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG")


@pytest.mark.parametrize("value", ["yes please", "maybe", "2", "truthy"])
def test_a_boolean_with_anything_but_a_boolean_spelling_stops_the_process(monkeypatch, value):
    monkeypatch.setenv("DEBUG", value)
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG")


def test_a_blank_value_means_the_default(monkeypatch):
    monkeypatch.setenv("BLANK", "")
    assert (env_str("BLANK", "d"), env_int("BLANK", 7), env_float("BLANK", 0.5), env_bool("BLANK")) == (
        "d",
        7,
        0.5,
        False,
    )
    assert env_list("BLANK", ["a"]) == ["a"]


def test_a_blank_boolean_keeps_a_secure_default_on(monkeypatch):
    """`SECURE_TRANSPORT=` (blank) must not switch HTTPS off: off is spelled `0`."""
    monkeypatch.setenv("SECURE_TRANSPORT", "")
    assert env_bool("SECURE_TRANSPORT", default=True) is True


def test_a_dollar_in_a_value_is_kept_not_expanded(monkeypatch):
    monkeypatch.setenv("SECRET", "pa$HOME${USER}word")
    assert env_str("SECRET") == "pa$HOME${USER}word"


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


def test_a_malformed_database_url_is_refused_with_the_variable_named(monkeypatch, tmp_path):
    monkeypatch.setenv("SOME_DATABASE_URL", "not a url")
    with pytest.raises(ImproperlyConfigured, match="SOME_DATABASE_URL"):
        database_from_env("SOME_DATABASE_URL", tmp_path / "unused.sqlite3")
