"""The split deployment a fault run breaks: a private Redis, flights, reservations and the gateway.

Everything lives in one private directory per test (its own Redis with AOF, its own SQLite files), so
a test can kill -9 any process, or the Redis server itself, without touching anything else on the
machine. FAULTS_DURATION_S bounds the client load of each run (CI sets a shorter one).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from skyway.env import env_float
from tests.support.live import LiveService, base_env, run_manage, start_service
from tests.support.load import PrivateRedis

pytestmark = pytest.mark.faults

# Load per fault run: seconds before the fault, the outage itself, and after recovery, split from one knob.
DURATION_S = env_float("FAULTS_DURATION_S", 9.0)
CUSTOMERS = 6


def phase_seconds() -> tuple[float, float, float]:
    """(before, during, after) the fault, from FAULTS_DURATION_S."""
    third = max(DURATION_S / 3, 1.0)
    return third, third, third


@dataclass
class Customer:
    username: str
    customer_id: str
    token: str


@dataclass
class Split:
    """The deployment of one fault run and what a test needs to drive it."""

    root: Path
    redis: PrivateRedis
    env: dict[str, str]
    flights: LiveService | None = None
    reservations: LiveService | None = None
    gateway: LiveService | None = None
    customers: list[Customer] = field(default_factory=list)
    flight_ids: list[str] = field(default_factory=list)
    services: list[LiveService] = field(default_factory=list)

    def start(self, settings_module: str, *, workers: int = 2, threads: int = 1, **env: str) -> LiveService:
        service = start_service(
            settings_module, env={**self.env, **env}, workers=workers, threads=threads, log_dir=self.root
        )
        self.services.append(service)
        return service

    def start_gateway(self, **env: str) -> LiveService:
        assert self.flights is not None
        assert self.reservations is not None
        self.gateway = self.start(
            "settings.gateway",
            threads=4,
            FLIGHTS_URL=self.flights.url,
            RESERVATIONS_URL=self.reservations.url,
            **env,
        )
        return self.gateway

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of every service log (attached to a failure message)."""
        chunks = []
        for path in sorted(self.root.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            chunks.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(chunks)


_MAKE_CUSTOMERS = """
import json
import logging
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
User = get_user_model()
out = []
for i in range({n}):
    user, _ = User.objects.get_or_create(username=f"fault-customer-{{i}}")
    user.set_password("not-a-demo-password-{{i}}")
    user.save()
    token, _ = Token.objects.get_or_create(user=user)
    out.append({{"username": user.username, "customer_id": str(user.pk), "token": token.key}})
print("CUSTOMERS=" + json.dumps(out))
"""

_FLIGHT_IDS = """
from flights.models import Flight
print("FLIGHTS=" + ",".join(str(f) for f in Flight.objects.order_by("departure").values_list("flight_id", flat=True)[:{n}]))
"""


def _marker_line(output: str, marker: str) -> str:
    for line in output.splitlines():
        if line.startswith(marker):
            return line[len(marker) :]
    raise AssertionError(f"no {marker} line in:\n{output}")


@pytest.fixture
def split_env(tmp_path: Path) -> Iterator[Split]:
    """A private directory and Redis (AOF, appendfsync always), and the environment of every service."""
    redis_server = PrivateRedis(tmp_path / "redis").start()
    env = base_env(
        SKYWAY_VAR_DIR=str(tmp_path / "var"),
        REDIS_URL=redis_server.url,
        REDIS_KEY_PREFIX="",
        LOG_LEVEL="WARNING",
        # Breaker reopens quickly so a fault run sees it open and close within its time budget.
        BREAKER_FAIL_MAX="3",
        BREAKER_RESET_SECONDS="2",
    )
    env.pop("SERVICE_TOKEN", None)
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
    """Reservations under gunicorn on the private Redis (faults that concern only this context)."""
    split_env.reservations = split_env.start("settings.reservations", workers=2)
    return split_env


@pytest.fixture
def split(split_env: Split) -> Split:
    """flights + reservations + gateway over HTTP, seeded flights and a few customers with tokens."""
    if not _gateway_has_routes():
        pytest.skip("the gateway has no API routes yet (gateway/api/urls.py)")
    run_manage("settings.flights", "migrate_contexts", env=split_env.env)
    run_manage("settings.flights", "seed_flights", "--days", "2", env=split_env.env)
    out = run_manage("settings.flights", "shell", "-c", _FLIGHT_IDS.format(n=8), env=split_env.env)
    split_env.flight_ids = _marker_line(out, "FLIGHTS=").split(",")
    run_manage("settings.gateway", "migrate_contexts", env=split_env.env)
    out = run_manage(
        "settings.gateway", "shell", "-c", _MAKE_CUSTOMERS.format(n=CUSTOMERS), env=split_env.env
    )
    split_env.customers = [Customer(**item) for item in json.loads(_marker_line(out, "CUSTOMERS="))]
    split_env.flights = split_env.start("settings.flights")
    split_env.reservations = split_env.start("settings.reservations")
    split_env.start_gateway()
    return split_env


def _gateway_has_routes() -> bool:
    from django.urls import get_resolver

    return any(str(p.pattern).startswith("api/") for p in get_resolver("gateway.api.urls").url_patterns)


def gateway_get(split: Split, path: str, customer: Customer, timeout: float = 10.0) -> httpx.Response:
    assert split.gateway is not None
    return httpx.get(
        f"{split.gateway.url}{path}", headers={"Authorization": f"Token {customer.token}"}, timeout=timeout
    )


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in {"", "0"}


@pytest.fixture(autouse=True)
def _quiet_http_client_logs(caplog: pytest.LogCaptureFixture) -> None:
    """httpx logs every request at INFO: thousands of lines that would bury a failure's report."""
    caplog.set_level(logging.WARNING, logger="httpx")
