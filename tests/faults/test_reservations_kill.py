"""kill -9 the reservations process under load through the gateway, then restart it: nothing is lost.

Six customers reserve distinct seats through the gateway. The reservations master and all its workers
die with SIGKILL mid-request and come back on the same port. Every 2xx must be in Redis with its
customer, the hash must equal the replayed event log (no seat given twice), and while reservations
is down every reserve must get a 503 with Retry-After and a message, within the client timeout.
"""

from __future__ import annotations

import os
import signal
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
    seat_chart_sender,
    store_snapshot,
    summary,
)

pytestmark = pytest.mark.faults

CLIENT_TIMEOUT_S = 10.0  # well above the gateway's own budget: hitting it means a hang


def test_reservations_crash_loses_no_acknowledged_seat(split: Split) -> None:
    assert split.gateway is not None
    assert split.reservations is not None
    before, during, after = phase_seconds()
    tokens = tokens_of(split)
    load = LoadRun(
        send=gateway_sender(split.gateway.url, tokens),
        plans=gateway_plans(split, flights=4, threads=4),
        client_timeout=CLIENT_TIMEOUT_S,
        think_s=0.02,
    ).start()
    # Two more customers keep reading a seat chart: it must degrade (200, availability unknown), not fail.
    readers = [split.customers[-1 - i].customer_id for i in range(2)]
    reads = LoadRun(
        send=seat_chart_sender(split.gateway.url, tokens),
        plans=[
            [Reserve(split.flight_ids[4 + i], "", customer)] * 10_000 for i, customer in enumerate(readers)
        ],
        client_timeout=CLIENT_TIMEOUT_S,
        think_s=0.05,
    ).start()

    time.sleep(before)
    split.reservations.kill()
    down_at = time.monotonic()
    time.sleep(during)
    restart_at = time.monotonic()
    split.reservations.start()
    up_at = time.monotonic()
    attempts = load.stop(drain_s=max(after, RECOVERY_S))
    read_attempts = reads.stop()

    snapshot = store_snapshot(split.redis.client(), split.flight_ids[:4], customers=tokens)
    violations = invariant_violations(attempts, snapshot, max_wall_s=CLIENT_TIMEOUT_S)
    violations += answer_violations(read_attempts, max_wall_s=CLIENT_TIMEOUT_S)
    counts = summary(attempts)
    print(
        f"outcomes: {counts}, seat chart {summary(read_attempts)}; outage {restart_at - down_at:.1f}s, restart {up_at - restart_at:.1f}s"
    )
    assert not violations, (
        f"{len(violations)} violations, outcomes {counts}:\n" + "\n".join(violations[:30]) + split.log_tail()
    )
    # Disjoint seats: the only refusal that may happen is "reservations unavailable".
    assert set(counts) <= {"200", "201", "503"}, counts

    acknowledged = [a for a in attempts if a.acknowledged]
    during_outage = [a for a in attempts if down_at < a.started and a.started + a.elapsed < restart_at]
    assert any(a.started + a.elapsed < down_at for a in acknowledged), counts
    assert any(a.started > up_at for a in acknowledged), counts
    assert during_outage, counts
    assert all(a.status == 503 for a in during_outage), summary(during_outage)
    # The seat chart needs only flights to render: during the outage it is served, marked degraded.
    reads_in_outage = [a for a in read_attempts if down_at < a.started and a.started + a.elapsed < restart_at]
    assert reads_in_outage, summary(read_attempts)
    assert all(a.status == 200 and a.body["degraded"] is True for a in reads_in_outage), summary(
        reads_in_outage
    )
    late_reads = [a for a in read_attempts if a.started > up_at]
    assert any(a.status == 200 and a.body["degraded"] is False for a in late_reads), summary(late_reads)


def test_graceful_reloads_of_reservations_lose_nothing(split: Split) -> None:
    """Two graceful reloads (SIGHUP: new workers, old ones drain) under load through the gateway.

    What a config reload or in-place upgrade does. Requests that meet a booting worker may time out
    at the gateway (503, a clear refusal); nothing acknowledged may be lost and nothing may hang.
    """
    assert split.gateway is not None
    assert split.reservations is not None
    assert split.reservations.process is not None
    before, during, after = phase_seconds()
    tokens = tokens_of(split)
    load = LoadRun(
        send=gateway_sender(split.gateway.url, tokens),
        plans=gateway_plans(split, flights=4, threads=4),
        client_timeout=CLIENT_TIMEOUT_S,
        think_s=0.02,
    ).start()
    time.sleep(before)
    for _ in range(2):
        os.kill(split.reservations.process.pid, signal.SIGHUP)
        time.sleep(during / 2)
    attempts = load.stop(drain_s=after)

    counts = summary(attempts)
    print(f"outcomes across two reloads: {counts}")
    snapshot = store_snapshot(split.redis.client(), split.flight_ids[:4], customers=tokens)
    violations = invariant_violations(attempts, snapshot, max_wall_s=CLIENT_TIMEOUT_S)
    assert not violations, f"{counts}:\n" + "\n".join(violations[:30]) + split.log_tail()
    assert set(counts) <= {"200", "201", "503"}, counts
    assert split.reservations.process.poll() is None  # the master survived its reloads
