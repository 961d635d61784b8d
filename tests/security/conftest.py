"""Fixtures of the security checks: platform mode (every context in-process), two customers, a flight."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from gateway import clients
from skyway import login_throttle
from tests.support.customers import customer_client

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


def customer(username: str) -> APIClient:
    return customer_client(username, password="not-the-demo-password")


@pytest.fixture
def alice(db) -> APIClient:
    return customer("alice")


@pytest.fixture
def bob(db) -> APIClient:
    return customer("bob")


@pytest.fixture
def flight_id(db, redis_client) -> str:
    """A seeded flight's id (one day of schedule) over an empty Redis."""
    from flights.models import Flight

    call_command("seed_flights", "--days", "1", stdout=None)
    return str(Flight.objects.order_by("departure").values_list("flight_id", flat=True).first())
