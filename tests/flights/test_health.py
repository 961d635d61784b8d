"""Readiness follows the flights database, and a database outage is a clear 503, never a traceback."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections

from tests.flights.conftest import FLIGHTS_DBS

pytestmark = pytest.mark.django_db(databases=FLIGHTS_DBS)


@pytest.fixture
def flights_db_down(monkeypatch):
    """The flights alias refuses every cursor, as a dead or unreachable server does."""

    def refuse(*args, **kwargs):
        raise OperationalError("(2003, \"Can't connect to server on '127.0.0.1' (111)\")")

    monkeypatch.setattr(connections["flights"], "cursor", refuse)


def _flights_check(body: dict) -> dict:
    vendor = connections["flights"].vendor
    [check] = body["checks"][f"{vendor}:flights:responseTime"]
    return check


def test_health_reports_the_flights_database_response_time(client):
    response = client.get("/health")
    check = _flights_check(response.json())
    assert check["status"] == "pass"
    assert check["observedUnit"] == "ms"


def test_health_is_503_when_the_flights_database_is_unreachable(client, flights_db_down):
    response = client.get("/health")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/health+json"
    body = response.json()
    assert body["status"] == "fail"
    check = _flights_check(body)
    assert check["status"] == "fail"
    assert "OperationalError" in check["output"]


@pytest.mark.parametrize(
    "path",
    ["/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20", "/flights/AA2532/seat_map"],
)
def test_the_api_answers_503_with_retry_after_when_the_database_is_down(client, flights_db_down, path):
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": "unavailable",
        "description": "The flights database is unavailable; try again shortly.",
    }
