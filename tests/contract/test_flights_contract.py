"""Provider side of the flights contract (book: ms-flights): the bytes of the lookup and the seat map."""

from __future__ import annotations

import json

import pytest

from tests.contract.conftest import (
    ADDED_FLIGHT_KEYS,
    BOOK_FLIGHT_KEYS,
    BOOK_LOOKUP,
    SEAT_MAP_FLIGHT,
    wire,
)
from tests.flights.conftest import FLIGHTS_DBS
from tests.support.book import BOOK_FLIGHT_ID
from tests.support.factories import FlightFactory

pytestmark = pytest.mark.django_db(databases=FLIGHTS_DBS)

# DESIGN of the seat map (the book's IATA-like shape): the keys at every level, exactly.
CABIN_KEYS = {"firstRow", "lastRow", "CabinClass", "Column", "Row"}  # + "Wing" over the wing
WING_KEYS = {"firstRow", "lastRow"}
COLUMN_KEYS = {"Column", "Characteristics"}
ROW_KEYS = {"RowNumber", "Seat"}
SEAT_KEYS = {"Number", "premiumInd", "exitRowInd", "restrictedReclineInd", "noInfantInd", "Facilities"}


def test_the_books_lookup_answers_the_pinned_bytes(client, seeded_book_flight):
    response = client.get(BOOK_LOOKUP)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == wire("flights_lookup.json")


def test_a_flight_carries_the_books_fields_first_and_only_additive_ones_after(client, seeded_book_flight):
    (flight,) = json.loads(wire("flights_lookup.json"))

    assert tuple(flight) == BOOK_FLIGHT_KEYS + ADDED_FLIGHT_KEYS
    assert flight["flight_id"] == BOOK_FLIGHT_ID
    assert client.get(BOOK_LOOKUP).json() == [flight]


def test_the_seat_map_answers_the_pinned_bytes_by_flight_id_and_by_flight_number(client):
    flight = FlightFactory(**SEAT_MAP_FLIGHT)

    by_id = client.get(f"/flights/{flight.flight_id}/seat_map")
    by_number = client.get(f"/flights/{flight.flight_no}/seat_map")

    assert by_id.status_code == by_number.status_code == 200
    assert by_id["Content-Type"] == "application/json"
    assert by_id.content == by_number.content == wire("seat_map.json")
    assert by_number["X-Flight-Id"] == str(flight.flight_id)  # additive: which departure the slot picked


def test_every_seeded_seat_map_has_the_books_keys_and_nesting_exactly(client, seeded_book_flight):
    seat_map = client.get(f"/flights/{BOOK_FLIGHT_ID}/seat_map").json()

    assert set(seat_map) == {"Cabin"}
    wings = 0
    for cabin in seat_map["Cabin"]:
        assert set(cabin) - {"Wing"} == CABIN_KEYS
        if "Wing" in cabin:
            wings += 1
            assert set(cabin["Wing"]) == WING_KEYS
        assert set(cabin["CabinClass"]) == {"CabinType"}
        assert all(set(column) == COLUMN_KEYS for column in cabin["Column"])
        for row in cabin["Row"]:
            assert set(row) == ROW_KEYS
            for seat in row["Seat"]:
                assert set(seat) == SEAT_KEYS
                assert all(
                    set(f) == {"Detail"} and set(f["Detail"]) == {"content"} for f in seat["Facilities"]
                )
    assert wings >= 1


def test_the_pinned_seat_map_shows_every_key_of_the_shape():
    # So the byte pin above covers the whole shape: a wing, an exit row with a facility, indicators.
    text = wire("seat_map.json").decode()
    for key in ('"Wing":{"firstRow":', '"Facilities":[{"Detail":{"content":', '"exitRowInd":true'):
        assert key in text
