"""One checkout, both modes: the platform's database files serve each deployable alone too (ADR 100)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.faults.deployment import private_env
from tests.support.live import run_manage

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast


def test_the_flights_deployable_alone_runs_on_the_platforms_database_file(tmp_path: Path) -> None:
    """`make run` then `make run-split` in one checkout: flights alone migrates, seeds and reads its
    admin's tables from the file the platform created — and the platform still migrates after it."""
    env = private_env(tmp_path / "var")  # the checkout's own SQLite files, whatever CI points at
    run_manage("settings.platform", "migrate_contexts", env=env)
    run_manage("settings.platform", "seed_flights", "--days", "1", env=env)
    for _ in range(2):  # back and forth between the modes
        run_manage("settings.flights", "migrate_contexts", env=env)
        assert "flights +0" in run_manage("settings.flights", "seed_flights", "--days", "1", env=env)
        assert (
            run_manage(
                "settings.flights",
                "shell",
                "-c",
                "from django.contrib.auth.models import User; print(User.objects.count())",
                env=env,
            ).splitlines()[-1]
            == "0"
        )
        run_manage("settings.platform", "migrate_contexts", env=env)


def test_a_checkout_migrated_the_old_way_heals_itself(tmp_path: Path) -> None:
    """Before ADR 100 the flights file *recorded* Django's apps as applied without their tables."""
    env = private_env(tmp_path / "var")  # the checkout's own SQLite files, whatever CI points at
    run_manage("settings.platform", "migrate_contexts", env=env)
    flights_db = tmp_path / "var" / "flights.sqlite3"
    with sqlite3.connect(flights_db) as db:  # what the old router left behind
        for table in ("django_admin_log", "auth_user_groups", "auth_user_user_permissions", "auth_user",
                      "auth_group_permissions", "auth_permission", "auth_group", "django_content_type",
                      "django_session"):  # fmt: skip
            db.execute(f"DROP TABLE {table}")
    out = run_manage("settings.platform", "migrate_contexts", env=env)
    assert "recreating admin, sessions, contenttypes, auth: recorded without tables" in out
    run_manage("settings.flights", "migrate_contexts", env=env)
    assert "flights +" in run_manage("settings.flights", "seed_flights", "--days", "1", env=env)
