"""Temporal queries and rolling snapshots of the partition streams (reservations.history).

Events are written with explicit stream ids (``<ms>-<seq>``) in the store's v2 format, so every instant
is known exactly: the clock is the test's, not the Redis server's.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from reservations import history, store
from reservations.errors import HistoryTrimmed, InstantInTheFuture

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def partition_key(flight_id: str, suffix: str) -> str:
    conn = store._conn()
    return conn.key(store.partition_of(flight_id), suffix)


def write(redis, event_id: str, kind: str, flight_id: str, seat_no: str, customer_id: str) -> str:
    """Append one event to the flight's partition stream with an explicit id (the store's v2 fields)."""
    redis.xadd(
        partition_key(flight_id, "events"),
        {"type": kind, "flight_id": flight_id, "seat_no": seat_no, "customer_id": customer_id},
        id=event_id,
    )
    return event_id


def reserve(redis, event_id, flight_id, seat_no, customer_id):
    return write(redis, event_id, store.EVENT_SEAT_RESERVED, flight_id, seat_no, customer_id)


def release(redis, event_id, flight_id, seat_no, customer_id):
    return write(redis, event_id, store.EVENT_SEAT_RELEASED, flight_id, seat_no, customer_id)


def seats_at(flight_id: str, ms: int, **kwargs) -> dict[str, str]:
    return history.flight_state_at(flight_id=flight_id, at=at(ms), **kwargs).seats


def same_partition_flights(count: int) -> list[str]:
    """``count`` flight ids that hash to one partition."""
    by_partition: dict[int, list[str]] = {}
    for n in range(10_000):
        flight_id = f"SP{n}"
        found = by_partition.setdefault(store.partition_of(flight_id), [])
        found.append(flight_id)
        if len(found) == count:
            return found
    raise AssertionError("no partition took enough flights")


def test_reserve_cancel_and_move_read_back_exactly_at_every_instant(redis):
    reserve(redis, f"{T0 + 100}-0", "F1", "1A", "alice")
    reserve(redis, f"{T0 + 100}-1", "F1", "2B", "bob")
    release(redis, f"{T0 + 200}-0", "F1", "1A", "alice")  # cancel
    reserve(redis, f"{T0 + 300}-0", "F1", "3C", "bob")  # move 2B → 3C: reserve the new seat ...
    release(redis, f"{T0 + 301}-0", "F1", "2B", "bob")  # ... then release the old one

    expected = {
        T0 + 99: {},
        T0 + 100: {"1A": "alice", "2B": "bob"},  # both events of that millisecond
        T0 + 199: {"1A": "alice", "2B": "bob"},
        T0 + 200: {"2B": "bob"},
        T0 + 299: {"2B": "bob"},
        T0 + 300: {"2B": "bob", "3C": "bob"},  # mid-move: both held, as the log says
        T0 + 301: {"3C": "bob"},
        T0 + 10_000: {"3C": "bob"},
    }
    for ms, seats in expected.items():
        assert seats_at("F1", ms) == seats, ms


def test_sub_millisecond_digits_never_include_the_next_millisecond(redis):
    reserve(redis, f"{T0 + 5}-0", "F1", "1A", "alice")
    assert seats_at("F1", T0 + 4) == {}
    just_before = at(T0 + 4) + timedelta(microseconds=999)
    assert history.flight_state_at(flight_id="F1", at=just_before).seats == {}
    assert history.flight_state_at(flight_id="F1", at=at(T0 + 5) + timedelta(microseconds=999)).seats == {
        "1A": "alice"
    }


def test_other_flights_of_the_partition_do_not_leak_into_the_answer(redis):
    mine, other = same_partition_flights(2)
    reserve(redis, f"{T0 + 1}-0", mine, "1A", "alice")
    reserve(redis, f"{T0 + 2}-0", other, "1A", "bob")
    state = history.flight_state_at(flight_id=mine, at=at(T0 + 2))
    assert state.seats == {"1A": "alice"}
    assert state.as_of_event == f"{T0 + 2}-0"  # the partition's newest event at the instant


def test_a_release_by_someone_else_changes_nothing_as_in_the_store(redis):
    reserve(redis, f"{T0 + 1}-0", "F1", "1A", "alice")
    release(redis, f"{T0 + 2}-0", "F1", "1A", "mallory")
    reserve(redis, f"{T0 + 3}-0", "F1", "1A", "bob")  # a losing reserve never logs; if it did, first wins
    assert seats_at("F1", T0 + 3) == {"1A": "alice"}


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=3)
def test_snapshots_are_taken_every_n_events_and_queries_start_from_them(redis):
    ids = [reserve(redis, f"{T0 + n}-0", "F1", f"{n}A", "alice") for n in range(1, 8)]
    report = history.snapshots_take(partition=store.partition_of("F1"))
    assert report.taken == 2
    assert report.partitions[0].taken == [ids[2], ids[5]]  # the 3rd and 6th events

    state = history.flight_state_at(flight_id="F1", at=at(T0 + 7))
    assert state.snapshot_event == ids[5]
    assert state.replayed_events == 1
    assert state.seats == {f"{n}A": "alice" for n in range(1, 8)}
    before_any = history.flight_state_at(flight_id="F1", at=at(T0 + 2))
    assert before_any.snapshot_event == "0"
    assert before_any.seats == {"1A": "alice", "2A": "alice"}

    assert history.snapshots_take(partition=store.partition_of("F1")).taken == 0  # nothing new: nothing
    reserve(redis, f"{T0 + 8}-0", "F1", "8A", "alice")
    reserve(redis, f"{T0 + 9}-0", "F1", "9A", "alice")
    assert history.snapshots_take(partition=store.partition_of("F1")).partitions[0].taken == [f"{T0 + 9}-0"]


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=7)
@pytest.mark.parametrize("seed", [1, 2])
def test_snapshot_answers_equal_a_full_replay_at_every_instant(redis, seed):
    rng = random.Random(seed)
    flights = same_partition_flights(3)
    held: dict[tuple[str, str], str] = {}
    ms = T0
    for _ in range(300):
        ms += rng.choice([0, 1, 1, 3])
        seq = int(redis.xlen(partition_key(flights[0], "events")))  # unique within the stream
        flight, seat = rng.choice(flights), rng.choice(["1A", "1B", "2A", "2B"])
        customer = rng.choice(["alice", "bob", "carol"])
        if (flight, seat) in held and rng.random() < 0.6:
            release(redis, f"{ms}-{seq}", flight, seat, held.pop((flight, seat)))
        elif (flight, seat) not in held:
            held[(flight, seat)] = customer
            reserve(redis, f"{ms}-{seq}", flight, seat, customer)
        if rng.random() < 0.05:
            history.snapshots_take(partition=store.partition_of(flight))
    history.snapshots_take(partition=store.partition_of(flights[0]))
    assert redis.zcard(partition_key(flights[0], "snapshots")) >= 30
    for instant in range(T0 - 1, ms + 2):
        for flight in flights:
            fast = history.flight_state_at(flight_id=flight, at=at(instant))
            full = history.flight_state_at(flight_id=flight, at=at(instant), use_snapshots=False)
            assert fast.seats == full.seats, (instant, flight)
            assert fast.as_of_event == full.as_of_event


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=2)
def test_two_concurrent_takers_commit_each_snapshot_once_with_the_same_content(redis):
    for n in range(1, 201):
        reserve(redis, f"{T0 + n}-0", "F1", f"{n}A", f"c{n % 7}")
    partition = store.partition_of("F1")
    barrier = threading.Barrier(2)
    reports = []

    def take():
        barrier.wait()
        reports.append(history.snapshots_take(partition=partition).partitions[0])

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    members = [m.decode() for m in redis.zrange(partition_key("F1", "snapshots"), 0, -1)]
    assert members == [f"{T0 + n}-0" for n in range(2, 201, 2)]  # each snapshot once, none missing
    committed = [i for report in reports for i in report.taken]
    assert sorted(committed) == sorted(members)  # each committed by exactly one taker ...
    assert sum(report.already for report in reports) + len(committed) >= len(members)
    for n in (2, 100, 200):  # ... and what they hold is the state at that event
        snapshot = redis.hgetall(partition_key("F1", f"snapshot:{T0 + n}-0"))
        assert len(snapshot) == 2  # the meta field and F1
        assert seats_at("F1", T0 + n) == seats_at("F1", T0 + n, use_snapshots=False)


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=2)
def test_a_commit_whose_base_fell_below_the_floor_is_refused(redis):
    for n in range(1, 5):
        reserve(redis, f"{T0 + n}-0", "F1", f"{n}A", "alice")
    history.snapshots_take(partition=store.partition_of("F1"))
    redis.hset(partition_key("F1", "history"), "floor", f"{T0 + 4}-0")  # as retention leaves it
    conn = store._conn()
    outcome = history._scripts_of(conn).commit(
        keys=[
            partition_key("F1", f"snapshot:{T0 + 3}-0"),
            partition_key("F1", "snapshots"),
            partition_key("F1", "history"),
        ],
        args=[f"{T0 + 3}-0", T0 + 3, f"{T0 + 2}-0", "{}", 3],
    )
    assert outcome == -1
    assert not redis.exists(partition_key("F1", f"snapshot:{T0 + 3}-0"))


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=3, RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS=2)
def test_retention_trims_up_to_the_oldest_kept_snapshot_and_earlier_instants_are_gone(redis):
    ids = [reserve(redis, f"{T0 + 10 * n}-0", "F1", f"{n}A", "alice") for n in range(1, 13)]
    release(redis, f"{T0 + 125}-0", "F1", "1A", "alice")
    report = history.snapshots_take(partition=store.partition_of("F1")).partitions[0]
    # snapshots after events 3, 6, 9, 12; the newest two are kept, the stream starts at the 6th event
    assert report.taken == [ids[2], ids[5], ids[8], ids[11]]
    assert report.deleted == 2
    assert report.trimmed == 8
    assert [m.decode() for m in redis.zrange(partition_key("F1", "snapshots"), 0, -1)] == [ids[8], ids[11]]
    assert not redis.exists(partition_key("F1", f"snapshot:{ids[5]}"))
    assert redis.xrange(partition_key("F1", "events"), count=1)[0][0].decode() == ids[8]

    with pytest.raises(HistoryTrimmed) as gone:
        history.flight_state_at(flight_id="F1", at=at(T0 + 89))
    assert gone.value.status_code == 410
    assert "the earliest answerable instant of this flight is 2026-01-01T00:00:00.090Z" in gone.value.detail
    assert seats_at("F1", T0 + 90) == {f"{n}A": "alice" for n in range(1, 10)}  # the earliest instant
    assert seats_at("F1", T0 + 125) == {f"{n}A": "alice" for n in range(2, 13)}

    replay = history.partition_replay(partition=store.partition_of("F1"))  # what rebuild uses now
    assert replay.base_event_id == ids[8]
    assert replay.flights == {"F1": {f"{n}A": "alice" for n in range(2, 13)}}
    # each seat keeps the id of the event that reserved it, even where that event was trimmed
    assert replay.reserved_by == {"F1": {f"{n}A": ids[n - 1] for n in range(2, 13)}}
    assert replay.last_event_id == f"{T0 + 125}-0"


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=2, RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS=1)
def test_retention_never_trims_what_a_consumer_group_has_not_read(redis):
    events = partition_key("F1", "events")
    ids = [reserve(redis, f"{T0 + n}-0", "F1", f"{n}A", "alice") for n in range(1, 9)]
    redis.xgroup_create(events, "customer-index", id="0")
    redis.xreadgroup("customer-index", "c1", {events: ">"}, count=3)  # read 3, acknowledged none
    redis.xack(events, "customer-index", ids[0])
    report = history.snapshots_take(partition=store.partition_of("F1")).partitions[0]
    assert report.deleted == 3  # snapshot ids[7] is kept, the floor is there ...
    assert redis.hget(partition_key("F1", "history"), "floor").decode() == ids[7]
    assert report.trimmed == 1  # ... but the stream keeps the group's pending entries (ids[1], ids[2])
    assert redis.xrange(events, count=1)[0][0].decode() == ids[1]
    with pytest.raises(HistoryTrimmed):
        history.flight_state_at(flight_id="F1", at=at(T0 + 7))


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=1000)
def test_due_partitions_are_found_without_reading_their_events(redis):
    for n in range(1, 1000):
        reserve(redis, f"{T0 + n}-0", "F1", f"S{n}", "alice")
    partition = store.partition_of("F1")
    assert history.snapshots_take(partition=partition).taken == 0
    reserve(redis, f"{T0 + 1000}-0", "F1", "S1000", "alice")
    assert history.snapshots_take(partition=partition).taken == 1


def test_an_instant_past_the_store_clock_is_refused(redis):
    with pytest.raises(InstantInTheFuture) as future:
        history.flight_state_at(flight_id="F1", at=datetime.now(UTC) + timedelta(minutes=5))
    assert future.value.status_code == 400
    assert "is in the future (the store's clock reads 20" in future.value.detail


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=2, RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS=1)
def test_the_snapshot_command_takes_and_trims_once(redis):
    import io

    from django.core.management import CommandError, call_command

    for n in range(1, 6):
        reserve(redis, f"{T0 + n}-0", "F1", f"{n}A", "alice")
    out = io.StringIO()
    call_command("reservations_snapshot", "--once", stdout=out)
    assert out.getvalue().strip() == (
        f"2 snapshots taken over {store.partitions()} partitions; retention deleted 1 snapshots and trimmed 3 events"
    )
    with pytest.raises(CommandError, match=r"partition: must be 0 to \d+"):
        call_command("reservations_snapshot", "--once", "--partition", str(store.partitions()))
