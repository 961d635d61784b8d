"""A split deployment for fault runs, fuzzing and benches: private Redis, flights, reservations, gateway.

Everything lives in one private directory (its own Redis with AOF, its own SQLite files), so a caller
can kill -9 any process, or the Redis server itself, without touching anything else on the machine.
`seed(dir)` migrates and seeds once; `Split` starts services on copies of that seed.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.flights import MARGIN, SEED_DAYS
from tests.support.live import SERVICE_HEADERS, LiveService, base_env, run_manage, start_service
from tests.support.load import (
    Attempt,
    LoadRun,
    PrivateRedis,
    Reserve,
    StoreSnapshot,
    answer_violations,
    gateway_sender,
    invariant_violations,
    seat_chart_sender,
    seat_map_seats,
    store_snapshot,
    summary,
)

CUSTOMERS = 6
# Settings a private deployment must not inherit from the caller's environment (CI points these at the
# shared MariaDB and Redis; a private run keeps its own SQLite files and Redis, and no service token).
_SHARED = ("FLIGHTS_DATABASE_URL", "GATEWAY_DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX")


def private_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """base_env() for a deployment whose state all lives under `var_dir` (plus explicit overrides)."""
    env = base_env(SKYWAY_VAR_DIR=str(var_dir), LOG_LEVEL="WARNING")
    for name in _SHARED:
        env.pop(name, None)
    env.setdefault("SECURE_TRANSPORT", "0")  # plain HTTP on loopback: no HTTPS redirect (docs/adr/0066)
    env.update(overrides)
    return env


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
        self.gateway = self.gateway_on_upstreams(**env)
        return self.gateway

    def gateway_on_upstreams(self, *, threads: int = 6, **env: str) -> LiveService:
        """A gateway (one worker) in front of this split's flights and reservations; `split.gateway`
        stays as it is."""
        assert self.flights is not None
        assert self.reservations is not None
        return self.start(
            "settings.gateway",
            workers=1,
            threads=threads,
            FLIGHTS_URL=self.flights.url,
            RESERVATIONS_URL=self.reservations.url,
            **env,
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of every service log (attached to a failure message)."""
        chunks = []
        for path in sorted(self.root.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            chunks.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(chunks)


_MAKE_CUSTOMERS = """
import json
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

# Only flights still open for booking (the gateway refuses seats on departed flights), earliest first.
_FLIGHT_IDS = """
from datetime import timedelta
from django.utils import timezone
from flights.models import Flight
upcoming = Flight.objects.filter(departure__gt=timezone.now() + timedelta(seconds={margin}))
print("FLIGHTS=" + ",".join(str(f) for f in upcoming.order_by("departure", "flight_no").values_list("flight_id", flat=True)[:{n}]))
"""


def _marker_line(output: str, marker: str) -> str:
    for line in output.splitlines():
        if line.startswith(marker):
            return line[len(marker) :]
    raise AssertionError(f"no {marker} line in:\n{output}")


@dataclass(frozen=True)
class Seeded:
    var_dir: Path
    flight_ids: list[str]
    customers: list[Customer]


def seed(var_dir: Path, *, days: int = SEED_DAYS, customers: int = CUSTOMERS, flights: int = 8) -> Seeded:
    """Migrate and seed SQLite files under `var_dir`: flights (`days` of schedule) and customers with tokens.

    `flight_ids` are the first `flights` flights still open for booking (at least MARGIN away); two
    days of schedule always hold 8 of them, whatever the time of day.
    """
    env = private_env(var_dir)
    run_manage("settings.flights", "migrate_contexts", env=env)
    run_manage("settings.flights", "seed_flights", "--days", str(days), env=env)
    script = _FLIGHT_IDS.format(n=flights, margin=int(MARGIN.total_seconds()))
    out = run_manage("settings.flights", "shell", "-c", script, env=env)
    flight_ids = _marker_line(out, "FLIGHTS=").split(",")
    run_manage("settings.gateway", "migrate_contexts", env=env)
    out = run_manage("settings.gateway", "shell", "-c", _MAKE_CUSTOMERS.format(n=customers), env=env)
    return Seeded(
        var_dir, flight_ids, [Customer(**item) for item in json.loads(_marker_line(out, "CUSTOMERS="))]
    )


def split_on(seeded: Seeded, root: Path) -> None:
    """Copy the seeded files into `root`/var, where a Split rooted at `root` keeps its state."""
    shutil.copytree(seeded.var_dir, root / "var", dirs_exist_ok=True)


def seats_of(split: Split, flight_id: str) -> list[str]:
    """The seat ids of a flight, read from the flights service's seat map."""
    assert split.flights is not None
    response = httpx.get(
        f"{split.flights.url}/flights/{flight_id}/seat_map", headers=SERVICE_HEADERS, timeout=10
    )
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


def gateway_reserves(
    split: Split, tokens: dict[str, str], *, flights: int, threads: int, client_timeout: float, think_s: float
) -> LoadRun:
    """Customers reserving disjoint seats of the first ``flights`` flights through the gateway."""
    assert split.gateway is not None
    return LoadRun(
        send=gateway_sender(split.gateway.url, tokens),
        plans=gateway_plans(split, flights=flights, threads=threads),
        client_timeout=client_timeout,
        think_s=think_s,
    )


def chart_reads(
    split: Split,
    tokens: dict[str, str],
    flight_ids: Sequence[str],
    *,
    client_timeout: float,
    think_s: float,
    repeat: int = 10_000,
) -> LoadRun:
    """The last customers (one per flight, the last for the first) reading its seat chart through the gateway."""
    assert split.gateway is not None
    readers = [split.customers[-1 - i].customer_id for i in range(len(flight_ids))]
    return LoadRun(
        send=seat_chart_sender(split.gateway.url, tokens),
        plans=[
            [Reserve(flight_id, "", reader)] * repeat
            for flight_id, reader in zip(flight_ids, readers, strict=True)
        ],
        client_timeout=client_timeout,
        think_s=think_s,
    )


@dataclass(frozen=True)
class Outage:
    """When a fault run broke something (``down_at``), began to restore it, and had it back."""

    down_at: float
    restart_at: float
    up_at: float

    def inside(self, attempts: list[Attempt]) -> list[Attempt]:
        """The attempts sent after the break and answered before the restore began."""
        return [a for a in attempts if self.down_at < a.started and a.started + a.elapsed < self.restart_at]

    def assert_crossed(self, attempts: list[Attempt], counts: object) -> list[Attempt]:
        """The run really crossed the outage: acknowledgements before and after it, only 503s inside
        it (and some). The acknowledged attempts back."""
        acknowledged = [a for a in attempts if a.acknowledged]
        during_outage = self.inside(attempts)
        assert any(a.started + a.elapsed < self.down_at for a in acknowledged), counts
        assert any(a.started > self.up_at for a in acknowledged), counts
        assert during_outage, counts
        assert all(a.status == 503 for a in during_outage), summary(during_outage)
        return acknowledged


def outage(
    *, before: float, during: float, stop: Callable[[], object], start: Callable[[], object]
) -> Outage:
    """Let the load run ``before`` seconds, ``stop`` something, keep it down ``during`` seconds, ``start`` it."""
    time.sleep(before)
    stop()
    down_at = time.monotonic()
    time.sleep(during)
    restart_at = time.monotonic()
    start()
    return Outage(down_at=down_at, restart_at=restart_at, up_at=time.monotonic())


def gateway_loads_stopped(
    split: Split,
    tokens: dict[str, str],
    reserves: LoadRun,
    reads: LoadRun,
    *,
    flights: int,
    max_wall_s: float,
    drain_s: float = 0.0,
    note: str = "",
) -> tuple[list[Attempt], list[Attempt], dict[str, dict[str, int]]]:
    """Stop a run's gateway reserves (after ``drain_s`` more seconds) and its seat-chart reads, print
    their outcomes (with ``note``) and assert that nothing was lost on the first ``flights`` flights.
    The reserve attempts, the read attempts and the outcomes of both back."""
    reserve_attempts = reserves.stop(drain_s=drain_s)
    read_attempts = reads.stop()
    counts = {"reserve": summary(reserve_attempts), "seat chart": summary(read_attempts)}
    print(f"outcomes: {counts}; {note}")
    assert_no_loss(
        split,
        split.flight_ids[:flights],
        tokens,
        reserve_attempts,
        read_attempts,
        max_wall_s=max_wall_s,
        counts=counts,
    )
    return reserve_attempts, read_attempts, counts


def assert_no_loss(
    split: Split,
    flight_ids: Sequence[str],
    customers: dict[str, str] | Sequence[str],
    reserves: list[Attempt],
    reads: Sequence[Attempt] = (),
    *,
    max_wall_s: float,
    counts: object,
) -> StoreSnapshot:
    """Every acknowledged reserve is in the store, the store equals its log, every answer (reserves and
    seat-chart reads) is a 2xx or a clear refusal within ``max_wall_s``; the store's snapshot back."""
    snapshot = store_snapshot(split.redis.client(), flight_ids, customers=customers)
    violations = invariant_violations(reserves, snapshot, max_wall_s=max_wall_s)
    violations += answer_violations(list(reads), max_wall_s=max_wall_s)
    assert not violations, (
        f"{len(violations)} violations, outcomes {counts}:\n" + "\n".join(violations[:30]) + split.log_tail()
    )
    return snapshot
