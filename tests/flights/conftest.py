"""Fixtures of the flights suite. In settings.test (the platform) flights' tables live in alias "flights"."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.factories import SeatMapFactory

FLIGHTS_DBS = ["default", "flights"]
SEED_START = date(2031, 3, 1)  # a fixed future day, so "next departure" is stable whatever today is


@pytest.fixture
def small_seat_map() -> dict:
    """8 business + 24 economy seats; row 8 is an exit row over the wing."""
    return SeatMapFactory()


@pytest.fixture
def layout(small_seat_map):
    from flights.services import aircraft_layout_create

    return aircraft_layout_create(code="TST-8J24Y", aircraft_type="Test Jet", seat_map=small_seat_map)


@pytest.fixture
def seeded():
    from flights.services import flights_seed

    return flights_seed(start=SEED_START, days=3)
