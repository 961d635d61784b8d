"""Queries: find flights by the book's filters, pick a slot's flight, read seat maps by JSON keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from flights.errors import FlightNotFound, InvalidInput
from flights.models import AircraftLayout
from flights.seed_data import seed_flight_id
from flights.selectors import (
    FlightRecord,
    aircraft_layout_codes,
    flight_find,
    flight_for_slot,
    flight_get,
    seat_map_for_slot,
)
from flights.services import aircraft_layout_create, flight_create
from tests.flights.conftest import FLIGHTS_DBS, SEED_START

pytestmark = pytest.mark.django_db(databases=FLIGHTS_DBS)

BOOK_DEPARTURE = datetime(2020, 5, 17, 13, 20, tzinfo=UTC)


def test_the_books_flight_is_found_to_the_minute(seeded):
    found = flight_find(flight_no="AA2532", departure_minute=datetime(2020, 5, 17, 13, 20, 59, tzinfo=UTC))
    assert [flight.flight_id for flight in found] == [seed_flight_id("AA2532", BOOK_DEPARTURE)]
    assert isinstance(found[0], FlightRecord)
    assert found[0].departure == BOOK_DEPARTURE
    assert (found[0].origin_code, found[0].destination_code, found[0].aircraft) == (
        "JFK",
        "LAX",
        "Airbus A321",
    )


def test_a_neighbouring_minute_finds_nothing(seeded):
    assert flight_find(flight_no="AA2532", departure_minute=BOOK_DEPARTURE + timedelta(minutes=1)) == []
    assert flight_find(flight_no="AA2532", departure_minute=BOOK_DEPARTURE - timedelta(minutes=1)) == []


def test_an_offset_time_is_compared_in_utc(seeded):
    new_york_summer = timezone(timedelta(hours=-4))
    eastern = datetime(2020, 5, 17, 9, 20, tzinfo=new_york_summer)
    assert len(flight_find(flight_no="AA2532", departure_minute=eastern)) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"departure_minute": datetime.max.replace(tzinfo=UTC)},
        {"departure_minute": datetime.min.replace(tzinfo=timezone(timedelta(hours=1)))},
        {"departure_date": datetime.max.date()},
    ],
)
def test_dates_at_the_edge_of_the_calendar_are_invalid_input_not_a_crash(kwargs):
    with pytest.raises(InvalidInput, match="out of the range"):
        flight_find(flight_no="AA2532", **kwargs)


def test_flight_numbers_are_case_insensitive(seeded):
    assert len(flight_find(flight_no="aa2532", departure_minute=BOOK_DEPARTURE)) == 1


def test_a_date_gives_every_departure_that_day_in_order(seeded):
    found = flight_find(departure_date=SEED_START)
    assert len(found) == 8
    assert [flight.departure for flight in found] == sorted(flight.departure for flight in found)
    assert {flight.departure.date() for flight in found} == {SEED_START}


def test_route_filters_combine(seeded):
    found = flight_find(origin_code="jfk", destination_code="LAX", departure_date=SEED_START)
    assert [flight.flight_no for flight in found] == ["AA2532", "AA2534"]
    assert flight_find(origin_code="LAX", destination_code="BOS") == []


def test_results_are_capped(seeded):
    assert len(flight_find(origin_code="JFK", limit=3)) == 3


def test_at_least_one_filter_is_required():
    with pytest.raises(InvalidInput, match="at least one"):
        flight_find()


def test_flight_get_returns_one_flight_or_not_found(seeded):
    flight_id = seed_flight_id("AA2532", BOOK_DEPARTURE)
    assert flight_get(flight_id=flight_id).flight_no == "AA2532"
    with pytest.raises(FlightNotFound):
        flight_get(flight_id=uuid.uuid4())


def test_a_flight_number_slot_picks_the_next_departure(seeded):
    now = datetime.combine(SEED_START, datetime.min.time(), tzinfo=UTC) + timedelta(days=1, hours=14)
    flight = flight_for_slot(slot="AA2532", now=now)
    assert flight.departure == datetime.combine(
        SEED_START + timedelta(days=2), datetime.min.time(), tzinfo=UTC
    ).replace(hour=13, minute=20)


def test_a_flight_number_with_no_departure_left_falls_back_to_its_latest(seeded):
    far_future = datetime(2040, 1, 1, tzinfo=UTC)
    flight = flight_for_slot(slot="AA2532", now=far_future)
    assert flight.departure.date() == SEED_START + timedelta(days=2)


def test_the_books_flight_is_the_slot_before_the_schedule_starts(seeded):
    assert flight_for_slot(slot="AA2532", now=datetime(2020, 5, 17, tzinfo=UTC)).departure == BOOK_DEPARTURE


def test_a_flight_id_slot_names_that_exact_flight(seeded):
    flight_id = seed_flight_id("AA2532", BOOK_DEPARTURE)
    found = seat_map_for_slot(slot=str(flight_id))
    assert found.flight.flight_id == flight_id
    assert found.seat_map["Cabin"][0]["CabinClass"]["CabinType"] == "Business"


def test_seat_maps_come_from_the_flights_aircraft_layout(seeded):
    boston = seat_map_for_slot(slot="UA1520")
    assert boston.flight.aircraft_layout == "B738-16J138Y"
    assert boston.seat_map == AircraftLayout.objects.get(code="B738-16J138Y").seat_map


@pytest.mark.parametrize("slot", ["AA9999", str(uuid.UUID(int=1))])
def test_an_unknown_slot_is_not_found(seeded, slot):
    with pytest.raises(FlightNotFound):
        seat_map_for_slot(slot=slot)


@pytest.mark.parametrize("slot", ["x", "12", "AA-2532", "urn:uuid:" + str(uuid.UUID(int=1)), "A" * 5000])
def test_a_malformed_slot_is_invalid_input(slot):
    with pytest.raises(InvalidInput):
        seat_map_for_slot(slot=slot)


def test_layouts_can_be_filtered_by_a_json_key_of_their_seat_map(seeded, small_seat_map):
    economy_only = {"Cabin": [small_seat_map["Cabin"][1]]}
    aircraft_layout_create(code="E-ONLY", aircraft_type="Test", seat_map=economy_only)
    assert aircraft_layout_codes(first_cabin_type="Business") == ["A321-16J156Y", "B738-16J138Y"]
    assert aircraft_layout_codes(first_cabin_type="Economy") == ["E-ONLY"]
    assert aircraft_layout_codes(first_cabin_type="First") == []


def test_json_lookups_reach_into_rows_and_seats(seeded):
    exit_first = AircraftLayout.objects.filter(seat_map__Cabin__1__Row__5__Seat__0__exitRowInd=True)
    assert list(exit_first.values_list("code", flat=True)) == [
        "A321-16J156Y"
    ]  # row 12 of the A321 is an exit
    wing = AircraftLayout.objects.filter(seat_map__Cabin__1__Wing__firstRow__gte=14)
    assert list(wing.values_list("code", flat=True)) == ["B738-16J138Y"]
    assert AircraftLayout.objects.filter(seat_map__has_key="Cabin").count() == 2


def test_flights_created_by_hand_are_found_like_seeded_ones(layout):
    created = flight_create(
        flight_no="ZZ10",
        departure=BOOK_DEPARTURE,
        origin_code="AMS",
        destination_code="CDG",
        layout_code=layout.code,
    )
    [found] = flight_find(origin_code="AMS")
    assert found.flight_id == created.flight_id
    assert found.seat_count == 32
