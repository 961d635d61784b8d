"""SIGKILL a master under load: its replica is promoted; with replica acks on, no acknowledged
reservation is lost; with them off, the loss is counted and printed (docs/adr/0139).

The load: client threads reserving distinct seats on flights of every shard, through the reservations
deployable, each seat retried until acknowledged (tests/support/load.LoadRun). An acknowledgement is a
200. The master is killed once it holds acknowledged seats; after the promotion the old master comes
back as the new one's replica and the load goes on until more seats are acknowledged; then the cluster
is read back: every acknowledged seat must be there, held by its customer.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.test import override_settings

from reservations import store
from reservations.errors import StoreUnavailable
from tests.cluster.conftest import PREFIX, caches_on, cluster_client, figure, reservations_on
from tests.support.load import LoadRun, Reserve, flight_key, reservations_sender, seat_numbers
from tests.support.redis_cluster import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.live]

FLIGHTS = [f"fo-{n}" for n in range(24)]
THREADS = 8
ACKED_BEFORE_KILL = 10  # acknowledged seats on the master to kill before it is killed
ACKED_AFTER_PROMOTION = 10  # more acknowledged seats (any shard) before the load stops


def _acked(load: LoadRun, flights: set[str] | None = None, since: float = 0.0) -> int:
    with load._lock:
        return sum(
            1
            for a in load.attempts
            if a.acknowledged and a.started >= since and (flights is None or a.reserve.flight_id in flights)
        )


def _run_with_a_master_killed(cluster, tmp_path, **env: str) -> dict:
    service = reservations_on(cluster, tmp_path, workers=2, threads=4, **env)
    redis = cluster_client(cluster)
    victim = cluster.masters()[0]
    on_victim = {f for f in FLIGHTS if cluster.master_of_key(flight_key(f, PREFIX)) == victim}
    # seat-major: each thread's consecutive seats are on different flights, so on every shard
    pairs = [(flight, seat) for seat in seat_numbers(range(1, 31)) for flight in FLIGHTS]
    plans = [[Reserve(f, s, f"cust-{i}") for f, s in pairs[i::THREADS]] for i in range(THREADS)]
    load = LoadRun(
        reservations_sender(service.url), plans, client_timeout=5.0, think_s=0.002, retry_pause_s=0.05
    )
    try:
        load.start()
        wait_for(lambda: _acked(load, on_victim) >= ACKED_BEFORE_KILL, timeout=90, what="acks on the victim")
        killed_at = time.monotonic()
        cluster.kill_master_and_wait_for_promotion(victim)
        promoted_at = time.monotonic()
        # The shard's new master has no replica, so with acks on it acknowledges nothing until the old
        # master is back, as its replica (a managed service replaces the failed node the same way).
        cluster.restart(victim)
        cluster.wait_replicated()
        wait_for(
            lambda: _acked(load, since=promoted_at) >= ACKED_AFTER_PROMOTION, timeout=90, what="acks after"
        )
        attempts = load.stop()
    finally:
        service.stop()
    cluster.wait_ok()
    acked = {(a.reserve.flight_id, a.reserve.seat): a.reserve.customer_id for a in attempts if a.acknowledged}
    lost = sorted(
        pair
        for pair, customer in acked.items()
        if redis.hget(flight_key(pair[0], PREFIX), pair[1]) != customer
    )
    return {
        "attempts": len(attempts),
        "acked": len(acked),
        "acked_on_the_killed_shard": sum(1 for flight, _ in acked if flight in on_victim),
        "acked_there_before_the_kill": _acked_before(attempts, on_victim, killed_at),
        "unacknowledged_answers": sum(1 for a in attempts if not a.acknowledged),
        "promotion_s": round(promoted_at - killed_at, 2),
        "lost": lost,
        "lost_on_other_shards": [pair for pair in lost if pair[0] not in on_victim],
    }


def _acked_before(attempts, flights: set[str], moment: float) -> int:
    return sum(
        1 for a in attempts if a.acknowledged and a.reserve.flight_id in flights and a.started < moment
    )


def test_with_replica_acks_no_acknowledged_reservation_is_lost_when_a_master_is_killed(
    private_cluster, tmp_path
):
    figures = _run_with_a_master_killed(
        private_cluster, tmp_path, RESERVATIONS_WAIT_REPLICAS="1", RESERVATIONS_WAIT_TIMEOUT_MS="200"
    )
    figure(f"replica acks on: {figures | {'lost': len(figures['lost'])}}")
    assert figures["lost_on_other_shards"] == []

    assert figures["acked_there_before_the_kill"] > 0  # the killed master held acknowledged seats
    assert figures["lost"] == []


def test_without_replica_acks_the_loss_at_failover_is_counted(private_cluster, tmp_path):
    figures = _run_with_a_master_killed(private_cluster, tmp_path, RESERVATIONS_WAIT_REPLICAS="0")
    figure(
        f"replica acks off: {len(figures['lost'])} of {figures['acked_on_the_killed_shard']} acknowledged "
        f"reservations on the killed shard lost ({figures | {'lost': figures['lost'][:10]}})"
    )

    assert figures["acked_there_before_the_kill"] > 0
    # Asynchronous replication can lose only the killed master's last writes: other shards lose nothing.
    assert figures["lost_on_other_shards"] == []


@pytest.mark.parametrize("acks", [True, False], ids=["replica acks on", "replica acks off"])
def test_a_replica_promoted_behind_its_master_loses_only_what_was_never_acknowledged(private_cluster, acks):
    """The loss made certain: the replica is cut off (stopped, its link killed) while a seat is reserved,
    then its master is killed and it is promoted without that write. With acks off the client was told
    "reserved" and the seat is gone; with acks on it was told 503 and nothing acknowledged is missing."""
    cluster = private_cluster
    with override_settings(
        CACHES=caches_on(cluster),
        EMBEDDED_REDIS_DIR=None,
        RESERVATIONS_WAIT_REPLICAS=1 if acks else 0,
        RESERVATIONS_WAIT_TIMEOUT_MS=100,
    ):
        store.reservation_add(
            flight_id="LAG", seat_no="1A", customer_id="early"
        )  # replicated: acked both ways
        key = store._conn().flight_key("LAG")
        master = cluster.master_of_key(key)
        (replica,) = cluster.replicas_of(master)
        with cluster.node(master).client() as client:
            assert client.wait(1, 5000) == 1

        os.kill(cluster.node(replica).pid, signal.SIGSTOP)
        with cluster.node(master).client() as client:
            client.client_kill_filter(_type="replica")
        try:
            store.reservation_add(flight_id="LAG", seat_no="2B", customer_id="late")
            acknowledged = True
        except StoreUnavailable:
            acknowledged = False
        cluster.kill(master)
        os.kill(cluster.node(replica).pid, signal.SIGCONT)
        assert cluster.wait_for_promotion([replica]) == replica

    seats = cluster_client(cluster).hgetall(key)
    lost = [seat for seat in ["2B"] if acknowledged and seats.get(seat) != "late"]
    figure(
        f"replica acks {'on' if acks else 'off'}: 2B acknowledged={acknowledged}, after failover {seats}, lost {lost}"
    )
    assert seats.get("1A") == "early"
    assert "2B" not in seats  # the promoted replica never had it
    if acks:
        assert not acknowledged
        assert lost == []
    else:
        assert acknowledged
        assert lost == ["2B"]  # an acknowledged reservation lost: what replica acks prevent
