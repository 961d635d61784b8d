"""Fixtures of the security checks: platform mode (every context in-process), two customers, a flight."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from gateway import clients
from skyway import login_throttle
from tests.support.customers import alice, bob  # noqa: F401  (fixtures)
from tests.support.flights import seed_open_flights

DATABASES = ["default", "flights"]


@pytest.fixture(autouse=True)
def _fresh_clients_and_cache():
    """Closed breakers, fresh pools and empty throttle counters for every test."""
    clients.clients_reset()
    cache.clear()
    login_throttle.counts_clear()
    yield
    clients.clients_reset()
    cache.clear()
    login_throttle.counts_clear()


@pytest.fixture
def customer_password() -> str:
    """Not the demo password: no check here may pass only because a customer's password is known."""
    return "not-the-demo-password"


@pytest.fixture
def open_flights(db, redis_client) -> list[dict]:
    """The seeded flights still open for booking (two days of schedule), earliest first, over an empty Redis."""
    return seed_open_flights()


@pytest.fixture
def flight_id(open_flights) -> str:
    """A seeded flight still open for booking."""
    return open_flights[0]["flight_id"]
