"""Fixtures of the fault runs: the split deployment (tests/faults/deployment.py) each test breaks.

FAULTS_DURATION_S bounds the client load of each run (CI sets a shorter one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from skyway.env import env_float
from tests.faults.deployment import Seeded, Split, private_env, seed, split_on
from tests.support.load import PrivateRedis

# Load per fault run: seconds before the fault, the outage itself, and after recovery, split from one knob.
DURATION_S = env_float("FAULTS_DURATION_S", 9.0)
BREAKER_RESET_S = 2.0
READ_TIMEOUT_S = 1.0  # the gateway's UPSTREAM_READ_TIMEOUT in fault runs (default 2 s)
READ_RETRIES = 2
# After an upstream returns, the gateway's breaker may keep refusing until its reset time: a run that
# asserts recovery through the gateway keeps its load going at least this long after the restart.
RECOVERY_S = BREAKER_RESET_S + 2.0


def phase_seconds() -> tuple[float, float, float]:
    """(before, during, after) the fault, from FAULTS_DURATION_S."""
    third = max(DURATION_S / 3, 1.0)
    return third, third, third


@pytest.fixture
def split_env(tmp_path: Path) -> Iterator[Split]:
    """A private directory and Redis (AOF, appendfsync always), and the environment of every service."""
    redis_server = PrivateRedis(tmp_path / "redis").start()
    env = private_env(
        tmp_path / "var",
        REDIS_URL=redis_server.url,
        # Breaker reopens quickly so a fault run sees it open and close within its time budget.
        BREAKER_FAIL_MAX="3",
        BREAKER_RESET_SECONDS=str(BREAKER_RESET_S),
        UPSTREAM_READ_TIMEOUT=str(READ_TIMEOUT_S),
        UPSTREAM_READ_RETRIES=str(READ_RETRIES),
        # No seat-map cache: every request needs flights, the worst case for a flights fault. (The
        # cached case has its own run in test_flights_kill.py.)
        GATEWAY_SEAT_MAP_TTL="0",
        # The runs deal every seat of a flight round-robin to six customers (dozens each): they test
        # faults, not the per-customer seat limit, which tests/security checks on its own.
        MAX_SEATS_PER_CUSTOMER_PER_FLIGHT="0",
    )
    split = Split(root=tmp_path, redis=redis_server, env=env)
    try:
        yield split
    finally:
        for service in reversed(split.services):
            service.kill()
        if redis_server.is_running():
            redis_server.shutdown()


@pytest.fixture
def reservations_only(split_env: Split) -> Split:
    """Reservations as a live process on the private Redis (faults that concern only this context)."""
    split_env.reservations = split_env.start("settings.reservations", workers=2)
    return split_env


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """Migrated, seeded SQLite files (flights, gateway customers with tokens), made once per session."""
    return seed(tmp_path_factory.mktemp("seeded-var"))


@pytest.fixture
def split(split_env: Split, seeded: Seeded) -> Split:
    """flights + reservations + gateway over HTTP on a copy of the seeded files.

    One gateway worker (six threads): circuit breakers live per process, so /health then shows the
    state every request of the run went through.
    """
    split_on(seeded, split_env.root)
    split_env.flight_ids = list(seeded.flight_ids)
    split_env.customers = list(seeded.customers)
    split_env.flights = split_env.start("settings.flights")
    split_env.reservations = split_env.start("settings.reservations")
    split_env.start_gateway()
    return split_env


@pytest.fixture(autouse=True)
def _quiet_http_client_logs(caplog: pytest.LogCaptureFixture) -> None:
    """httpx logs every request at INFO: thousands of lines that would bury a failure's report."""
    caplog.set_level(logging.WARNING, logger="httpx")
