"""The split deployment a fault run breaks: a private Redis, flights, reservations and the gateway.

Everything lives in one private directory per test (its own Redis with AOF, its own SQLite files), so
a test can kill -9 any process, or the Redis server itself, without touching anything else on the
machine. FAULTS_DURATION_S bounds the client load of each run (CI sets a shorter one).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from skyway.env import env_float
from tests.support.live import LiveService, base_env, run_manage, start_service
from tests.support.load import PrivateRedis, Reserve, seat_map_seats

pytestmark = pytest.mark.faults

# Load per fault run: seconds before the fault, the outage itself, and after recovery, split from one knob.
DURATION_S = env_float("FAULTS_DURATION_S", 9.0)
CUSTOMERS = 6
BREAKER_RESET_S = 2.0
READ_TIMEOUT_S = 1.0  # the gateway's UPSTREAM_READ_TIMEOUT in fault runs (default 2 s)
READ_RETRIES = 2


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
            workers=1,
            threads=6,
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
import shutil
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
        BREAKER_RESET_SECONDS=str(BREAKER_RESET_S),
        UPSTREAM_READ_TIMEOUT=str(READ_TIMEOUT_S),
        UPSTREAM_READ_RETRIES=str(READ_RETRIES),
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


@dataclass(frozen=True)
class Seeded:
    var_dir: Path
    flight_ids: list[str]
    customers: list[Customer]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """Migrated, seeded SQLite files (flights, gateway customers with tokens), made once per session."""
    if not _gateway_has_routes():
        pytest.skip("the gateway has no API routes yet (gateway/api/urls.py)")
    var_dir = tmp_path_factory.mktemp("seeded-var")
    env = base_env(SKYWAY_VAR_DIR=str(var_dir), LOG_LEVEL="WARNING")
    run_manage("settings.flights", "migrate_contexts", env=env)
    run_manage("settings.flights", "seed_flights", "--days", "2", env=env)
    out = run_manage("settings.flights", "shell", "-c", _FLIGHT_IDS.format(n=8), env=env)
    flight_ids = _marker_line(out, "FLIGHTS=").split(",")
    run_manage("settings.gateway", "migrate_contexts", env=env)
    out = run_manage("settings.gateway", "shell", "-c", _MAKE_CUSTOMERS.format(n=CUSTOMERS), env=env)
    customers = [Customer(**item) for item in json.loads(_marker_line(out, "CUSTOMERS="))]
    return Seeded(var_dir, flight_ids, customers)


@pytest.fixture
def split(split_env: Split, seeded: Seeded) -> Split:
    """flights + reservations + gateway over HTTP on a copy of the seeded files.

    One gateway worker (six threads): circuit breakers live per process, so /health then shows the
    state every request of the run went through.
    """
    shutil.copytree(seeded.var_dir, split_env.root / "var", dirs_exist_ok=True)
    split_env.flight_ids = list(seeded.flight_ids)
    split_env.customers = list(seeded.customers)
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


def seats_of(split: Split, flight_id: str) -> list[str]:
    """The seat ids of a flight, read from the flights service's seat map."""
    assert split.flights is not None
    response = httpx.get(f"{split.flights.url}/flights/{flight_id}/seat_map", timeout=10)
    response.raise_for_status()
    return seat_map_seats(response.json())


def gateway_plans(split: Split, flights: int, threads: int | None = None) -> list[list[Reserve]]:
    """Disjoint reserve plans for the customers: thread i reserves as customer i, seats dealt round-robin."""
    threads = threads or len(split.customers)
    plans: list[list[Reserve]] = [[] for _ in range(threads)]
    index = 0
    for flight_id in split.flight_ids[:flights]:
        for seat in seats_of(split, flight_id):
            plans[index % threads].append(
                Reserve(flight_id, seat, split.customers[index % threads].customer_id)
            )
            index += 1
    return plans


def tokens_of(split: Split) -> dict[str, str]:
    return {customer.customer_id: customer.token for customer in split.customers}


@pytest.fixture(autouse=True)
def _quiet_http_client_logs(caplog: pytest.LogCaptureFixture) -> None:
    """httpx logs every request at INFO: thousands of lines that would bury a failure's report."""
    caplog.set_level(logging.WARNING, logger="httpx")
