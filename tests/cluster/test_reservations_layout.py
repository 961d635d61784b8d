"""Reservations key layout v2 on a real Redis Cluster (docs/adr/0115): partitions spread over every
master, every script runs (no CROSSSLOT), the rebuild and the projector work partition by partition."""

from __future__ import annotations

import pytest

from reservations import services, store
from reservations.projector import projector_run
from tests.reservations.conftest import key

pytestmark = pytest.mark.cluster

FLIGHTS = [f"flight-{n:03d}" for n in range(200)]


def _reservation_keys_per_master(cluster) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for port in cluster.masters():
        with cluster.node(port).client() as client:
            names = [k.decode() for k in client.scan_iter(count=1000)]
        counts[port] = {
            "flights": sum(":flights:" in k for k in names),
            "streams": sum(k.endswith(":events") for k in names),
            "customers": sum(k.startswith(key("customers:")) for k in names),
        }
    return counts


def test_flights_streams_and_customers_spread_over_every_master(on_cluster):
    for n, flight in enumerate(FLIGHTS):
        services.seat_reserve(flight_id=flight, seat_no="1A", customer_id=f"c{n % 50}")

    per_master = _reservation_keys_per_master(on_cluster)
    print("reservations keys per master:", per_master)

    assert len(per_master) == 3
    for counts in per_master.values():
        assert counts["flights"] > 200 / 3 / 2, per_master  # within a factor 2 of an even share
        assert counts["streams"] > 0
        assert counts["customers"] > 0
    assert sum(c["flights"] for c in per_master.values()) == 200


def test_deleting_every_projection_key_and_rebuilding_reproduces_the_live_state(on_cluster):
    for n, flight in enumerate(FLIGHTS[:60]):
        services.seat_reserve(flight_id=flight, seat_no="1A", customer_id=f"c{n % 7}")
        services.seat_reserve(flight_id=flight, seat_no="2B", customer_id=f"c{n % 5}")
        if n % 3 == 0:
            services.seat_release(flight_id=flight, seat_no="1A", customer_id=f"c{n % 7}")
    live = store.live_state()
    client = store._conn().client
    for pattern in (key("*:flights:*"), key("customers:*")):
        for name in list(client.scan_iter(match=pattern)):
            client.delete(name)
    assert store.live_state() == ({}, {})

    report = services.reservations_rebuild_from_log()

    assert store.live_state() == live
    assert report.partitions == 128
    assert store.projection_check().consistent


def test_a_consumer_killed_mid_batch_loses_no_event_on_a_cluster(on_cluster):
    for n, flight in enumerate(FLIGHTS[:80]):
        services.seat_reserve(flight_id=flight, seat_no="3C", customer_id=f"c{n % 9}")
    expected = store.live_state()[1]
    client = store._conn().client
    for name in list(client.scan_iter(match=key("customers:*"))):
        client.delete(name)
    store.index_groups_ensure()
    store.index_read(consumer="killed", count=1000)  # read everything, applied and acknowledged nothing

    report = projector_run(consumer="survivor", once=True, claim_idle_seconds=0)

    assert report.reclaimed == 80
    assert store.live_state()[1] == expected
    assert store.index_lag() == 0
