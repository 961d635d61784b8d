"""kill -9 the flights process under load: the gateway refuses clearly, shows its breaker, recovers.

Customers read seat charts and reserve seats through the gateway while flights dies. Without flights
neither can be answered (the seat map is needed for both), so every request in the outage must be a
503 with Retry-After and a message; the gateway's /health must show the flights breaker open; and once
flights is back (and the breaker's reset time has passed) seat charts are served again, the breaker
shows closed, and nothing acknowledged was lost.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.faults.conftest import BREAKER_RESET_S, phase_seconds
from tests.faults.deployment import (
    Split,
    assert_no_loss,
    chart_reads,
    gateway_loads_stopped,
    gateway_plans,
    gateway_reserves,
    tokens_of,
)
from tests.support.load import LoadRun, gateway_sender, summary

pytestmark = pytest.mark.faults

CLIENT_TIMEOUT_S = 10.0


def flights_breaker(gateway_url: str) -> tuple[int, str, str]:
    """(HTTP status, overall status, flights breaker state) of the gateway's /health."""
    response = httpx.get(f"{gateway_url}/health", timeout=CLIENT_TIMEOUT_S)
    body = response.json()
    check = body["checks"]["flights:default:responseTime"][0]
    return response.status_code, body["status"], check["breaker"]


def wait_for_breaker(gateway_url: str, state: str, timeout: float) -> tuple[int, str, str]:
    deadline = time.monotonic() + timeout
    seen = flights_breaker(gateway_url)
    while seen[2] != state and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = flights_breaker(gateway_url)
    return seen


def test_flights_crash_gives_503_with_retry_after_and_the_gateway_recovers(split: Split) -> None:
    assert split.gateway is not None
    assert split.flights is not None
    before, during, after = phase_seconds()
    tokens = tokens_of(split)
    reserves = gateway_reserves(
        split, tokens, flights=2, threads=3, client_timeout=CLIENT_TIMEOUT_S, think_s=0.03
    )
    reads = chart_reads(split, tokens, split.flight_ids[:2], client_timeout=CLIENT_TIMEOUT_S, think_s=0.03)
    reserves.start()
    reads.start()
    time.sleep(before)
    assert flights_breaker(split.gateway.url) == (200, "pass", "closed")

    split.flights.kill()
    down_at = time.monotonic()
    health_down = wait_for_breaker(split.gateway.url, "open", timeout=max(during, 3.0))
    time.sleep(max(0.0, during - (time.monotonic() - down_at)))
    restart_at = time.monotonic()
    split.flights.start()
    up_at = time.monotonic()
    health_up = wait_for_breaker(split.gateway.url, "closed", timeout=BREAKER_RESET_S + 5)
    recovered_at = time.monotonic()
    time.sleep(after)
    reserve_attempts, read_attempts, counts = gateway_loads_stopped(
        split, tokens, reserves, reads, flights=2, max_wall_s=CLIENT_TIMEOUT_S,
        note=f"outage {restart_at - down_at:.1f}s, restart {up_at - restart_at:.1f}s",
    )  # fmt: skip

    # /health: ready but degraded (warn) with the breaker open while flights is down; closed after.
    assert health_down == (200, "warn", "open"), health_down
    assert health_up[2] == "closed", health_up
    for attempts in (reserve_attempts, read_attempts):
        outage = [a for a in attempts if down_at < a.started and a.started + a.elapsed < restart_at]
        assert outage, counts
        assert all(a.status == 503 and a.retry_after for a in outage), summary(outage)
        assert any(a.acknowledged for a in attempts if a.started + a.elapsed < down_at), counts
        late = [a for a in attempts if a.started > recovered_at]
        assert late, counts
        assert all(a.acknowledged for a in late), summary(late)


def test_with_the_seat_map_cache_a_flights_crash_spares_cached_flights_only(split: Split) -> None:
    """GATEWAY_SEAT_MAP_TTL on (the default): charts and reserves of flights already seen keep working
    while flights is down; a flight never seen gets 503 + Retry-After and opens the breaker."""
    assert split.gateway is not None
    assert split.flights is not None
    split.gateway.stop()
    split.gateway.env = {**split.gateway.env, "GATEWAY_SEAT_MAP_TTL": "60"}
    split.gateway.start()
    before, during, _after = phase_seconds()
    tokens = tokens_of(split)
    cached, uncached = split.flight_ids[0], split.flight_ids[5]
    reader = split.customers[-1]
    warm = httpx.get(
        f"{split.gateway.url}/api/flights/{cached}/seats",
        headers={"Authorization": f"Token {reader.token}"},
        timeout=CLIENT_TIMEOUT_S,
    )
    assert warm.status_code == 200
    plans = [
        [r for r in plan if r.flight_id == cached] for plan in gateway_plans(split, flights=1, threads=3)
    ]
    reserves = LoadRun(
        send=gateway_sender(split.gateway.url, tokens),
        plans=plans,
        client_timeout=CLIENT_TIMEOUT_S,
        think_s=0.05,
    )
    reads = chart_reads(split, tokens, [cached], client_timeout=CLIENT_TIMEOUT_S, think_s=0.05)
    split.flights.kill()
    down_at = time.monotonic()
    reserves.start()
    reads.start()
    time.sleep(before)
    probe = httpx.get(
        f"{split.gateway.url}/api/flights/{uncached}/seats",
        headers={"Authorization": f"Token {reader.token}"},
        timeout=CLIENT_TIMEOUT_S,
    )
    health = wait_for_breaker(split.gateway.url, "open", timeout=during)
    reserve_attempts, read_attempts = reserves.stop(), reads.stop()
    counts = {"reserve": summary(reserve_attempts), "seat chart": summary(read_attempts)}
    print(
        f"outcomes with flights down {time.monotonic() - down_at:.1f}s, cache on: {counts}; probe {probe.status_code}"
    )

    assert_no_loss(
        split, [cached], tokens, reserve_attempts, read_attempts, max_wall_s=CLIENT_TIMEOUT_S, counts=counts
    )
    assert reserve_attempts, counts
    assert read_attempts, counts
    assert all(a.acknowledged for a in reserve_attempts + read_attempts), counts
    assert probe.status_code == 503, probe.text
    assert probe.headers.get("Retry-After"), probe.headers
    assert probe.json()["detail"]
    assert health == (200, "warn", "open"), health
