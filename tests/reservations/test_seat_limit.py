"""The per-customer seat limit on one flight: atomic in the reserve script, a 409 of its own on the wire.

The book's contract is untouched: a taken seat is still its 403 "Seat already reserved. Cannot
double-book", byte for byte; the limit is an additive extension (409 "Seat Limit Reached").
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.test import override_settings

from reservations import store
from reservations.store import ReserveResult
from tests.reservations.conftest import (
    flight_key,
    held_seats,
    stream_events,
)

SEATS = [f"{row}{letter}" for row in range(1, 6) for letter in "ABCD"]


def test_the_store_refuses_a_seat_past_the_cap_and_logs_nothing(redis):
    for seat in SEATS[:3]:
        assert (
            store.reservation_add(flight_id="F1", seat_no=seat, customer_id="c1", cap=3)
            is ReserveResult.RESERVED
        )

    refused = store.reservation_add(flight_id="F1", seat_no="9A", customer_id="c1", cap=3)

    assert refused is ReserveResult.LIMIT_REACHED
    assert redis.hget(flight_key("F1"), "9A") is None
    assert len(stream_events(redis, "F1")) == 3
    assert len(held_seats(redis, "c1")) == 3


def test_the_cap_counts_one_customer_on_one_flight_only(redis):
    for seat in SEATS[:2]:
        store.reservation_add(flight_id="F1", seat_no=seat, customer_id="c1", cap=2)

    assert (
        store.reservation_add(flight_id="F1", seat_no="9A", customer_id="c2", cap=2) is ReserveResult.RESERVED
    )
    assert (
        store.reservation_add(flight_id="F2", seat_no="9A", customer_id="c1", cap=2) is ReserveResult.RESERVED
    )


def test_at_the_cap_a_seat_you_hold_is_yours_again_and_a_taken_one_is_taken(redis):
    for seat in SEATS[:2]:
        store.reservation_add(flight_id="F1", seat_no=seat, customer_id="c1", cap=2)
    store.reservation_add(flight_id="F1", seat_no="9A", customer_id="c2", cap=2)

    assert store.reservation_add(flight_id="F1", seat_no=SEATS[0], customer_id="c1", cap=2) is (
        ReserveResult.ALREADY_YOURS
    )
    assert store.reservation_add(flight_id="F1", seat_no="9A", customer_id="c1", cap=2) is ReserveResult.TAKEN


def test_a_seat_you_replace_does_not_count_but_someone_elses_does_not_help(redis):
    for seat in SEATS[:2]:
        store.reservation_add(flight_id="F1", seat_no=seat, customer_id="c1", cap=2)
    store.reservation_add(flight_id="F1", seat_no="9A", customer_id="c2", cap=2)

    not_yours = store.reservation_add(flight_id="F1", seat_no="9B", customer_id="c1", cap=2, replaces="9A")
    free_seat = store.reservation_add(flight_id="F1", seat_no="9B", customer_id="c1", cap=2, replaces="8A")
    yours = store.reservation_add(flight_id="F1", seat_no="9B", customer_id="c1", cap=2, replaces=SEATS[0])

    assert not_yours is ReserveResult.LIMIT_REACHED
    assert free_seat is ReserveResult.LIMIT_REACHED
    assert yours is ReserveResult.RESERVED


def test_cap_zero_means_no_cap(redis):
    outcomes = {
        store.reservation_add(flight_id="F1", seat_no=seat, customer_id="c1", cap=0) for seat in SEATS
    }

    assert outcomes == {ReserveResult.RESERVED}
    assert redis.hlen(flight_key("F1")) == len(SEATS)


def test_concurrent_reserves_by_one_customer_stop_exactly_at_the_cap(redis):
    start = Barrier(len(SEATS))

    def attempt(seat: str) -> ReserveResult:
        start.wait()
        return store.reservation_add(flight_id="F1", seat_no=seat, customer_id="c1", cap=9)

    with ThreadPoolExecutor(max_workers=len(SEATS)) as pool:
        outcomes = list(pool.map(attempt, SEATS))

    assert outcomes.count(ReserveResult.RESERVED) == 9
    assert outcomes.count(ReserveResult.LIMIT_REACHED) == len(SEATS) - 9
    assert redis.hlen(flight_key("F1")) == 9
    assert len(stream_events(redis, "F1")) == 9


# -- on the wire ---------------------------------------------------------------------------------


def put(api, seat: str, customer: str = "c1", **extra):
    return api.put_json(
        "/reservations", {"flight_id": "F1", "customer_id": customer, "seat_num": seat, **extra}
    )


@override_settings(MAX_SEATS_PER_CUSTOMER_PER_FLIGHT=2)
def test_past_the_limit_the_api_answers_409_in_the_books_envelope(api, redis):
    assert put(api, "1A").status_code == 200
    assert put(api, "1B").status_code == 200

    response = put(api, "1C")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "Seat Limit Reached",
        "description": "A customer may hold at most 2 seats on one flight; cancel one to reserve another",
    }
    assert redis.hget(flight_key("F1"), "1C") is None


@override_settings(MAX_SEATS_PER_CUSTOMER_PER_FLIGHT=1)
def test_the_books_200_and_403_bodies_stay_byte_for_byte(api, redis):
    reserved = put(api, "1A")
    taken = put(api, "1A", customer="c2")

    assert reserved.content == b'{"status":"success"}'
    assert taken.status_code == 403
    assert taken.content == b'{"error":"Conflict","description":"Seat already reserved. Cannot double-book"}'


@override_settings(MAX_SEATS_PER_CUSTOMER_PER_FLIGHT=1)
def test_replaces_lets_a_customer_at_the_limit_move_within_the_flight(api, redis):
    assert put(api, "1A").status_code == 200

    assert put(api, "1B").status_code == 409
    assert put(api, "1B", replaces="1a").status_code == 200


@pytest.mark.parametrize("replaces", ["", "12Z", 12, ["1A"], None])
def test_a_malformed_replaces_is_a_400_naming_the_field(api, redis, replaces):
    response = put(api, "1A", replaces=replaces)

    assert response.status_code == 400
    assert response.json()["description"].startswith("replaces: ")
    assert redis.hget(flight_key("F1"), "1A") is None


def test_the_default_limit_is_nine(api, redis):
    for seat in SEATS[:9]:
        assert put(api, seat).status_code == 200

    assert put(api, SEATS[9]).status_code == 409
