"""The Lua scripts against a real Redis: HSETNX wins once, and hash, index and log move together."""

import pytest

from reservations import store
from reservations.errors import StoreUnavailable
from reservations.store import ReleaseResult, ReserveResult
from tests.reservations.conftest import (
    customer_key,
    events_key,
    flight_key,
    held_seats,
    key,
    operations_key,
    stream_events,
)


def test_reserving_a_free_seat_writes_hash_index_and_one_event(redis):
    result = store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1")

    assert result is ReserveResult.RESERVED
    assert redis.hgetall(flight_key("F1")) == {b"12C": b"c1"}
    assert held_seats(redis, "c1") == {"F1|12C"}
    [event] = stream_events(redis)
    assert {k: event[k] for k in ("type", "flight_id", "seat_no", "customer_id")} == {
        "type": "SeatReserved",
        "flight_id": "F1",
        "seat_no": "12C",
        "customer_id": "c1",
    }


def test_second_reservation_of_a_seat_is_refused_and_changes_nothing(redis):
    store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1")

    result = store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c2")

    assert result is ReserveResult.TAKEN
    assert redis.hgetall(flight_key("F1")) == {b"12C": b"c1"}
    assert not redis.exists(customer_key("c2"))
    assert len(stream_events(redis)) == 1


def test_re_reserving_your_own_seat_succeeds_without_a_second_event(redis):
    store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1")

    result = store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1")

    assert result is ReserveResult.ALREADY_YOURS
    assert len(stream_events(redis)) == 1


def test_only_the_holder_releases_a_seat(redis):
    store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1")

    assert (
        store.reservation_remove(flight_id="F1", seat_no="12C", customer_id="c2") is ReleaseResult.NOT_YOURS
    )
    assert redis.hgetall(flight_key("F1")) == {b"12C": b"c1"}

    assert store.reservation_remove(flight_id="F1", seat_no="12C", customer_id="c1") is ReleaseResult.RELEASED
    assert not redis.exists(flight_key("F1"))
    assert held_seats(redis, "c1") == set()
    release = stream_events(redis)[-1]
    assert redis.hgetall(customer_key("c1")) == {b"F1|12C": f"-{release['id']}".encode()}  # a tombstone
    assert [e["type"] for e in stream_events(redis)] == ["SeatReserved", "SeatReleased"]


def test_releasing_a_free_seat_reports_it_and_logs_nothing(redis):
    assert (
        store.reservation_remove(flight_id="F1", seat_no="1A", customer_id="c1") is ReleaseResult.NOT_RESERVED
    )
    assert stream_events(redis) == []


def test_a_released_seat_can_be_reserved_by_someone_else(redis):
    store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1")
    store.reservation_remove(flight_id="F1", seat_no="12C", customer_id="c1")

    assert store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c2") is ReserveResult.RESERVED
    assert redis.hgetall(flight_key("F1")) == {b"12C": b"c2"}


def test_scripts_survive_a_script_cache_flush(redis):
    """EVALSHA after SCRIPT FLUSH (a Redis restart or failover) falls back to loading the script."""
    store.reservation_add(flight_id="F1", seat_no="1A", customer_id="c1")
    redis.script_flush()

    assert store.reservation_add(flight_id="F1", seat_no="1B", customer_id="c1") is ReserveResult.RESERVED
    redis.script_flush()
    assert store.reservation_remove(flight_id="F1", seat_no="1A", customer_id="c1") is ReleaseResult.RELEASED


def test_every_key_lives_under_the_configured_prefix(redis, settings):
    store.reservation_add(flight_id="F1", seat_no="1A", customer_id="c1")

    keys = {k.decode() for k in redis.scan_iter(match="*")} - {key("reservations:layout")}

    assert keys == {flight_key("F1"), customer_key("c1"), events_key(store.partition_of("F1"))}


def test_event_ids_and_times_come_from_the_stream(redis):
    store.reservation_add(flight_id="F1", seat_no="1A", customer_id="c1")

    [event] = store.events_after(partition=store.partition_of("F1"), since="0", count=10)

    assert event.event_id == stream_events(redis)[0]["id"]
    assert event.at.endswith("Z")
    assert event.at[:4].isdigit()


@pytest.mark.parametrize(
    "call",
    [
        lambda: store.reservation_add(flight_id="F1", seat_no="1A", customer_id="c1"),
        lambda: store.reservation_remove(flight_id="F1", seat_no="1A", customer_id="c1"),
        lambda: store.flight_seats(flight_id="F1"),
        lambda: store.customer_seats(customer_id="c1"),
        lambda: store.events_after(partition=0, since="0", count=1),
        store.ping,
        store.projection_rebuild,
    ],
)
def test_redis_errors_become_store_unavailable(store_down, call):
    with pytest.raises(StoreUnavailable, match="ConnectionError"):
        call()


# -- operation tokens (a saga step's reservation; docs/adr/0055) ---------------------------------


def test_an_operation_reserving_again_is_already_yours_but_another_is_not(redis):
    first = store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1", operation="move-a")

    again = store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1", operation="move-a")
    other = store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1", operation="move-b")
    plain = store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1")

    assert (first, again, other, plain) == (
        ReserveResult.RESERVED,
        ReserveResult.ALREADY_YOURS,
        ReserveResult.YOURS_OTHERWISE,
        ReserveResult.ALREADY_YOURS,  # without a token the book's contract holds: yours is success
    )
    [event] = stream_events(redis)
    assert event["operation"] == "move-a"
    assert redis.hgetall(operations_key("F1")) == {b"12C": b"move-a"}


def test_a_seat_held_without_the_operation_is_yours_otherwise(redis):
    store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1")

    assert (
        store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1", operation="move-a")
        is ReserveResult.YOURS_OTHERWISE
    )
    assert (
        store.reservation_remove(flight_id="F1", seat_no="12C", customer_id="c1", operation="move-a")
        is ReleaseResult.YOURS_OTHERWISE
    )
    assert redis.hgetall(flight_key("F1")) == {b"12C": b"c1"}  # nothing released


def test_releasing_with_the_operation_frees_the_seat_and_forgets_the_token(redis):
    store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c1", operation="move-a")

    released = store.reservation_remove(flight_id="F1", seat_no="12C", customer_id="c1", operation="move-a")
    later = store.reservation_add(flight_id="F1", seat_no="12C", customer_id="c2")

    assert (released, later) == (ReleaseResult.RELEASED, ReserveResult.RESERVED)
    assert not redis.exists(operations_key("F1"))
    assert [e["type"] for e in stream_events(redis)] == ["SeatReserved", "SeatReleased", "SeatReserved"]
