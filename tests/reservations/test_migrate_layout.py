"""The one-off move of layout v1 data (one global stream, unpartitioned keys) into layout v2."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command

from reservations import services, store
from reservations.errors import LayoutMismatch
from reservations.store import ReserveResult
from tests.reservations.conftest import events_key, held_seats, key, operations_key, stream_events

FLIGHTS = ["F1", "F2", "F3", "F4", "F5"]
SEATS = ["1A", "1B", "2C", "3D", "4E"]


def _v1_history(client, seed: int, operations: int, prefix: str) -> tuple[dict, dict, list[dict]]:
    """Write what the v1 store's scripts wrote: one global stream, flights/customers/operations keys."""
    rng = random.Random(seed)
    flights: dict[str, dict[str, str]] = {}
    logged = []
    for n in range(operations):
        flight, seat, customer = rng.choice(FLIGHTS), rng.choice(SEATS), f"c{rng.randrange(6)}"
        holder = flights.get(flight, {}).get(seat)
        if holder is None:
            fields = {"type": "SeatReserved", "flight_id": flight, "seat_no": seat, "customer_id": customer}
            if n % 5 == 0:
                fields["operation"] = f"move-{n}"
                client.hset(f"{prefix}operations:{flight}", seat, fields["operation"])
            flights.setdefault(flight, {})[seat] = customer
            client.hset(f"{prefix}flights:{flight}", seat, customer)
            client.sadd(f"{prefix}customers:{customer}", f"{flight}|{seat}")
        else:
            fields = {"type": "SeatReleased", "flight_id": flight, "seat_no": seat, "customer_id": holder}
            del flights[flight][seat]
            client.hdel(f"{prefix}flights:{flight}", seat)
            client.hdel(f"{prefix}operations:{flight}", seat)
            client.srem(f"{prefix}customers:{holder}", f"{flight}|{seat}")
        entry_id = client.xadd(f"{prefix}reservations:events", fields)
        logged.append({"id": entry_id.decode(), **fields})
    customers: dict[str, set[str]] = {}
    for flight, seats in flights.items():
        for seat, customer in seats.items():
            customers.setdefault(customer, set()).add(f"{flight}|{seat}")
    return {f: s for f, s in flights.items() if s}, customers, logged


@pytest.fixture
def v1_store(redis, monkeypatch):
    monkeypatch.setattr(store, "_connection", None)  # a process starting on v1 data
    return _v1_history(redis, seed=11, operations=150, prefix=key(""))


def test_the_migration_moves_v1_data_into_the_partitions(redis, v1_store, capsys):
    flights, customers, logged = v1_store
    with pytest.raises(LayoutMismatch):
        store.ping()  # refused until migrated

    call_command("reservations_migrate_layout")

    assert store.live_state() == (flights, customers)
    assert [{k: e[k] for k in e} for e in stream_events(redis)] == logged  # same ids, fields, order
    for partition in range(store.partitions()):
        ids = [e["id"] for e in logged if store.partition_of(e["flight_id"]) == partition]  # v1's order
        assert [i.decode() for i, _ in redis.xrange(events_key(partition))] == ids
    assert not list(redis.scan_iter(match=key("flights:*")))
    assert not list(redis.scan_iter(match=key("operations:*")))
    assert redis.get(key("reservations:layout")) == b"v2 partitions=128"
    assert store.projection_check().consistent
    assert f"migrated {len(logged)} events (0 copied by an earlier run)" in capsys.readouterr().out


def test_operation_tokens_keep_working_after_the_migration(redis, v1_store):
    redis.hset(key("flights:F9"), "9A", "c1")
    redis.hset(key("operations:F9"), "9A", "move-x")
    redis.xadd(
        key("reservations:events"),
        {
            "type": "SeatReserved",
            "flight_id": "F9",
            "seat_no": "9A",
            "customer_id": "c1",
            "operation": "move-x",
        },
    )

    services.reservations_layout_migrate()

    assert redis.hgetall(operations_key("F9")) == {b"9A": b"move-x"}
    again = store.reservation_add(flight_id="F9", seat_no="9A", customer_id="c1", operation="move-x")
    other = store.reservation_add(flight_id="F9", seat_no="9A", customer_id="c1", operation="move-y")
    assert (again, other) == (ReserveResult.ALREADY_YOURS, ReserveResult.YOURS_OTHERWISE)
    assert held_seats(redis, "c1") >= {"F9|9A"}


def test_the_migration_is_idempotent_and_resumes_a_crashed_run(redis, v1_store, monkeypatch):
    flights, customers, logged = v1_store
    rebuild = store.projection_rebuild

    def crash():
        raise RuntimeError("killed after copying the events")

    monkeypatch.setattr(store, "projection_rebuild", crash)
    with pytest.raises(RuntimeError):
        services.reservations_layout_migrate()
    monkeypatch.setattr(store, "projection_rebuild", rebuild)

    resumed = services.reservations_layout_migrate()
    services.seat_reserve(flight_id="F1", seat_no="9K", customer_id="c9")  # the v2 build writes
    again = services.reservations_layout_migrate()

    assert (resumed.events, resumed.skipped) == (0, len(logged))
    assert (again.events, again.skipped) == (0, len(logged))
    assert len(stream_events(redis)) == len(logged) + 1
    flights.setdefault("F1", {})["9K"] = "c9"
    customers.setdefault("c9", set()).add("F1|9K")
    assert store.live_state() == (flights, customers)


def test_data_written_under_a_v1_cluster_prefix_is_migrated(redis, monkeypatch):
    monkeypatch.setattr(store, "_connection", None)
    flights, customers, _logged = _v1_history(redis, seed=12, operations=40, prefix="{skyway}:")

    services.reservations_layout_migrate(v1_prefix="{skyway}:")

    assert store.live_state() == (flights, customers)
    assert list(redis.scan_iter(match="{skyway}:flights:*")) == []


def test_a_store_already_in_layout_v2_has_nothing_to_migrate(redis, capsys):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")

    call_command("reservations_migrate_layout")

    assert "nothing to migrate" in capsys.readouterr().out
    assert store.flight_seats(flight_id="F1") == {"1A": "c1"}
