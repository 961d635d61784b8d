"""The customer index as a projection (docs/adr/0116): consumer groups, reclaim, LWW, write-through."""

from __future__ import annotations

import itertools
import random
import threading

import pytest
import redis as redis_py
from django.core.management import call_command

from reservations import services, store
from reservations.errors import ReservationsError, StoreUnavailable
from reservations.projector import projector_cycle, projector_run
from reservations.store import INDEX_GROUP, ReserveResult
from tests.reservations.conftest import customer_key, events_key, held_seats, key

FLIGHTS = ["F1", "F2", "F3", "F4", "F5", "F6"]
SEATS = [f"{row}{letter}" for row in range(1, 5) for letter in "ABC"]
CUSTOMERS = [f"c{n}" for n in range(8)]


def _random_history(seed: int, operations: int) -> None:
    rng = random.Random(seed)
    for _ in range(operations):
        flight, seat, customer = rng.choice(FLIGHTS), rng.choice(SEATS), rng.choice(CUSTOMERS)
        try:
            if rng.random() < 0.6:
                services.seat_reserve(flight_id=flight, seat_no=seat, customer_id=customer)
            else:
                holder = store.flight_seats(flight_id=flight).get(seat) or customer
                services.seat_release(flight_id=flight, seat_no=seat, customer_id=holder)
        except ReservationsError:
            pass


def _indexes(client) -> dict[str, dict[bytes, bytes]]:
    """Every customer hash, raw (tombstones included)."""
    return {k.decode(): client.hgetall(k) for k in client.scan_iter(match=key("customers:*"))}


def _delete_indexes(client) -> None:
    for k in list(client.scan_iter(match=key("customers:*"))):
        client.delete(k)


def _pending(client) -> int:
    return sum(
        client.xpending(events_key(p), INDEX_GROUP)["pending"]
        for p in range(store.partitions())
        if client.exists(events_key(p))
    )


def test_the_projector_builds_the_index_from_the_streams_alone(redis, capsys):
    _random_history(seed=3, operations=300)
    written_through = _indexes(redis)
    assert written_through  # the write path indexed every write
    _delete_indexes(redis)

    call_command("reservations_project", "--once", "--consumer", "test-1")

    assert _indexes(redis) == written_through  # tombstones and event ids included, field for field
    assert store.live_state()[1] == {c: held_seats(redis, c) for c in CUSTOMERS if held_seats(redis, c)}
    assert _pending(redis) == 0
    logged = sum(redis.xlen(events_key(p)) for p in range(store.partitions()))
    assert f"consumer test-1 applied {logged} events (0 reclaimed" in capsys.readouterr().out


def test_a_consumer_that_read_a_batch_and_died_loses_nothing(redis, settings):
    _random_history(seed=4, operations=120)
    expected = _indexes(redis)
    _delete_indexes(redis)
    store.index_groups_ensure()
    read = store.index_read(consumer="crashed", count=10_000)  # read, never applied nor acknowledged
    assert sum(len(d.events) for d in read) == _pending(redis) > 0

    projector_run(consumer="survivor", once=True, claim_idle_seconds=3600)  # still within the idle time
    assert _indexes(redis) == {}  # the entries are the crashed consumer's: nobody applied them
    report = projector_run(consumer="survivor", once=True, claim_idle_seconds=0)  # now they are stale

    assert report.reclaimed == sum(len(d.events) for d in read)
    assert _indexes(redis) == expected
    assert _pending(redis) == 0


def test_redelivered_and_reordered_updates_change_nothing(redis):
    _random_history(seed=5, operations=200)
    expected = _indexes(redis)
    events = [e for p in range(store.partitions()) for e in store.events_all(partition=p)]
    rng = random.Random(5)

    for _ in range(3):
        _delete_indexes(redis)
        shuffled = events * 2  # every event delivered twice
        rng.shuffle(shuffled)
        store.index_apply_events(shuffled)
        assert _indexes(redis) == expected


def test_an_older_update_never_overwrites_a_newer_one(redis):
    store.reservation_add(flight_id="F1", seat_no="1A", customer_id="c1")
    store.reservation_remove(flight_id="F1", seat_no="1A", customer_id="c1")
    reserved, released = store.events_after(partition=store.partition_of("F1"), since="0", count=10)
    tombstone = redis.hget(customer_key("c1"), "F1|1A")

    assert store.index_apply_events([reserved]) == 0  # a late write-through of the reserve
    assert redis.hget(customer_key("c1"), "F1|1A") == tombstone == f"-{released.event_id}".encode()
    assert held_seats(redis, "c1") == set()


def test_the_write_through_gives_read_your_writes_with_no_projector(redis, api):
    api.put_json("/reservations", {"flight_id": "F1", "customer_id": "c1", "seat_num": "1A"})
    mine = api.get("/reservations", {"customer_id": "c1"})
    api.delete("/reservations/F1/1A?customer_id=c1")
    after = api.get("/reservations", {"customer_id": "c1"})

    assert not any(redis.exists(events_key(p)) and redis.xinfo_groups(events_key(p)) for p in range(128))
    assert mine.json() == [{"flight_id": "F1", "seat_no": "1A", "customer_id": "c1"}]
    assert after.json() == []
    assert mine["X-Projection-Lag"] == "unknown"  # no projector has reported
    assert "X-Projection-Reported-At" not in mine


def test_a_failed_write_through_is_converged_by_the_projector(redis, monkeypatch, caplog):
    conn = store._conn()

    def broken(**kwargs):
        raise redis_py.ConnectionError("index node unreachable")

    monkeypatch.setattr(conn, "index_apply", broken)
    assert store.reservation_add(flight_id="F1", seat_no="1A", customer_id="c1") is ReserveResult.RESERVED
    monkeypatch.undo()

    assert held_seats(redis, "c1") == set()  # the seat is the customer's, the index does not say so yet
    assert "write-through failed" in caplog.text
    projector_run(consumer="p", once=True)
    assert held_seats(redis, "c1") == {"F1|1A"}


def test_the_customer_read_reports_the_projectors_lag(redis, api):
    store.index_groups_ensure()
    for seat in ["1A", "1B", "1C"]:
        services.seat_reserve(flight_id="F1", seat_no=seat, customer_id="c1")

    projector_cycle(consumer="p", batch=1)  # one entry of F1's partition applied, two left
    behind = api.get("/reservations", {"customer_id": "c1"})
    projector_run(consumer="p", once=True)
    caught_up = api.get("/reservations", {"customer_id": "c1"})

    assert behind["X-Projection-Lag"] == "2"
    assert behind.json() == caught_up.json()  # read-your-writes: the index had them all anyway
    assert caught_up["X-Projection-Lag"] == "0"
    assert caught_up["X-Projection-Reported-At"].endswith("Z")
    by_flight = api.get("/reservations", {"flight_id": "F1"})
    assert "X-Projection-Lag" not in by_flight  # the flight hash is written by the script itself


def test_a_running_projector_applies_new_events_until_stopped(redis):
    stop, cycles, applied = threading.Event(), itertools.count(), threading.Event()
    _delete_indexes(redis)

    def on_cycle(report):
        next(cycles)
        if report.delivered:
            applied.set()

    worker = threading.Thread(
        target=projector_run,
        kwargs={"consumer": "w", "stop": stop, "on_cycle": on_cycle, "poll_seconds": 0.05},
    )
    worker.start()
    try:
        store.index_groups_ensure()
        conn = store._conn()
        conn.client.xadd(
            conn.events_key(store.partition_of("F9")),
            {"type": "SeatReserved", "flight_id": "F9", "seat_no": "2B", "customer_id": "c9"},
        )
        assert applied.wait(30)
    finally:
        stop.set()
        worker.join(30)

    assert not worker.is_alive()
    assert held_seats(redis, "c9") == {"F9|2B"}


def test_a_projector_once_fails_cleanly_when_redis_is_down(store_down):
    with pytest.raises(StoreUnavailable):
        projector_run(consumer="p", once=True)
