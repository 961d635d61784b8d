"""Consumer side: the gateway's clients send the book's requests and parse exactly the pinned bodies.

The upstream is an httpx.MockTransport answering the bytes in tests/contract/wire/ (the same bytes
the provider tests prove the contexts send), so a drift on either side fails one of the two halves.
"""

from __future__ import annotations

import json

import httpx
import pytest
from django.test import override_settings

from gateway.clients.flights import FlightsClient
from gateway.clients.reservations import ReservationsClient
from gateway.errors import SeatTaken
from tests.contract.conftest import OTHER_CUSTOMER, RESERVATION, wire
from tests.support.book import BOOK_FLIGHT, BOOK_FLIGHT_ID

UPSTREAMS = {
    "FLIGHTS_URL": "http://flights.test",
    "RESERVATIONS_URL": "http://reservations.test",
    "GATEWAY_ROUTES_FILE": None,
    "UPSTREAM_READ_RETRIES": 0,
}


class Wire:
    """An upstream that answers one pinned body and records the requests it was sent."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, content=self.body, headers={"Content-Type": "application/json"})


def client_on(cls, upstream: Wire):
    with override_settings(**UPSTREAMS):
        client = cls()
    client._http_build = lambda url: httpx.Client(
        base_url=url, transport=httpx.MockTransport(upstream), timeout=client.timeout
    )
    return client


def test_the_flight_lookup_sends_the_books_query_and_keeps_its_fields():
    upstream = Wire(200, wire("flights_lookup.json"))

    flights = client_on(FlightsClient, upstream).flights_search(
        flight_no="AA2532", departure_date_time="2020-05-17T13:20"
    )

    (request,) = upstream.requests
    assert (request.method, request.url.path) == ("GET", "/flights")
    assert request.url.query == b"flight_no=AA2532&departure_date_time=2020-05-17T13%3A20"
    assert flights == [BOOK_FLIGHT]


def test_the_seat_map_is_taken_whole_from_the_books_path():
    upstream = Wire(200, wire("seat_map.json"))

    seat_map = client_on(FlightsClient, upstream).seat_map_get(BOOK_FLIGHT_ID)

    (request,) = upstream.requests
    assert (request.method, request.url.path) == ("GET", f"/flights/{BOOK_FLIGHT_ID}/seat_map")
    assert seat_map == json.loads(wire("seat_map.json"))


def test_a_reserve_sends_the_books_body_and_accepts_its_success():
    upstream = Wire(200, wire("reserve_success.json"))

    result = client_on(ReservationsClient, upstream).seat_reserve(
        flight_id=RESERVATION["flight_id"],
        seat=RESERVATION["seat_num"],
        customer_id=RESERVATION["customer_id"],
    )

    (request,) = upstream.requests
    assert (request.method, request.url.path) == ("PUT", "/reservations")
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert list(body) == ["flight_id", "customer_id", "seat_num"]
    assert body == RESERVATION
    assert result is True  # the customer holds the seat now


def test_the_books_403_is_a_taken_seat():
    upstream = Wire(403, wire("reserve_conflict.json"))

    with pytest.raises(SeatTaken):
        client_on(ReservationsClient, upstream).seat_reserve(
            flight_id=RESERVATION["flight_id"], seat="12C", customer_id=OTHER_CUSTOMER
        )


def test_a_flights_reservations_are_read_from_the_books_list():
    upstream = Wire(200, wire("reservations_by_flight.json"))

    holders = client_on(ReservationsClient, upstream).seats_by_flight(RESERVATION["flight_id"])

    (request,) = upstream.requests
    assert (request.method, request.url.path, request.url.query) == (
        "GET",
        "/reservations",
        f"flight_id={RESERVATION['flight_id']}".encode(),
    )
    assert holders == [{"seat_no": "12C", "customer_id": RESERVATION["customer_id"]}]
