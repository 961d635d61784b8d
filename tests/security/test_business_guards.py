"""Guards on the business, through the gateway: a seat limit per customer per flight, and no seat
changes on a flight that has departed.

The finding: "one customer reserved all 172 seats of a flight in 4 s; seats on flights that departed
in 2020 are still sold". Each refusal is a 409 problem document of its own type whose detail a
customer understands, and it changes nothing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from reservations import selectors as reservation_selectors
from reservations import services as reservation_services
from reservations.errors import ReservationsError
from reservations.store import ReserveResult
from tests.security.conftest import DATABASES
from tests.support.gateway_calls import held, move, reserve

pytestmark = pytest.mark.django_db(databases=DATABASES)

PROBLEMS = "https://skyway.example/problems/"
NINE_SEATS = ["30A", "30B", "30C", "30D", "30E", "30F", "31A", "31B", "31C"]


def cancel(client, flight_id: str, seat: str):
    return client.delete(f"/api/flights/{flight_id}/reservations/{seat}")


def status_of(client, flight_id: str, seat: str) -> str:
    chart = client.get(f"/api/flights/{flight_id}/seats").json()
    return next(
        s["status"] for c in chart["cabins"] for r in c["rows"] for s in r["seats"] if s["seat"] == seat
    )


def hold_nine(client, flight_id: str) -> None:
    for seat in NINE_SEATS:
        assert reserve(client, flight_id, seat).status_code == 201, seat


@pytest.fixture
def departed_flight(open_flights) -> dict:
    """The book's AA2532 of 2020-05-17, seeded beside the open schedule."""
    from flights.models import Flight

    flight = Flight.objects.get(flight_no="AA2532", departure__year=2020)
    return {"flight_id": str(flight.flight_id), "flight_no": flight.flight_no, "departure": flight.departure}


@pytest.fixture
def second_flight(open_flights) -> str:
    return open_flights[1]["flight_id"]


# -- the 10th seat for one customer --------------------------------------------------------------


def test_the_10th_seat_for_one_customer_on_a_flight_is_refused(alice, bob, flight_id, second_flight):
    hold_nine(alice, flight_id)

    tenth = reserve(alice, flight_id, "32A")

    assert tenth.status_code == 409, tenth.content
    assert tenth["Content-Type"].startswith("application/problem+json")
    problem = tenth.json()
    assert problem["type"] == f"{PROBLEMS}seat-limit-reached"
    assert problem["title"] == "Seat limit reached"
    assert "at most 9 seats" in problem["detail"]
    assert "32A" in problem["detail"]
    assert status_of(bob, flight_id, "32A") == "free"
    assert len(held(alice)) == 9
    # The limit is per customer and per flight: others still book, alice still books elsewhere.
    assert reserve(bob, flight_id, "32A").status_code == 201
    assert reserve(alice, second_flight, "32A").status_code == 201


def test_retrying_a_seat_you_hold_at_the_limit_still_succeeds(alice, flight_id):
    hold_nine(alice, flight_id)

    assert reserve(alice, flight_id, NINE_SEATS[0]).status_code == 201
    assert len(held(alice)) == 9


def test_a_cancelled_seat_frees_room_under_the_limit(alice, flight_id):
    hold_nine(alice, flight_id)
    assert cancel(alice, flight_id, NINE_SEATS[0]).status_code == 204

    assert reserve(alice, flight_id, "32A").status_code == 201
    assert reserve(alice, flight_id, "32B").status_code == 409


def test_twenty_concurrent_reserves_by_one_customer_give_exactly_nine_seats(alice, flight_id):
    """The limit is enforced atomically in the store, not by a check-then-act that a burst can beat."""
    seats = [f"{row}{letter}" for row in (33, 34, 35, 36) for letter in "ABCDE"]
    start = Barrier(len(seats))

    def attempt(seat: str) -> str:
        start.wait()
        try:
            return reservation_services.seat_reserve(
                flight_id=flight_id, seat_no=seat, customer_id=alice.customer_id
            ).value
        except ReservationsError as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(max_workers=len(seats)) as pool:
        outcomes = list(pool.map(attempt, seats))

    assert outcomes.count(ReserveResult.RESERVED.value) == 9, outcomes
    assert outcomes.count("SeatLimitReached") == 11, outcomes
    mine = reservation_selectors.customer_reservations_list(customer_id=alice.customer_id)
    assert len(mine) == 9
    assert reserve(alice, flight_id, "32A").status_code == 409


def test_a_move_within_the_flight_at_the_limit_is_allowed(alice, flight_id):
    hold_nine(alice, flight_id)

    moved = move(alice, flight_id, NINE_SEATS[0], flight_id, "32A")

    assert moved.status_code == 200, moved.content
    assert (flight_id, "32A") in held(alice)
    assert (flight_id, NINE_SEATS[0]) not in held(alice)
    assert len(held(alice)) == 9


def test_a_move_to_another_flight_where_you_are_at_the_limit_is_refused(alice, flight_id, second_flight):
    hold_nine(alice, flight_id)
    assert reserve(alice, second_flight, "20A").status_code == 201
    before = held(alice)

    moved = move(alice, second_flight, "20A", flight_id, "32A")

    assert moved.status_code == 409, moved.content
    problem = moved.json()
    assert problem["type"] == f"{PROBLEMS}seat-limit-reached"
    assert "You keep 20A" in problem["detail"]
    assert problem["holds"] == [{"flight_id": second_flight, "seat": "20A"}]
    assert held(alice) == before


def test_a_move_from_a_full_flight_to_another_flight_is_allowed(alice, flight_id, second_flight):
    hold_nine(alice, flight_id)

    moved = move(alice, flight_id, NINE_SEATS[0], second_flight, "20A")

    assert moved.status_code == 200, moved.content
    assert (second_flight, "20A") in held(alice)
    assert len(held(alice)) == 9


# -- a departed flight ---------------------------------------------------------------------------


def assert_flight_closed(response, flight: dict) -> None:
    assert response.status_code == 409, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == f"{PROBLEMS}flight-closed"
    assert problem["title"] == "Flight closed"
    assert flight["flight_no"] in problem["detail"]
    when = flight["departure"].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert when in problem["detail"]
    assert problem["flight_id"] == flight["flight_id"]


def test_a_departed_flight_sells_no_seat(alice, bob, departed_flight):
    response = reserve(alice, departed_flight["flight_id"], "12C")

    assert_flight_closed(response, departed_flight)
    assert "departed" in response.json()["detail"]
    assert status_of(bob, departed_flight["flight_id"], "12C") == "free"
    assert held(alice) == set()


def test_a_departed_flight_seat_can_be_neither_cancelled_nor_moved(alice, departed_flight, flight_id):
    departed = departed_flight["flight_id"]
    # A seat sold before departure (written to the store directly: the gateway would refuse it now).
    reservation_services.seat_reserve(flight_id=departed, seat_no="12C", customer_id=alice.customer_id)

    cancelled = cancel(alice, departed, "12C")
    moved_out = move(alice, departed, "12C", flight_id, "20A")

    assert_flight_closed(cancelled, departed_flight)
    assert_flight_closed(moved_out, departed_flight)
    assert held(alice) == {(departed, "12C")}


def test_nothing_moves_onto_a_departed_flight(alice, departed_flight, flight_id):
    assert reserve(alice, flight_id, "20A").status_code == 201

    moved_in = move(alice, flight_id, "20A", departed_flight["flight_id"], "12C")

    assert_flight_closed(moved_in, departed_flight)
    assert held(alice) == {(flight_id, "20A")}


def test_the_seat_chart_of_a_departed_flight_says_it_is_closed(alice, departed_flight, flight_id):
    assert alice.get(f"/api/flights/{departed_flight['flight_id']}/seats").json()["closed"] is True
    assert alice.get(f"/api/flights/{flight_id}/seats").json()["closed"] is False


def _departure(open_flights: list[dict]) -> tuple[str, datetime]:
    flight = open_flights[0]
    return flight["flight_id"], datetime.fromisoformat(flight["departure"])


def test_a_flight_closes_at_its_departure_even_with_its_departure_cached(alice, open_flights):
    flight_id, departure = _departure(open_flights)
    assert reserve(alice, flight_id, "20A").status_code == 201  # caches the flight's departure

    with mock.patch.object(timezone, "now", return_value=departure - timedelta(seconds=1)):
        just_before = reserve(alice, flight_id, "20B")
    with mock.patch.object(timezone, "now", return_value=departure):
        at_departure = cancel(alice, flight_id, "20A")

    assert just_before.status_code == 201
    assert at_departure.status_code == 409
    assert at_departure.json()["type"] == f"{PROBLEMS}flight-closed"
    assert held(alice) == {(flight_id, "20A"), (flight_id, "20B")}


@override_settings(BOOKING_CUTOFF_MINUTES=30)
def test_a_booking_cut_off_closes_the_flight_before_departure(alice, open_flights):
    flight_id, departure = _departure(open_flights)

    with mock.patch.object(timezone, "now", return_value=departure - timedelta(minutes=31)):
        before_cut_off = reserve(alice, flight_id, "20A")
    with mock.patch.object(timezone, "now", return_value=departure - timedelta(minutes=10)):
        after_cut_off = reserve(alice, flight_id, "20B")

    assert before_cut_off.status_code == 201
    assert after_cut_off.status_code == 409
    assert "30 minutes before departure" in after_cut_off.json()["detail"]
    assert held(alice) == {(flight_id, "20A")}
