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
from tests.faults.deployment import Split, assert_no_loss, chart_reads, gateway_reserves, outage, tokens_of
from tests.support.load import summary

pytestmark = pytest.mark.faults

CLIENT_TIMEOUT_S = 10.0  # well above the gateway's own budget: hitting it means a hang


def test_reservations_crash_loses_no_acknowledged_seat(split: Split) -> None:
    assert split.gateway is not None
    assert split.reservations is not None
    before, during, after = phase_seconds()
    tokens = tokens_of(split)
    load = gateway_reserves(
        split, tokens, flights=4, threads=4, client_timeout=CLIENT_TIMEOUT_S, think_s=0.02
    )
    load.start()
    # Two more customers keep reading a seat chart: it must degrade (200, availability unknown), not fail.
    reads = chart_reads(split, tokens, split.flight_ids[4:6], client_timeout=CLIENT_TIMEOUT_S, think_s=0.05)
    reads.start()

    window = outage(
        before=before, during=during, stop=split.reservations.kill, start=split.reservations.start
    )
    attempts = load.stop(drain_s=max(after, RECOVERY_S))
    read_attempts = reads.stop()

    counts = summary(attempts)
    print(
        f"outcomes: {counts}, seat chart {summary(read_attempts)}; outage {window.restart_at - window.down_at:.1f}s, restart {window.up_at - window.restart_at:.1f}s"
    )
    assert_no_loss(
        split,
        split.flight_ids[:4],
        tokens,
        attempts,
        read_attempts,
        max_wall_s=CLIENT_TIMEOUT_S,
        counts=counts,
    )
    # Disjoint seats: the only refusal that may happen is "reservations unavailable".
    assert set(counts) <= {"200", "201", "503"}, counts

    window.assert_crossed(attempts, counts)
    # The seat chart needs only flights to render: during the outage it is served, marked degraded.
    reads_in_outage = window.inside(read_attempts)
    assert reads_in_outage, summary(read_attempts)
    assert all(a.status == 200 and a.body["degraded"] is True for a in reads_in_outage), summary(
        reads_in_outage
    )
    late_reads = [a for a in read_attempts if a.started > window.up_at]
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
    load = gateway_reserves(
        split, tokens, flights=4, threads=4, client_timeout=CLIENT_TIMEOUT_S, think_s=0.02
    )
    load.start()
    time.sleep(before)
    for _ in range(2):
        os.kill(split.reservations.process.pid, signal.SIGHUP)
        time.sleep(during / 2)
    attempts = load.stop(drain_s=after)

    counts = summary(attempts)
    print(f"outcomes across two reloads: {counts}")
    assert_no_loss(split, split.flight_ids[:4], tokens, attempts, max_wall_s=CLIENT_TIMEOUT_S, counts=counts)
    assert set(counts) <= {"200", "201", "503"}, counts
    assert split.reservations.process.poll() is None  # the master survived its reloads
