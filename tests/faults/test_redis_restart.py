"""Stop Redis under load and start it again: acknowledged reservations survive, failures are clear 503s.

The reservations service takes steady PUT /reservations traffic (distinct seats, several clients)
while its Redis goes away, either with a clean SHUTDOWN or with kill -9 of redis-server, and comes
back from its append-only file. The server runs `appendfsync always` (ADR 0050): a reply is sent
only after the write is in the AOF and fsynced, so even the crash must not lose an acknowledged seat.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import RECOVERY_S, phase_seconds
from tests.faults.deployment import Split, gateway_plans, tokens_of
from tests.support.load import (
    LoadRun,
    Reserve,
    answer_violations,
    gateway_sender,
    invariant_violations,
    plans_for,
    reservations_sender,
    seat_chart_sender,
    seat_numbers,
    store_snapshot,
    summary,
)

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

    time.sleep(before)
    split.redis.shutdown() if how == "shutdown" else split.redis.kill()
    down_at = time.monotonic()  # from here on nothing can reach Redis
    time.sleep(during)
    restart_at = time.monotonic()
    split.redis.start()
    up_at = time.monotonic()
    attempts = load.stop(drain_s=after)

    snapshot = store_snapshot(split.redis.client(), FLIGHTS, customers=[f"cust-{i}" for i in range(4)])
    violations = invariant_violations(attempts, snapshot, max_wall_s=CLIENT_TIMEOUT_S)
    counts = summary(attempts)
    print(f"outcomes: {counts}; outage {restart_at - down_at:.1f}s, restart {up_at - restart_at:.1f}s")
    assert not violations, f"{len(violations)} violations, outcomes {counts}:\n" + "\n".join(violations[:30])

    acknowledged = [a for a in attempts if a.acknowledged]
    during_outage = [a for a in attempts if down_at < a.started and a.started + a.elapsed < restart_at]
    # The run really crossed the outage: acknowledgements before and after it, 503s inside it.
    assert any(a.started + a.elapsed < down_at for a in acknowledged), counts
    assert any(a.started > up_at for a in acknowledged), counts
    assert during_outage, counts
    assert all(a.status == 503 for a in during_outage), summary(during_outage)
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
    reserves = LoadRun(
        send=gateway_sender(split.gateway.url, tokens),
        plans=gateway_plans(split, flights=2, threads=4),
        client_timeout=CLIENT_TIMEOUT_S * 2,
        think_s=0.02,
    ).start()
    reader = split.customers[-1]
    reads = LoadRun(
        send=seat_chart_sender(split.gateway.url, tokens),
        plans=[[Reserve(split.flight_ids[3], "", reader.customer_id)] * 10_000],
        client_timeout=CLIENT_TIMEOUT_S * 2,
        think_s=0.05,
    ).start()
    time.sleep(before)
    split.redis.kill()
    down_at = time.monotonic()
    time.sleep(during)
    restart_at = time.monotonic()
    split.redis.start()
    attempts = reserves.stop(drain_s=max(after, RECOVERY_S))
    read_attempts = reads.stop()

    counts = {"reserve": summary(attempts), "seat chart": summary(read_attempts)}
    print(f"outcomes through the gateway: {counts}; outage {restart_at - down_at:.1f}s")
    snapshot = store_snapshot(split.redis.client(), split.flight_ids[:2], customers=tokens)
    violations = invariant_violations(attempts, snapshot, max_wall_s=CLIENT_TIMEOUT_S * 2)
    violations += answer_violations(read_attempts, max_wall_s=CLIENT_TIMEOUT_S * 2)
    assert not violations, f"{counts}:\n" + "\n".join(violations[:30]) + split.log_tail()
    assert set(counts["reserve"]) <= {"200", "201", "503"}, counts
    outage = [a for a in attempts if down_at < a.started and a.started + a.elapsed < restart_at]
    assert outage, counts
    assert all(a.status == 503 and a.retry_after for a in outage), summary(outage)
    charts = [a for a in read_attempts if down_at < a.started and a.started + a.elapsed < restart_at]
    assert charts, counts
    assert all(a.status == 200 and a.body["degraded"] is True for a in charts), summary(charts)
    assert any(a.acknowledged for a in attempts if a.started > restart_at), counts
