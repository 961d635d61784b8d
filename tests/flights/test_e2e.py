"""settings.flights on its own, as a live process, serves the book's contract over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.support.live import SERVICE_HEADERS, base_env, free_port, run_manage, start_service

pytestmark = pytest.mark.e2e

BOOK_REQUEST = "/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20"


@pytest.fixture
def flights_alone(tmp_path):
    env = base_env(
        FLIGHTS_DATABASE_URL=f"sqlite:///{tmp_path}/f.sqlite3", SKYWAY_VAR_DIR=str(tmp_path / "var")
    )
    run_manage("settings.flights", "migrate_contexts", env=env)
    first = run_manage("settings.flights", "seed_flights", env=env)
    second = run_manage("settings.flights", "seed_flights", env=env)
    service = start_service("settings.flights", env=env, workers=1, log_dir=tmp_path)
    try:
        yield service, first, second
    finally:
        service.stop()


def test_the_flights_deployable_alone_answers_the_books_requests(flights_alone):
    service, first_seed, second_seed = flights_alone
    assert "flights +113" in first_seed
    assert "flights +0 (total 113)" in second_seed

    with httpx.Client(base_url=service.url, headers=SERVICE_HEADERS, timeout=10) as http:
        flights = http.get(BOOK_REQUEST)
        assert flights.status_code == 200
        [flight] = flights.json()
        assert (flight["flight_no"], flight["departure"]) == ("AA2532", "2020-05-17T13:20:00Z")

        by_number = http.get("/flights/AA2532/seat_map")
        assert by_number.status_code == 200
        assert by_number.json()["Cabin"][0]["CabinClass"]["CabinType"] == "Business"

        by_id = http.get(f"/flights/{flight['flight_id']}/seat_map")
        assert by_id.json() == by_number.json()  # both fly the A321 layout
        assert by_id.headers["X-Flight-Id"] == flight["flight_id"]

        assert http.get(f"/flights/{flight['flight_id']}").json() == flight
        missing = http.get("/flights/ZZ1234/seat_map")
        assert (missing.status_code, missing.json()["error"]) == (404, "flight_not_found")
        bad = http.get("/flights?flight_no=1")
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid_input")

        health = http.get("/health")
        assert health.status_code == 200
        assert health.json()["checks"]["sqlite:default:responseTime"][0]["status"] == "pass"
        assert "/flights/{slot}/seat_map" in http.get("/schema", headers={"Accept": "application/json"}).text


def test_the_flights_deployable_reports_an_unreachable_database_as_503(tmp_path):
    nobody_listens = free_port()
    env = base_env(
        FLIGHTS_DATABASE_URL=f"mysql://root@127.0.0.1:{nobody_listens}/skyway_flights",
        SKYWAY_VAR_DIR=str(tmp_path / "var"),
    )
    service = start_service("settings.flights", env=env, workers=1, log_dir=tmp_path)
    try:
        with httpx.Client(base_url=service.url, headers=SERVICE_HEADERS, timeout=15) as http:
            assert http.get("/ping").status_code == 200  # alive: liveness does no I/O
            health = http.get("/health")
            assert health.status_code == 503
            assert health.json()["checks"]["mysql:default:responseTime"][0]["status"] == "fail"
            lookup = http.get(BOOK_REQUEST)
            assert lookup.status_code == 503
            assert lookup.json()["error"] == "unavailable"
            assert lookup.headers["Retry-After"] == "5"
    finally:
        service.stop()
