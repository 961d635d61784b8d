"""The event log rebuilds the projection (flight hashes + customer indexes) exactly."""

import random

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from reservations import services, store
from reservations.errors import ReservationsError
from tests.reservations.conftest import customer_key, flight_key, key
from tests.support.live import base_env, run_manage

FLIGHTS = ["F1", "F2", "F3"]
SEATS = [f"{row}{letter}" for row in range(1, 8) for letter in "ABC"]
CUSTOMERS = [f"c{n}" for n in range(12)]


def _random_history(seed: int, operations: int) -> dict[str, dict[str, str]]:
    """Random reserves and cancels through the services; returns the state the test expects."""
    rng = random.Random(seed)
    expected: dict[str, dict[str, str]] = {}
    for _ in range(operations):
        flight, seat, customer = rng.choice(FLIGHTS), rng.choice(SEATS), rng.choice(CUSTOMERS)
        holder = expected.get(flight, {}).get(seat)
        if rng.random() < 0.65:
            try:
                services.seat_reserve(flight_id=flight, seat_no=seat, customer_id=customer)
            except ReservationsError:
                assert holder not in (None, customer)
            else:
                assert holder in (None, customer)
                expected.setdefault(flight, {})[seat] = customer
        else:
            releaser = holder if holder and rng.random() < 0.7 else customer
            try:
                services.seat_release(flight_id=flight, seat_no=seat, customer_id=releaser)
            except ReservationsError:
                assert holder != releaser
            else:
                assert holder == releaser
                del expected[flight][seat]
    return {flight: seats for flight, seats in expected.items() if seats}


def _index_of(flights: dict[str, dict[str, str]]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for flight, seats in flights.items():
        for seat, customer in seats.items():
            index.setdefault(customer, set()).add(f"{flight}|{seat}")
    return index


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rebuilt_state_equals_live_state_after_random_reserves_and_cancels(redis, seed):
    expected = _random_history(seed, 400)
    live = store.live_state()
    assert live == (expected, _index_of(expected))

    # Damage the projection every way we can think of; the log alone must restore it.
    redis.delete(flight_key("F1"))
    redis.hset(flight_key("F2"), "99K", "intruder")
    redis.delete(customer_key("c3"))
    redis.hset(customer_key("c4"), "F3|77A", "+1-0")  # an index entry no event explains
    redis.hset(flight_key("GHOST"), "1A", "ghost")
    report = services.reservations_rebuild_from_log()

    assert store.live_state() == live
    assert report.seats == sum(len(seats) for seats in expected.values())
    assert report.attempts == 1
    assert not list(redis.scan_iter(match=key("*rebuild:*")))
    assert all(redis.ttl(k) == -1 for k in redis.scan_iter(match=key("*:flights:*")))


def test_rebuild_retries_when_a_reservation_lands_during_it(redis, monkeypatch):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")
    write_temp_keys = store._write_temp_keys
    calls = []

    def write_then_race(client, temp_prefix, flights):
        keys = write_temp_keys(client, temp_prefix, flights)
        if "F1" in flights and not calls:  # a reservation sneaks in between building F1's partition's
            services.seat_reserve(flight_id="F1", seat_no="2B", customer_id="c2")  # keys and swapping them in
            calls.append(1)
        return keys

    monkeypatch.setattr(store, "_write_temp_keys", write_then_race)
    report = services.reservations_rebuild_from_log()

    assert report.attempts == 2
    assert store.live_state() == (
        {"F1": {"1A": "c1", "2B": "c2"}},
        {"c1": {"F1|1A"}, "c2": {"F1|2B"}},
    )


def test_rebuild_of_an_empty_log_clears_the_projection(redis):
    redis.hset(flight_key("F1"), "1A", "stale")
    redis.hset(customer_key("stale"), "F1|1A", "+1-0")

    services.reservations_rebuild_from_log()

    assert store.live_state() == ({}, {})


def test_rebuild_command_reports_what_it_rebuilt(redis, capsys):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")
    services.seat_reserve(flight_id="F2", seat_no="1A", customer_id="c1")
    redis.delete(flight_key("F2"))

    call_command("reservations_rebuild")

    assert "rebuilt 2 seats on 2 flights for 1 customers" in capsys.readouterr().out
    assert store.flight_seats(flight_id="F2") == {"1A": "c1"}


def test_rebuild_command_fails_cleanly_when_redis_is_down(store_down):
    with pytest.raises(CommandError, match="unavailable"):
        call_command("reservations_rebuild")


@pytest.mark.e2e
def test_rebuild_command_runs_in_the_reservations_deployable_without_sql(redis):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")
    redis.delete(flight_key("F1"))
    env = base_env(
        REDIS_URL=settings.CACHES["reservations"]["LOCATION"],
        REDIS_KEY_PREFIX=settings.REDIS_KEY_PREFIX or "",
    )

    out = run_manage("settings.reservations", "reservations_rebuild", env=env)

    assert "rebuilt 1 seats on 1 flights" in out
    assert store.flight_seats(flight_id="F1") == {"1A": "c1"}


def test_the_consistency_check_passes_on_a_projection_the_log_explains(redis, capsys):
    _random_history(seed=7, operations=60)

    report = store.projection_check()
    call_command("reservations_check")

    assert report.consistent
    assert report.mismatches == []
    assert report.seats > 0
    assert '"consistent": true' in capsys.readouterr().out


def test_the_consistency_check_names_seats_whose_hash_and_log_disagree(redis):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")
    services.seat_reserve(flight_id="F1", seat_no="2B", customer_id="c2")
    redis.hset(flight_key("F1"), "3C", "c3")  # a write that skipped the log
    redis.hdel(flight_key("F1"), "2B")  # a log entry the hash lost

    report = store.projection_check()

    assert not report.consistent
    assert report.mismatches == [
        {"flight_id": "F1", "seat_no": "2B", "log": "c2", "hash": None},
        {"flight_id": "F1", "seat_no": "3C", "log": None, "hash": "c3"},
    ]
    with pytest.raises(CommandError, match="2 seats differ"):
        call_command("reservations_check")


def test_a_seat_written_during_the_check_is_left_out_not_reported(redis, monkeypatch):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")
    hashes = store._hashes

    def reserve_then_read(conn, flight_ids):
        if "F1" in flight_ids:  # F1's partition was replayed; its hashes are read next
            services.seat_reserve(flight_id="F1", seat_no="2B", customer_id="c2")  # lands after the replay
        return hashes(conn, flight_ids)

    monkeypatch.setattr(store, "_hashes", reserve_then_read)
    report = store.projection_check()

    assert report.consistent
    assert report.unsettled == 1


# -- the customer index is merged, not swapped (it spans partitions; docs/adr/0116) ---------------


def test_the_rebuild_keeps_an_index_write_newer_than_its_replay(redis, monkeypatch):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")
    customer_indexes = store._customer_indexes

    def reserve_then_read(conn):  # every partition is replayed and swapped; a reservation lands now
        services.seat_reserve(flight_id="F1", seat_no="2B", customer_id="c1")
        return customer_indexes(conn)

    monkeypatch.setattr(store, "_customer_indexes", reserve_then_read)
    services.reservations_rebuild_from_log()

    assert store.live_state() == ({"F1": {"1A": "c1", "2B": "c1"}}, {"c1": {"F1|1A", "F1|2B"}})


def test_the_rebuild_removes_index_entries_no_logged_event_explains(redis):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")
    redis.hset(customer_key("c1"), "F1|3C", "+99999999999999-0")  # "newer" than any replay, but not logged
    redis.hset(customer_key("c2"), "F1|1A", "+1-0")  # someone else's seat
    redis.hset(customer_key("c1"), "F1|1A", "-1-0")  # the holder's own seat, damaged

    report = services.reservations_rebuild_from_log()

    assert store.live_state()[1] == {"c1": {"F1|1A"}}
    assert report.index_repaired == 3


def test_the_rebuild_keeps_tombstones_for_their_retention_then_drops_them(redis, settings):
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c1")
    services.seat_release(flight_id="F1", seat_no="1A", customer_id="c1")
    services.reservations_rebuild_from_log()
    assert redis.hget(customer_key("c1"), "F1|1A").startswith(b"-")

    settings.RESERVATIONS_TOMBSTONE_SECONDS = -1  # every tombstone is past its retention
    services.reservations_rebuild_from_log()

    assert not redis.exists(customer_key("c1"))
