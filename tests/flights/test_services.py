"""Commands: creating layouts and flights, and seeding the demo schedule idempotently."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from flights.errors import AircraftLayoutNotFound, Conflict, InvalidInput, SeatMapInvalid
from flights.models import AircraftLayout, Flight
from flights.seed_data import BOOK_FLIGHT, ROUTES, seed_flight_id
from flights.services import (
    aircraft_layout_create,
    aircraft_layout_update_seat_map,
    flight_create,
    flights_seed,
)
from tests.flights.conftest import FLIGHTS_DBS, SEED_START

pytestmark = pytest.mark.django_db(databases=FLIGHTS_DBS)

DEPARTURE = datetime(2031, 3, 1, 9, 30, tzinfo=UTC)


def _create(layout, **overrides):
    arguments = {
        "flight_no": "sk100",
        "departure": DEPARTURE,
        "origin_code": "jfk",
        "destination_code": "LAX",
        "layout_code": layout.code,
        **overrides,
    }
    return flight_create(**arguments)


def test_aircraft_layout_create_stores_a_valid_seat_map_with_its_seat_count(layout):
    stored = AircraftLayout.objects.get(code="TST-8J24Y")
    assert stored.seat_count == 32
    assert stored.seat_map["Cabin"][0]["CabinClass"]["CabinType"] == "Business"


def test_aircraft_layout_create_refuses_a_malformed_seat_map_and_stores_nothing():
    with pytest.raises(SeatMapInvalid, match=r"Cabin\[0\]\.CabinClass: is required"):
        aircraft_layout_create(
            code="BAD",
            aircraft_type="Test",
            seat_map={"Cabin": [{"firstRow": 1, "lastRow": 2, "Column": [], "Row": []}]},
        )
    assert not AircraftLayout.objects.filter(code="BAD").exists()


def test_aircraft_layout_codes_are_unique(layout, small_seat_map):
    with pytest.raises(Conflict):
        aircraft_layout_create(code=layout.code, aircraft_type="Other", seat_map=small_seat_map)


def test_updating_a_seat_map_validates_it_first(layout):
    with pytest.raises(SeatMapInvalid):
        aircraft_layout_update_seat_map(layout=layout, seat_map={"Cabin": []})
    layout.refresh_from_db()
    assert layout.seat_count == 32


def test_flight_create_normalises_codes_and_stores_utc(layout):
    flight = _create(layout, departure=datetime(2031, 3, 1, 11, 30, tzinfo=timezone.get_fixed_timezone(120)))
    stored = Flight.objects.get(flight_id=flight.flight_id)
    assert (stored.flight_no, stored.origin_code, stored.destination_code) == ("SK100", "JFK", "LAX")
    assert stored.departure == DEPARTURE


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"flight_no": "A1"}, "flight_no"),
        ({"flight_no": "AAAAA1"}, "flight_no"),
        ({"origin_code": "JF"}, "origin_code"),
        ({"destination_code": "L4X"}, "destination_code"),
        ({"destination_code": "jfk"}, "must differ"),
        ({"departure": datetime(2031, 3, 1, 9, 30)}, "timezone-aware"),  # naive: refused
    ],
)
def test_flight_create_refuses_bad_input(layout, overrides, message):
    with pytest.raises(InvalidInput, match=message):
        _create(layout, **overrides)
    assert Flight.objects.count() == 0


def test_flight_create_needs_a_known_layout(layout):
    with pytest.raises(AircraftLayoutNotFound):
        _create(layout, layout_code="NOPE")


def test_a_flight_number_is_scheduled_once_per_departure(layout):
    _create(layout)
    with pytest.raises(Conflict, match="SK100 already departs at 2031-03-01T09:30Z"):
        _create(layout, origin_code="BOS", destination_code="SFO")
    assert Flight.objects.count() == 1


def test_seed_creates_layouts_routes_and_the_books_flight(seeded):
    assert seeded.layouts_created == 2
    per_day = sum(len(route.departures) for route in ROUTES)
    assert len(ROUTES) >= 3
    assert all(len(route.departures) >= 2 for route in ROUTES)
    assert seeded.flights_created == 3 * per_day + 1
    book_no, book_departure, *_ = BOOK_FLIGHT
    book = Flight.objects.get(flight_no=book_no, departure=book_departure)
    assert book.flight_id == seed_flight_id(book_no, book_departure)
    assert Flight.objects.filter(departure__date=SEED_START + timedelta(days=2)).count() == per_day
    assert not Flight.objects.filter(departure__date=SEED_START + timedelta(days=3)).exists()


def test_seeding_twice_changes_nothing(seeded):
    before = sorted(Flight.objects.values_list("flight_id", "flight_no", "departure", "layout__code"))
    layouts_before = list(AircraftLayout.objects.values_list("id", "code", "seat_count", "updated_at"))

    again = flights_seed(start=SEED_START, days=3)

    assert (again.layouts_created, again.layouts_updated, again.flights_created) == (0, 0, 0)
    assert sorted(Flight.objects.values_list("flight_id", "flight_no", "departure", "layout__code")) == before
    assert (
        list(AircraftLayout.objects.values_list("id", "code", "seat_count", "updated_at")) == layouts_before
    )


def test_seeding_a_later_window_adds_only_the_new_days(seeded):
    again = flights_seed(start=SEED_START + timedelta(days=1), days=3)
    per_day = sum(len(route.departures) for route in ROUTES)
    assert again.flights_created == per_day
    assert again.flights_total == 4 * per_day + 1


def test_seed_brings_a_changed_layout_back_to_its_definition(seeded):
    layout = AircraftLayout.objects.get(code="A321-16J156Y")
    layout.seat_map = {"Cabin": [layout.seat_map["Cabin"][0]]}
    layout.save()
    again = flights_seed(start=SEED_START, days=3)
    layout.refresh_from_db()
    assert again.layouts_updated == 1
    assert len(layout.seat_map["Cabin"]) == 2


def test_seed_flights_command_is_idempotent_and_reports_counts():
    first, second = StringIO(), StringIO()
    call_command("seed_flights", "--start", "2031-03-01", "--days", "14", stdout=first)
    ids = sorted(Flight.objects.values_list("flight_id", flat=True))
    call_command("seed_flights", "--start", "2031-03-01", "--days", "14", stdout=second)

    per_day = sum(len(route.departures) for route in ROUTES)
    assert f"flights +{14 * per_day + 1} (total {14 * per_day + 1})" in first.getvalue()
    assert f"flights +0 (total {14 * per_day + 1})" in second.getvalue()
    assert sorted(Flight.objects.values_list("flight_id", flat=True)) == ids
    assert AircraftLayout.objects.count() == 2


def test_seed_flights_starts_today_by_default():
    call_command("seed_flights", "--days", "2", stdout=StringIO())
    today = timezone.now().date()
    first = (
        Flight.objects.exclude(flight_no=BOOK_FLIGHT[0], departure=BOOK_FLIGHT[1])
        .order_by("departure")
        .first()
    )
    assert first is not None
    assert first.departure.date() in {today, today + timedelta(days=1)}  # a run may straddle midnight


def test_seed_flights_refuses_a_malformed_start():
    with pytest.raises(CommandError, match="--start must be a date"):
        call_command("seed_flights", "--start", "tomorrow", stdout=StringIO())


def test_seed_refuses_an_absurd_window():
    with pytest.raises(InvalidInput):
        flights_seed(start=date(2031, 1, 1), days=10_000)
