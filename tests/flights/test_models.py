"""Table-level guarantees: constraints in the database, seat-map validation in full_clean()."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from flights.models import AircraftLayout, Flight
from flights.rules import FLIGHT_NO_RULE, IATA_RULE
from tests.flights.conftest import FLIGHTS_DBS
from tests.support.factories import FlightFactory, SeatMapFactory

pytestmark = pytest.mark.django_db(databases=FLIGHTS_DBS)

DEPARTURE = datetime(2031, 3, 1, 9, 30, tzinfo=UTC)


def test_full_clean_refuses_a_malformed_seat_map_on_the_seat_map_field():
    layout = AircraftLayout(code="BAD-1", aircraft_type="Test", seat_map={"Cabin": [{"firstRow": 1}]})
    with pytest.raises(ValidationError) as caught:
        layout.full_clean()
    messages = caught.value.message_dict["seat_map"]
    assert "Cabin[0].lastRow: is required" in messages


def test_full_clean_counts_the_seats_of_a_valid_seat_map():
    layout = AircraftLayout(code="OK-1", aircraft_type="Test", seat_map=SeatMapFactory())
    layout.full_clean()
    assert layout.seat_count == 32


BROKEN = {
    "flight_no": ["A1", "AA25-32", "ABCDE1"],
    "origin_code": ["J1K", "JF", "\u00c4BC"],
    "destination_code": ["J1K", "JF", "\u00c4BC"],
}


@pytest.mark.parametrize(
    ("field", "value"), [(field, value) for field, values in BROKEN.items() for value in values]
)
def test_full_clean_refuses_a_flight_field_that_breaks_its_rule(layout, field, value):
    rule = FLIGHT_NO_RULE if field == "flight_no" else IATA_RULE
    flight = Flight(
        flight_no="SK5", departure=DEPARTURE, origin_code="JFK", destination_code="LAX", layout=layout
    )
    setattr(flight, field, value)
    with pytest.raises(ValidationError) as caught:
        flight.full_clean()
    assert caught.value.message_dict == {field: [rule]}


def test_a_flight_number_departs_only_once_at_a_given_time():
    first = FlightFactory(flight_no="SK1", departure=DEPARTURE)
    with pytest.raises(IntegrityError), transaction.atomic(using="flights"):
        FlightFactory(
            flight_no="SK1",
            departure=DEPARTURE,
            origin_code="BOS",
            destination_code="SFO",
            layout=first.layout,
        )


def test_a_flight_cannot_land_where_it_took_off():
    with pytest.raises(IntegrityError), transaction.atomic(using="flights"):
        FlightFactory(flight_no="SK2", origin_code="JFK", destination_code="JFK")


def test_a_layout_that_still_flies_cannot_be_deleted():
    flight = FlightFactory(flight_no="SK3")
    with pytest.raises(ProtectedError):
        flight.layout.delete()


def test_flight_ids_are_uuids_made_on_creation(layout):
    flight = Flight.objects.create(
        flight_no="SK4", departure=DEPARTURE, origin_code="JFK", destination_code="LAX", layout=layout
    )
    assert flight.flight_id.version == 4
    assert str(flight) == "SK4 JFK→LAX 2031-03-01 09:30Z"
