"""The gateway's input rules agree with the rules of the contexts that own the values.

flights owns flight numbers, airport codes and flight ids (flights/rules.py); reservations owns seat
numbers (reservations/validation.py). The gateway may not import either, so gateway/rules.py keeps a
mirror; this test (in tests/, which may import every context) holds the mirror to its owners on a
table of examples, the cases of issue 14 among them. When it fails, change the owner's rule first,
then gateway/rules.py, then add the example here.
"""

from __future__ import annotations

import uuid

import pytest

from flights import rules as flights_rules
from flights.api.serializers import FlightListInput
from gateway import rules as gateway_rules
from gateway.api.serializers import FlightSearchInput
from gateway.errors import InvalidInput
from reservations import validation as reservations_rules

FLIGHT_ID = "3f2b5c1e-8a47-4a0c-9a65-3e2f7d0d4c11"

FLIGHT_NUMBERS = [
    "AA2532",
    "aa2532",
    "AA123456",  # issue 14: flights takes it, the gateway's 1-5 digits refused it
    "A12",
    "AB1",
    "ABCD12345678",  # 12 characters
    "A12345678901",
    "ABCD123456789",  # 13
    "A1",  # too short
    "AA",
    "1234",
    "ABCDE1",
    "AA-2532",
    "AA 2532",
    "AA\u0662\u0665\u0663\u0662",  # Arabic-Indic digits
    "ÄA2532",
    "",
]

AIRPORT_CODES = ["JFK", "jfk", "LaX", "JF", "JFKX", "J1K", "ÄBC", "JF K", ""]

FLIGHT_IDS = [
    FLIGHT_ID,
    FLIGHT_ID.upper(),
    uuid.UUID(FLIGHT_ID).hex,  # issue 14: the gateway took it, flights answered 404
    uuid.UUID(FLIGHT_ID).hex.upper(),
    "{" + FLIGHT_ID + "}",
    "urn:uuid:" + FLIGHT_ID,
    "urn:" + uuid.UUID(FLIGHT_ID).hex,  # 36 characters uuid.UUID alone reads
    uuid.UUID(FLIGHT_ID).hex + "----",  # 36 characters, hyphens in the wrong places
    FLIGHT_ID[:-1] + "g",
    FLIGHT_ID[:-1],
    "not-a-uuid",
    "",
]

SEATS = [
    "12C",
    "12c",
    "1A",
    "999K",
    "100A",
    "0A",
    "012C",
    "1000A",
    "12L",
    "12Z",
    "A12",
    "12",
    "12CC",
    "\uff11\uff12C",  # fullwidth digits
    "",
]


def _flights_takes_flight_no(value: str) -> bool:
    return flights_rules.is_flight_no(value)


def _flights_takes_iata(value: str) -> bool:
    return flights_rules.is_iata(value)


def _reservations_takes_seat(value: str) -> bool:
    try:
        reservations_rules.seat_no_clean(value)
    except reservations_rules.InvalidValue:
        return False
    return True


def _gateway_cleans(clean, value: str) -> str | None:
    try:
        return clean(value)
    except InvalidInput:
        return None


@pytest.mark.parametrize("value", FLIGHT_NUMBERS)
def test_a_flight_number_is_taken_by_the_gateway_exactly_when_flights_takes_it(value):
    assert gateway_rules.is_flight_no(value) == _flights_takes_flight_no(value)


# Not "": flights refuses an empty parameter as blank, the gateway as no filter at all (both 400).
@pytest.mark.parametrize("value", [value for value in FLIGHT_NUMBERS if value])
def test_the_gateways_search_parameter_agrees_with_flights_search_parameter(value):
    # The two serializers, end to end: the published patterns and lengths, not just the predicates.
    gateway = FlightSearchInput(data={"flight_no": value})
    flights = FlightListInput(data={"flight_no": value})
    assert gateway.is_valid() == flights.is_valid() == _flights_takes_flight_no(value)


@pytest.mark.parametrize("value", AIRPORT_CODES)
def test_an_airport_code_is_taken_by_the_gateway_exactly_when_flights_takes_it(value):
    assert gateway_rules.is_iata(value) == _flights_takes_iata(value)
    if value:
        for field in ("origin_code", "destination_code"):
            gateway = FlightSearchInput(data={field: value})
            flights = FlightListInput(data={field: value})
            assert gateway.is_valid() == flights.is_valid() == _flights_takes_iata(value)


@pytest.mark.parametrize("value", FLIGHT_IDS)
def test_a_flight_id_is_taken_by_the_gateway_exactly_when_flights_takes_it(value):
    flights_takes = flights_rules.flight_id_parse(value) is not None
    cleaned = _gateway_cleans(gateway_rules.flight_id_clean, value)
    assert (cleaned is not None) == flights_takes
    if cleaned is not None:
        # What the gateway sends is flights' own spelling, and a valid reservations key.
        assert cleaned == str(flights_rules.flight_id_parse(value))
        assert reservations_rules.flight_id_clean(cleaned) == cleaned


@pytest.mark.parametrize("value", SEATS)
def test_a_seat_is_taken_by_the_gateway_exactly_when_reservations_takes_it(value):
    cleaned = _gateway_cleans(gateway_rules.seat_clean, value)
    assert (cleaned is not None) == _reservations_takes_seat(value)
    if cleaned is not None:
        assert cleaned == reservations_rules.seat_no_clean(value)


@pytest.mark.parametrize("value", [" 12C", "12C "])
def test_the_gateway_trims_a_seat_before_the_rule_and_sends_what_reservations_takes(value):
    # The gateway's one leniency (gateway/rules.py): surrounding white space is dropped.
    cleaned = gateway_rules.seat_clean(value)
    assert reservations_rules.seat_no_clean(cleaned) == cleaned == "12C"


def test_the_mirrored_patterns_are_the_owners_patterns():
    assert gateway_rules.FLIGHT_NO_PATTERN == flights_rules.FLIGHT_NO_PATTERN
    assert gateway_rules.FLIGHT_NO_SCHEMA_PATTERN == flights_rules.FLIGHT_NO_SCHEMA_PATTERN
    assert (gateway_rules.FLIGHT_NO_MIN_LENGTH, gateway_rules.FLIGHT_NO_MAX_LENGTH) == (
        flights_rules.FLIGHT_NO_MIN_LENGTH,
        flights_rules.FLIGHT_NO_MAX_LENGTH,
    )
    assert gateway_rules.FLIGHT_NO_RULE == flights_rules.FLIGHT_NO_RULE
    assert gateway_rules.IATA_PATTERN == flights_rules.IATA_PATTERN
    assert gateway_rules.IATA_RULE == flights_rules.IATA_RULE
    assert gateway_rules.FLIGHT_ID_PATTERN == flights_rules.FLIGHT_ID_SCHEMA_PATTERN
    assert gateway_rules.SEAT_PATTERN == reservations_rules.SEAT_PATTERN
    assert gateway_rules.SEAT_RULE == reservations_rules.SEAT_RULE
