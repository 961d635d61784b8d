"""Per-request receivers with nothing to do are disconnected, and only those (docs/adr/0160)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.core import signals
from django.core.cache import close_caches
from django.db import close_old_connections, reset_queries

from skyway.request_signals import drop_idle_receivers
from skyway.serve import ROOT

DUMMY = {"default": {"ENGINE": "django.db.backends.dummy"}}
SQLITE = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
REDIS = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def receiver_names(signal) -> set[str]:
    return {getattr(receiver, "__name__", repr(receiver)) for receiver in signal._live_receivers(None)[0]}


@pytest.fixture
def restored_signals() -> Iterator[None]:
    """Django's three receivers connected for the test (this process's settings dropped some at
    start), and the two signals' receivers as they were after it."""
    saved = {signal: list(signal.receivers) for signal in (signals.request_started, signals.request_finished)}
    signals.request_started.connect(reset_queries)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    signals.request_finished.connect(close_caches)
    yield
    for signal, receivers in saved.items():
        with signal.lock:
            signal.receivers = receivers
            signal.sender_receivers_cache.clear()


def test_without_sql_or_closing_caches_all_three_go(restored_signals) -> None:
    dropped = drop_idle_receivers(
        databases=DUMMY, caches={"default": LOCMEM, "r": REDIS}, redis_close_default=False
    )

    assert dropped == ["reset_queries", "close_old_connections", "close_caches"]
    assert not {"reset_queries", "close_old_connections"} & receiver_names(signals.request_started)
    assert not {"close_old_connections", "close_caches"} & receiver_names(signals.request_finished)


def test_a_sql_database_keeps_its_receivers(restored_signals) -> None:
    dropped = drop_idle_receivers(databases=SQLITE, caches={"default": LOCMEM}, redis_close_default=False)

    assert dropped == ["close_caches"]
    assert {"reset_queries", "close_old_connections"} <= receiver_names(signals.request_started)
    assert "close_old_connections" in receiver_names(signals.request_finished)


@pytest.mark.parametrize(
    ("cache", "redis_close_default"),
    [
        ({**REDIS, "OPTIONS": {"CLOSE_CONNECTION": True}}, False),
        (REDIS, True),  # DJANGO_REDIS_CLOSE_CONNECTION = True
        (
            {
                "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                "LOCATION": "127.0.0.1:11211",
            },
            False,
        ),
    ],
)
def test_a_cache_that_closes_keeps_close_caches(restored_signals, cache, redis_close_default) -> None:
    dropped = drop_idle_receivers(
        databases=SQLITE, caches={"default": LOCMEM, "c": cache}, redis_close_default=redis_close_default
    )

    assert dropped == []
    assert "close_caches" in receiver_names(signals.request_finished)


@pytest.mark.live
@pytest.mark.parametrize(
    ("deployable", "started", "finished"),
    [
        ("reservations", set(), set()),
        ("gateway", {"reset_queries", "close_old_connections"}, {"close_old_connections"}),
    ],
)
def test_each_deployable_keeps_what_it_needs(deployable, started, finished) -> None:
    code = (
        "import django; django.setup(); from django.core import signals;"
        "from django.core.handlers.wsgi import WSGIHandler;"
        "names = lambda s: sorted(r.__name__ for r in s._live_receivers(None)[0] if r.__name__ != 'reset_urlconf');"
        "print(names(signals.request_started), names(signals.request_finished))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "DJANGO_SETTINGS_MODULE": f"settings.{deployable}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == f"{sorted(started)} {sorted(finished)}"
