"""The formats the context accepts, and the patterns its OpenAPI document publishes for them, agree."""

from __future__ import annotations

import re
import uuid

import pytest

from flights.api.serializers import DATE_SCHEMA_PATTERN, DEPARTURE_SCHEMA_PATTERN, parse_departure
from flights.rules import FLIGHT_ID_SCHEMA_PATTERN, FLIGHT_NO_SCHEMA_PATTERN, flight_id_parse, is_flight_no

FLIGHT_NUMBERS = [
    "AA2532",
    "aa2532",
    "A12",
    "A1",
    "AB1",
    "ABCD1",
    "ABCDE1",
    "AAAA12345678",
    "AAAA123456789",
    "A" + "1" * 11,
    "A" + "1" * 12,
    "12",
    "",
    "AA 2532",
    "AA2532\n",
    "AA\u0662\u0665",
]


@pytest.mark.parametrize("value", FLIGHT_NUMBERS)
def test_the_documented_flight_no_pattern_is_the_rule(value):
    assert (re.search(FLIGHT_NO_SCHEMA_PATTERN, value) is not None and "\n" not in value) is is_flight_no(
        value
    )


@pytest.mark.parametrize(
    ("value", "is_id"),
    [
        (str(uuid.UUID(int=5)), True),
        (str(uuid.UUID(int=5)).upper(), True),
        (uuid.UUID(int=5).hex, False),
        ("urn:uuid:" + str(uuid.UUID(int=5)), False),
        ("{" + str(uuid.UUID(int=5))[1:-1] + "}", False),
        ("AA2532", False),
    ],
)
def test_only_canonical_uuids_are_flight_ids(value, is_id):
    assert (flight_id_parse(value) is not None) is is_id
    assert (re.search(FLIGHT_ID_SCHEMA_PATTERN, value) is not None) is is_id


@pytest.mark.parametrize(
    "value",
    ["2020-05-17", "2020-05-17T13:20", "2020-05-17T13:20:59", "2020-05-17T13:20Z", "2020-05-17T13:20-04:00"],
)
def test_documented_departures_parse(value):
    assert re.search(DEPARTURE_SCHEMA_PATTERN, value)
    parse_departure(value)


@pytest.mark.parametrize("value", ["1969-12-31", "3000-01-01", "0000-01-01", "2020-5-17", "2020-05-17 "])
def test_undocumented_dates_are_refused_by_the_pattern(value):
    assert re.search(DATE_SCHEMA_PATTERN, value) is None
