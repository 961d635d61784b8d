"""Provider side of the reservations contract (book: ms-reservations): reserve, refuse, list — as bytes."""

from __future__ import annotations

import json

import pytest

from tests.contract.conftest import OTHER_CUSTOMER, RESERVATION, wire


def _put(client, body: dict):
    return client.put("/reservations", json.dumps(body), content_type="application/json")


@pytest.fixture
def reservations(client, redis_client):
    return client


def test_a_reserve_answers_the_books_success_bytes(reservations):
    response = _put(reservations, RESERVATION)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == wire("reserve_success.json") == b'{"status":"success"}'


def test_a_double_booking_answers_the_books_403_bytes(reservations):
    _put(reservations, RESERVATION)

    response = _put(reservations, {**RESERVATION, "customer_id": OTHER_CUSTOMER})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.content == wire("reserve_conflict.json")
    assert (
        response.content == b'{"error":"Conflict","description":"Seat already reserved. Cannot double-book"}'
    )


def test_a_flights_reservations_answer_the_books_list_bytes(reservations):
    _put(reservations, RESERVATION)

    response = reservations.get("/reservations", {"flight_id": RESERVATION["flight_id"]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == wire("reservations_by_flight.json")
    assert json.loads(response.content) == [{"seat_no": "12C", "customer_id": RESERVATION["customer_id"]}]
