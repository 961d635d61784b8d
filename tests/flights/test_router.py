"""The flights context's tables and queries live only in its own database alias."""

from __future__ import annotations

import pytest
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from flights.models import AircraftLayout, Flight
from flights.selectors import flight_find, seat_map_for_slot
from flights.services import flights_seed
from tests.flights.conftest import FLIGHTS_DBS, SEED_START

pytestmark = pytest.mark.django_db(databases=FLIGHTS_DBS)


@pytest.mark.parametrize("model", [Flight, AircraftLayout])
def test_in_the_platform_flights_models_read_and_write_the_flights_alias(model):
    assert router.db_for_read(model) == "flights"
    assert router.db_for_write(model) == "flights"


@pytest.mark.parametrize("model", [Flight, AircraftLayout])
def test_alone_flights_lives_in_default(settings, model):
    settings.DATABASE_APPS_MAPPING = {}  # what settings.flights configures
    assert router.db_for_read(model) == "default"


@pytest.mark.parametrize(
    ("alias", "allowed"),
    [("flights", True), ("default", False)],
)
def test_flights_migrations_run_only_in_the_flights_alias(alias, allowed):
    assert router.allow_migrate(alias, "flights", model_name="flight") is allowed
    assert router.allow_migrate(alias, "flights", model_name="aircraftlayout") is allowed


def test_flights_tables_exist_only_in_the_flights_database():
    flights_tables = set(connections["flights"].introspection.table_names())
    default_tables = set(connections["default"].introspection.table_names())
    assert {"flights_flight", "flights_aircraftlayout"} <= flights_tables
    assert not {"flights_flight", "flights_aircraftlayout"} & default_tables
    assert not any(table.startswith(("gateway_", "authtoken_")) for table in flights_tables)


def test_seeding_and_reading_touch_only_the_flights_database():
    with (
        CaptureQueriesContext(connections["flights"]) as on_flights,
        CaptureQueriesContext(connections["default"]) as on_default,
    ):
        flights_seed(start=SEED_START, days=1)
        flight_find(flight_no="AA2532", departure_date=SEED_START)
        seat_map_for_slot(slot="AA2532")
    assert len(on_flights) > 0
    assert any("flights_flight" in query["sql"] for query in on_flights.captured_queries)
    assert len(on_default) == 0
