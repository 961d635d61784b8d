"""Replica acks (RESERVATIONS_WAIT_REPLICAS, docs/adr/0139): a seat change is acknowledged only once a
replica has it; WAIT runs on the write's own connection, on the master of the flight's slot."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from reservations import holds, store
from reservations.errors import StoreUnavailable
from settings._redis import reservations_cache
from tests.cluster.conftest import caches_on
from tests.support.internal import internal_client
from tests.support.redis_cluster import LocalCluster

pytestmark = pytest.mark.cluster


@contextmanager
def replica_acks(cluster: LocalCluster, *, timeout_ms: int = 200) -> Iterator[None]:
    with override_settings(
        CACHES=caches_on(cluster),
        EMBEDDED_REDIS_DIR=None,
        RESERVATIONS_WAIT_REPLICAS=1,
        RESERVATIONS_WAIT_TIMEOUT_MS=timeout_ms,
    ):
        yield


@contextmanager
def frozen(cluster: LocalCluster, port: int) -> Iterator[None]:
    """SIGSTOP a node (it neither acks nor answers) for the block; SIGCONT after."""
    node = cluster.node(port)
    os.kill(node.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(node.pid, signal.SIGCONT)


def _commandstat(cluster: LocalCluster, port: int, command: str) -> int:
    stats = cluster.node(port).info("commandstats")
    return stats.get(f"cmdstat_{command}", {}).get("calls", 0)


def _master_of_flight(cluster: LocalCluster, flight_id: str) -> int:
    return cluster.master_of_key(store._conn().flight_key(flight_id))


def test_with_replica_acks_a_reserve_waits_on_the_master_of_its_flight(on_cluster):
    with replica_acks(on_cluster):
        master = _master_of_flight(on_cluster, "ACK1")
        store.reservation_add(flight_id="ACK1", seat_no="9F", customer_id="c9")  # the scripts are loaded
        store.reservation_remove(flight_id="ACK1", seat_no="9F", customer_id="c9")
        waits = _commandstat(on_cluster, master, "wait")

        assert (
            store.reservation_add(flight_id="ACK1", seat_no="1A", customer_id="c1")
            is store.ReserveResult.RESERVED
        )
        assert (
            store.reservation_remove(flight_id="ACK1", seat_no="1A", customer_id="c1")
            is store.ReleaseResult.RELEASED
        )

        assert _commandstat(on_cluster, master, "wait") == waits + 2


def test_without_replica_acks_no_wait_is_sent(on_cluster):
    with override_settings(
        CACHES=caches_on(on_cluster), EMBEDDED_REDIS_DIR=None, RESERVATIONS_WAIT_REPLICAS=0
    ):
        master = _master_of_flight(on_cluster, "ACK0")
        waits = _commandstat(on_cluster, master, "wait")

        store.reservation_add(flight_id="ACK0", seat_no="1A", customer_id="c1")

        assert _commandstat(on_cluster, master, "wait") == waits


def test_a_reserve_no_replica_confirms_in_time_answers_503_and_is_not_acknowledged(private_cluster):
    with replica_acks(private_cluster, timeout_ms=100):
        master = _master_of_flight(private_cluster, "ACK2")
        (replica,) = private_cluster.replicas_of(master)
        api = internal_client()
        body = {"flight_id": "ACK2", "customer_id": "c1", "seat_num": "3C"}

        with frozen(private_cluster, replica):
            response = api.put("/reservations", body, content_type="application/json")
            with pytest.raises(StoreUnavailable, match="could not confirm the change on a replica"):
                store.reservation_add(flight_id="ACK2", seat_no="4D", customer_id="c1")

        assert response.status_code == 503, response.content
        assert response.json()["error"] == "Service Unavailable"
        assert response["Retry-After"]
        # The master applied it; the answer only withheld the acknowledgement. A retry, once the replica
        # is back, is acknowledged after a WAIT of its own (the seat is rewritten, so there is one to wait on).
        private_cluster.wait_replicated()
        with override_settings(RESERVATIONS_WAIT_TIMEOUT_MS=800):  # a busy machine: the replica catches up
            retry = api.put("/reservations", body, content_type="application/json")
        assert retry.status_code == 200, retry.content
        with private_cluster.node(replica).client() as client:
            assert client.execute_command("READONLY")
            assert client.hget(store._conn().flight_key("ACK2"), "3C") == b"c1"


def test_a_retry_of_an_unconfirmed_reserve_is_not_acknowledged_while_the_replica_is_still_behind(
    private_cluster,
):
    with replica_acks(private_cluster, timeout_ms=100):
        master = _master_of_flight(private_cluster, "ACK3")
        (replica,) = private_cluster.replicas_of(master)

        with frozen(private_cluster, replica):
            with pytest.raises(StoreUnavailable):
                store.reservation_add(flight_id="ACK3", seat_no="5E", customer_id="c1")
            # ALREADY_YOURS wrote nothing, yet it must not be an acknowledgement the first write lacks
            with pytest.raises(StoreUnavailable):
                store.reservation_add(flight_id="ACK3", seat_no="5E", customer_id="c1")

        private_cluster.wait_replicated()
        with override_settings(RESERVATIONS_WAIT_TIMEOUT_MS=800):  # a busy machine: the replica catches up
            assert (
                store.reservation_add(flight_id="ACK3", seat_no="5E", customer_id="c1")
                is store.ReserveResult.ALREADY_YOURS
            )


@pytest.fixture
def primary_and_replica(tmp_path):
    """One plain Redis (no cluster) and its replica: the single-node deployment with a replica."""
    from tests.support.redis_cluster import (
        HOST,
        REDIS_SERVER,
        _node_env,
        _pick_ports,
        default_ports,
        wait_for,
    )

    ports = _pick_ports(default_ports(), 2)
    processes = []
    for index, port in enumerate(ports):
        directory = tmp_path / f"node-{port}"
        directory.mkdir()
        command = [REDIS_SERVER, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
        if index:
            command += ["--replicaof", HOST, str(ports[0])]
        processes.append(subprocess.Popen(command, cwd=directory, env=_node_env(), stdout=subprocess.DEVNULL))
    primary = redis.Redis(host=HOST, port=ports[0])
    try:
        wait_for(
            lambda: primary.info("replication").get("slave0", {}).get("state") == "online",
            timeout=30,
            what="the replica to be in sync",
        )

        def acknowledges() -> bool:  # "online" can come before the replica acknowledges writes
            primary.set("replica-ready", 1)
            return primary.wait(1, 1000) == 1

        wait_for(acknowledges, timeout=30, what="the replica to acknowledge a write")
        primary.delete("replica-ready")
        yield ports, processes
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=10)


def test_replica_acks_work_on_a_single_node_with_a_replica(primary_and_replica):
    (primary_port, _), (_, replica) = primary_and_replica
    url = f"redis://127.0.0.1:{primary_port}/0"
    with override_settings(
        CACHES={**settings.CACHES, "reservations": reservations_cache(url, None)},
        EMBEDDED_REDIS_DIR=None,
        RESERVATIONS_WAIT_REPLICAS=1,
        RESERVATIONS_WAIT_TIMEOUT_MS=100,
    ):
        assert (
            store.reservation_add(flight_id="ONE", seat_no="1A", customer_id="c1")
            is store.ReserveResult.RESERVED
        )

        os.kill(replica.pid, signal.SIGSTOP)
        try:
            redis.Redis(port=primary_port).client_kill_filter(_type="replica")
            with pytest.raises(StoreUnavailable, match="could not confirm"):
                store.reservation_add(flight_id="ONE", seat_no="2B", customer_id="c1")
            # A hold's confirmation makes reservations too: no replica, no acknowledgement.
            attempt = holds.seats_hold(
                flight_id="ONE", customer_id="c2", seats=["3C", "3D"], hold_seconds=600
            )
            assert attempt.result is holds.HoldResult.HELD
            with pytest.raises(StoreUnavailable, match="could not confirm"):
                holds.hold_confirm(hold_id=attempt.hold.hold_id, customer_id="c2")
        finally:
            os.kill(replica.pid, signal.SIGCONT)
