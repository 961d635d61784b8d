"""Stop Redis under load and start it again: acknowledged reservations survive, failures are clear 503s.

The reservations service takes steady PUT /reservations traffic (distinct seats, several clients)
while its Redis goes away, either with a clean SHUTDOWN or with kill -9 of redis-server, and comes
back from its append-only file. The server runs `appendfsync always` (ADR 0050): a reply is sent
only after the write is in the AOF and fsynced, so even the crash must not lose an acknowledged seat.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import RECOVERY_S, phase_seconds
from tests.faults.deployment import (
    Split,
    assert_no_loss,
    chart_reads,
    gateway_loads_stopped,
    gateway_reserves,
    outage,
    tokens_of,
)
from tests.support.load import LoadRun, plans_for, reservations_sender, seat_numbers, summary

pytestmark = pytest.mark.faults

CLIENT_TIMEOUT_S = 5.0  # REDIS_TIMEOUT is 1 s: any answer slower than this is a hang
FLIGHTS = [f"fault-redis-{n}" for n in range(8)]


@pytest.mark.parametrize("how", ["shutdown", "kill-9"])
def test_acknowledged_reservations_survive_a_redis_restart(reservations_only: Split, how: str) -> None:
    split = reservations_only
    assert split.reservations is not None
    before, during, after = phase_seconds()
    load = LoadRun(
        send=reservations_sender(split.reservations.url),
        plans=plans_for(FLIGHTS, seat_numbers(range(1, 61)), threads=4, customer_of=lambda i: f"cust-{i}"),
        client_timeout=CLIENT_TIMEOUT_S,
        think_s=0.02,
    ).start()

    # from down_at on nothing can reach Redis
    stop = split.redis.shutdown if how == "shutdown" else split.redis.kill
    window = outage(before=before, during=during, stop=stop, start=split.redis.start)
    attempts = load.stop(drain_s=after)

    counts = summary(attempts)
    print(
        f"outcomes: {counts}; outage {window.restart_at - window.down_at:.1f}s, "
        f"restart {window.up_at - window.restart_at:.1f}s"
    )
    customers = [f"cust-{i}" for i in range(4)]
    snapshot = assert_no_loss(split, FLIGHTS, customers, attempts, max_wall_s=CLIENT_TIMEOUT_S, counts=counts)

    acknowledged = window.assert_crossed(attempts, counts)
    # Replayed from the AOF: the event log holds exactly one SeatReserved per seat held now.
    held = sum(len(seats) for seats in snapshot.hashes.values())
    assert held >= len({a.reserve for a in acknowledged})
    assert sum(1 for e in snapshot.events if e["type"] == "SeatReserved") == held


def test_a_redis_crash_seen_through_the_gateway(split: Split) -> None:
    """The customer's view of the same crash: reserves get 503 + Retry-After, seat charts degrade
    (200, availability unknown) instead of failing, and every acknowledged seat is in Redis after."""
    assert split.gateway is not None
    before, during, after = phase_seconds()
    tokens = tokens_of(split)
    reserves = gateway_reserves(
        split, tokens, flights=2, threads=4, client_timeout=CLIENT_TIMEOUT_S * 2, think_s=0.02
    ).start()
    reads = chart_reads(
        split, tokens, split.flight_ids[3:4], client_timeout=CLIENT_TIMEOUT_S * 2, think_s=0.05
    ).start()
    window = outage(before=before, during=during, stop=split.redis.kill, start=split.redis.start)
    attempts, read_attempts, counts = gateway_loads_stopped(
        split, tokens, reserves, reads, flights=2, max_wall_s=CLIENT_TIMEOUT_S * 2, drain_s=max(after, RECOVERY_S),
        note=f"through the gateway; outage {window.restart_at - window.down_at:.1f}s",
    )  # fmt: skip
    assert set(counts["reserve"]) <= {"200", "201", "503"}, counts
    refused = window.inside(attempts)
    assert refused, counts
    assert all(a.status == 503 and a.retry_after for a in refused), summary(refused)
    charts = window.inside(read_attempts)
    assert charts, counts
    assert all(a.status == 200 and a.body["degraded"] is True for a in charts), summary(charts)
    assert any(a.acknowledged for a in attempts if a.started > window.restart_at), counts
