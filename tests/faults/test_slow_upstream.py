"""A slow upstream (latency past the gateway's read timeout): the gateway still answers within its budget.

The upstream is restarted with the release path's fault injection (skyway/faults.py, FAULT_LATENCY_MS,
allowed because SKYWAY_ENV is not production) so every request to it waits longer than the gateway's
UPSTREAM_READ_TIMEOUT. Customers keep reading seat charts and reserving. Every answer must arrive
within the budget the gateway's own settings imply (attempts x timeout + backoff, plus a margin for
two loaded cores): a bound on hanging, not a performance figure. Failures must be clear 503s, and
nothing acknowledged may be missing from Redis.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import READ_RETRIES, READ_TIMEOUT_S, phase_seconds
from tests.faults.deployment import Split, assert_no_loss, chart_reads, gateway_reserves, tokens_of
from tests.support.load import summary

pytestmark = pytest.mark.faults

LATENCY_MS = int(READ_TIMEOUT_S * 1000 * 2.5)
BACKOFF_MAX_S = 0.55  # tenacity's wait_exponential_jitter(max=0.5, jitter=0.05) in gateway/clients/base.py
# Reads retry (READ_RETRIES + 1 attempts); a reserve is one attempt per upstream, two upstreams in turn.
READ_BUDGET_S = (READ_RETRIES + 1) * READ_TIMEOUT_S + READ_RETRIES * BACKOFF_MAX_S
MARGIN_S = 2.0  # scheduling noise on two shared cores; a hang would blow past it by far
CLIENT_TIMEOUT_S = 15.0


@pytest.mark.parametrize("slow", ["flights", "reservations"])
def test_gateway_answers_within_its_timeout_budget_when_an_upstream_is_slow(split: Split, slow: str) -> None:
    assert split.gateway is not None
    upstream = split.flights if slow == "flights" else split.reservations
    assert upstream is not None
    upstream.stop()
    upstream.env = {**upstream.env, "SKYWAY_ENV": "fault-run", "FAULT_LATENCY_MS": str(LATENCY_MS)}
    upstream.start()

    before, during, _after = phase_seconds()
    tokens = tokens_of(split)
    reserves = gateway_reserves(
        split, tokens, flights=1, threads=3, client_timeout=CLIENT_TIMEOUT_S, think_s=0.05
    )
    reads = chart_reads(
        split, tokens, split.flight_ids[1:3], client_timeout=CLIENT_TIMEOUT_S, think_s=0.05, repeat=1000
    )
    reserves.start()
    reads.run_for(before + during)
    reserve_attempts, read_attempts = reserves.stop(), reads.stop()

    counts = {"reserve": summary(reserve_attempts), "seat chart": summary(read_attempts)}
    slowest = max(a.elapsed for a in reserve_attempts + read_attempts)
    print(
        f"outcomes ({slow} +{LATENCY_MS} ms): {counts}; slowest {slowest:.2f}s, budget {READ_BUDGET_S:.2f}s"
    )
    budget = READ_BUDGET_S + MARGIN_S
    assert_no_loss(
        split, split.flight_ids[:1], tokens, reserve_attempts, read_attempts, max_wall_s=budget, counts=counts
    )
    assert reserve_attempts, counts
    assert read_attempts, counts
    # The fault really bit: a slow flights refuses everything, a slow reservations degrades the chart.
    assert all(a.status == 503 for a in reserve_attempts), counts
    if slow == "flights":
        assert all(a.status == 503 for a in read_attempts), counts
    else:
        assert all(a.status == 200 and a.body["degraded"] is True for a in read_attempts), counts
