"""Event retention with the real write path and the projector (docs/adr/0121): the projector takes the
snapshots and trims; rebuild and check replay from the floor snapshot; the customer-index group's
unread and unacknowledged entries are never trimmed."""

from __future__ import annotations

import pytest
from django.test import override_settings

from reservations import history, services, store
from reservations.projector import projector_cycle, projector_run
from reservations.store import INDEX_GROUP
from tests.reservations.conftest import customer_key, events_key, flight_key, key
from tests.reservations.test_projector import _delete_indexes, _indexes, _random_history

pytestmark = pytest.mark.usefixtures("redis")

RETAIN_ONE = override_settings(RESERVATIONS_SNAPSHOT_EVERY=5, RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS=1)


def _partitions_in_use() -> list[int]:
    return sorted({store.partition_of(f) for f in ("F1", "F2", "F3", "F4", "F5", "F6")})


def _floors(client) -> dict[int, str]:
    found = {}
    for partition in _partitions_in_use():
        floor = client.hget(key(f"{store.partition_tag(partition)}:history"), "floor")
        if floor is not None:
            found[partition] = floor.decode()
    return found


def _history_in_rounds(seed: int, rounds: int) -> tuple[int, int]:
    """Random reserves and cancels through the services, a projector cycle after each round (so
    snapshots are taken and the stream trimmed as it grows); returns (snapshots taken, entries trimmed)."""
    store.index_groups_ensure()
    snapshots = trimmed = 0
    for n in range(rounds):
        _random_history(seed=seed * 100 + n, operations=40)
        report = projector_cycle(consumer="projector", claim_idle_seconds=3600)
        snapshots, trimmed = snapshots + report.snapshots, trimmed + report.trimmed
    return snapshots, trimmed


@RETAIN_ONE
@pytest.mark.parametrize("seed", [1, 2])
def test_after_retention_rebuild_reproduces_live_state_and_check_is_consistent(redis, seed):
    snapshots, trimmed = _history_in_rounds(seed, rounds=6)
    # several snapshots per partition in use, only the newest kept, the streams trimmed to it
    assert snapshots > 2 * len(_partitions_in_use())
    assert trimmed > 0
    floors = _floors(redis)
    assert floors
    for partition, floor in floors.items():
        assert redis.zcard(key(f"{store.partition_tag(partition)}:snapshots")) == 1
        first = redis.xrange(events_key(partition), count=1)[0][0].decode()
        assert history.id_key(first) >= history.id_key(floor)  # nothing before the floor is left
    live_flights, live_customers = store.live_state()
    assert live_flights  # seats reserved before the trim are among them
    live_indexes = _indexes(redis)

    check = store.projection_check()
    assert check.consistent, check.mismatches
    assert check.seats == sum(len(seats) for seats in live_flights.values())

    report = store.projection_rebuild()  # on an intact store: changes nothing, tombstones included
    assert report.index_repaired == 0
    assert store.live_state() == (live_flights, live_customers)
    assert _indexes(redis) == live_indexes

    for flight_id in live_flights:  # lose the projection entirely: the floor snapshot brings it back
        redis.delete(flight_key(flight_id))
    _delete_indexes(redis)
    report = store.projection_rebuild()
    assert store.live_state() == (live_flights, live_customers)
    assert report.seats == sum(len(seats) for seats in live_flights.values())
    # every held seat's index entry names the event that reserved it, trimmed or not
    rebuilt = _indexes(redis)
    for name, fields in live_indexes.items():
        held = {f: v for f, v in fields.items() if v.startswith(b"+")}
        assert {f: v for f, v in rebuilt.get(name, {}).items() if v.startswith(b"+")} == held
    assert store.projection_check().consistent


@RETAIN_ONE
def test_a_rebuild_whose_continuation_was_trimmed_starts_again_from_the_new_floor(redis, monkeypatch):
    _history_in_rounds(seed=7, rounds=2)
    expected = store.live_state()
    # Between the rebuild's replay and its swap, a reservation lands and retention moves the floor on
    # past where the replay ended: its continuation would read an incomplete stream.
    swap_in = store._swap_in
    moved = []

    def land_and_trim(conn, partition, *args):
        if not moved and partition == store.partition_of("F1"):
            moved.append(partition)
            for n in range(12):
                services.seat_reserve(flight_id="F1", seat_no=f"{30 + n}A", customer_id=f"late{n}")
            projector_cycle(consumer="projector", claim_idle_seconds=3600)
            assert history.floor_above(partition=partition, event_id=args[-1])
        return swap_in(conn, partition, *args)

    monkeypatch.setattr(store, "_swap_in", land_and_trim)
    for flight_id in expected[0]:
        redis.delete(flight_key(flight_id))
    store.projection_rebuild()
    flights, _customers = store.live_state()
    assert moved
    assert flights["F1"] == {**expected[0].get("F1", {}), **{f"{30 + n}A": f"late{n}" for n in range(12)}}
    assert {f: s for f, s in flights.items() if f != "F1"} == {
        f: s for f, s in expected[0].items() if f != "F1"
    }


@RETAIN_ONE
@override_settings(MAX_SEATS_PER_CUSTOMER_PER_FLIGHT=0)
def test_retention_never_trims_the_index_groups_pending_or_undelivered_entries(redis):
    store.index_groups_ensure()
    partition = store.partition_of("F1")
    stream = events_key(partition)
    for n in range(8):
        services.seat_reserve(flight_id="F1", seat_no=f"{n}A", customer_id="alice")
    crashed = store.index_read(consumer="crashed", count=3)  # read, never applied nor acknowledged
    pending = [e.event_id for d in crashed if d.partition == partition for e in d.events]
    assert len(pending) == 3
    for n in range(8, 20):
        services.seat_reserve(flight_id="F1", seat_no=f"{n}A", customer_id="alice")
    expected = _indexes(redis)
    _delete_indexes(redis)  # the index must come back from the stream alone

    report = history.snapshots_take(partition=partition).partitions[0]
    assert report.deleted == 3  # snapshots after events 5, 10, 15, 20: only the newest is kept ...
    floor = redis.hget(key(f"{store.partition_tag(partition)}:history"), "floor").decode()
    assert history.id_key(floor) > history.id_key(pending[-1])
    assert report.trimmed == 0  # ... but the group's oldest pending entry is the stream's first
    assert redis.xrange(stream, count=1)[0][0].decode() == pending[0]

    store.index_ack(crashed)  # the crashed consumer's batch is done ...
    report = history.snapshots_take(partition=partition).partitions[0]
    # ... and its last-delivered entry (the third) now bounds the trim: nothing it has not read goes
    assert report.trimmed == 2
    assert redis.xrange(stream, count=1)[0][0].decode() == pending[-1]

    totals = projector_run(consumer="survivor", once=True, claim_idle_seconds=0)
    assert totals.delivered == 17  # every entry after the last delivered one reached the projector
    # the crashed consumer's three were acknowledged unapplied (this test deleted their write-through)
    alice = customer_key("alice")
    assert _indexes(redis)[alice] == {
        name: value for name, value in expected[alice].items() if name not in {b"F1|0A", b"F1|1A", b"F1|2A"}
    }
    assert redis.xpending(stream, INDEX_GROUP)["pending"] == 0


@RETAIN_ONE
def test_an_idle_pass_neither_reads_events_nor_retains(redis, monkeypatch):
    _history_in_rounds(seed=3, rounds=2)
    projector_cycle(consumer="projector", claim_idle_seconds=3600)  # caught up: nothing is due

    def refuse(*args, **kwargs):
        raise AssertionError("an idle pass read a stream or ran retention")

    monkeypatch.setattr(history, "_catch_up", refuse)
    monkeypatch.setattr(history, "_retain", refuse)
    report = projector_cycle(consumer="projector", claim_idle_seconds=3600)
    assert (report.delivered, report.snapshots, report.trimmed) == (0, 0, 0)
