"""The book's HTTP contract of the flights service, and that bad input never gets a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from flights.seed_data import seed_flight_id
from tests.flights.conftest import FLIGHTS_DBS, SEED_START
from tests.support.book import BOOK_FLIGHT_FROM_FLIGHTS

pytestmark = pytest.mark.django_db(databases=FLIGHTS_DBS)

BOOK_REQUEST = "/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20"
BOOK_FLIGHT_ID = str(seed_flight_id("AA2532", datetime(2020, 5, 17, 13, 20, tzinfo=UTC)))
HUGE = "A" * 10_000


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"error", "description"}
    assert body["description"]
    return body


def test_the_books_request_returns_the_flight(client, seeded):
    response = client.get(BOOK_REQUEST)
    assert response.status_code == 200
    assert response.json() == [BOOK_FLIGHT_FROM_FLIGHTS]


def test_a_date_returns_every_departure_of_that_day(client, seeded):
    response = client.get(f"/flights?flight_no=AA2532&departure_date_time={SEED_START}")
    assert [flight["departure"] for flight in response.json()] == [f"{SEED_START}T13:20:00Z"]


def test_an_explicit_offset_is_honoured(client, seeded):
    response = client.get(
        "/flights", {"flight_no": "AA2532", "departure_date_time": "2020-05-17T15:20+02:00"}
    )
    assert [flight["flight_id"] for flight in response.json()] == [BOOK_FLIGHT_ID]


def test_no_match_is_an_empty_list_not_a_404(client, seeded):
    response = client.get("/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:21")
    assert response.status_code == 200
    assert response.json() == []


def test_flights_can_be_listed_by_route_and_date_without_a_flight_number(client, seeded):
    response = client.get(f"/flights?origin_code=BOS&destination_code=SFO&date={SEED_START}")
    assert response.status_code == 200
    assert [flight["flight_no"] for flight in response.json()] == ["UA1520", "UA1524"]


def test_unknown_parameters_are_ignored(client, seeded):
    response = client.get(BOOK_REQUEST + "&utm_source=mail&page=2&flight_no_x=1")
    assert response.status_code == 200
    assert len(response.json()) == 1


def test_one_flight_by_its_id(client, seeded):
    response = client.get(f"/flights/{BOOK_FLIGHT_ID}")
    assert response.status_code == 200
    assert response.json()["flight_no"] == "AA2532"


def test_the_seat_map_by_flight_number(client, seeded):
    response = client.get("/flights/AA2532/seat_map")
    assert response.status_code == 200
    seat_map = response.json()
    cabin = seat_map["Cabin"][0]
    assert set(cabin) >= {"firstRow", "lastRow", "CabinClass", "Column", "Row"}
    seat = cabin["Row"][0]["Seat"][0]
    assert set(seat) >= {
        "Number",
        "premiumInd",
        "exitRowInd",
        "restrictedReclineInd",
        "noInfantInd",
        "Facilities",
    }
    assert uuid.UUID(response["X-Flight-Id"])


def test_the_seat_map_by_flight_id_names_that_flight(client, seeded):
    response = client.get(f"/flights/{BOOK_FLIGHT_ID}/seat_map")
    assert response.status_code == 200
    assert response["X-Flight-Id"] == BOOK_FLIGHT_ID
    assert response.json()["Cabin"][1]["CabinClass"] == {"CabinType": "Economy"}


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/flights/AA9999/seat_map", "flight_not_found"),
        (f"/flights/{uuid.UUID(int=7)}/seat_map", "flight_not_found"),
        (f"/flights/{uuid.UUID(int=7)}", "flight_not_found"),
    ],
)
def test_unknown_flights_are_404_with_a_message(client, seeded, path, error):
    response = client.get(path)
    assert response.status_code == 404
    assert _error(response)["error"] == error


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({}, "at least one"),
        ({"flight_no": ""}, "flight_no: must not be blank"),
        ({"flight_no": "AA2532", "date": " "}, "date: must not be blank"),
        ({"flight_no": "A1"}, "flight_no"),
        ({"flight_no": "AA"}, "flight_no"),
        ({"flight_no": "2532"}, "flight_no"),
        ({"flight_no": "AAAAA1"}, "flight_no"),
        ({"flight_no": "AA25 32"}, "flight_no"),
        ({"flight_no": "AA2532'; DROP TABLE flights_flight;--"}, "flight_no"),
        ({"flight_no": "ÅÅ2532"}, "flight_no"),
        ({"flight_no": "AA2532\x00"}, "flight_no"),
        ({"flight_no": "AA\u0662\u0665\u0663\u0662"}, "flight_no"),  # Arabic-Indic digits
        (
            {"flight_no": "AA2532", "departure_date_time": "\uff12\uff10\uff12\uff10-05-17"},
            "departure_date_time",
        ),
        ({"flight_no": HUGE}, "flight_no"),
        ({"flight_no": "AA" + "9" * 10_000}, "flight_no"),
        ({"flight_no": "AA2532", "departure_date_time": "2020-05-17 13:20"}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "2020-13-17T13:20"}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "2020-02-30"}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "2020-05-17T25:00"}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "2020-05-17T13:20+25:00"}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "17/05/2020"}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "yesterday"}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "0000-01-01"}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": HUGE}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "9" * 10_000}, "departure_date_time"),
        ({"flight_no": "AA2532", "departure_date_time": "9999-12-31T23:59"}, "year"),
        ({"flight_no": "AA2532", "departure_date_time": "0001-01-01T00:00+01:00"}, "year"),
        ({"date": "9999-12-31"}, "year"),
        ({"date": "2020-5-1"}, "date"),
        ({"date": HUGE}, "date"),
        ({"date": "2020-05-17", "departure_date_time": "2020-05-18"}, "date"),
        ({"origin_code": "JF"}, "origin_code"),
        ({"origin_code": "J1K"}, "origin_code"),
        ({"destination_code": HUGE}, "destination_code"),
    ],
)
def test_malformed_queries_are_400_with_a_message(client, query, names):
    response = client.get("/flights", query)
    assert response.status_code == 400
    body = _error(response)
    assert body["error"] == "invalid_input"
    assert names in body["description"]
    assert len(response.content) < 2_000  # the message names the problem; it does not echo 10 kB back


@pytest.mark.parametrize(
    "path",
    [
        "/flights/x/seat_map",
        "/flights/12/seat_map",
        "/flights/AA-2532/seat_map",
        "/flights/AA2532%0A/seat_map",
        "/flights/AA%D9%A2%D9%A5/seat_map",
        f"/flights/{'A' * 2000}/seat_map",
        f"/flights/{str(uuid.UUID(int=7))[:-1]}g/seat_map",
        "/flights/AA2532",
        "/flights/123",
        "/flights/%00",
        f"/flights/{'9' * 2000}",
        f"/flights/{uuid.UUID(int=7).hex}",
        # 36 characters that uuid.UUID alone reads as a uuid: not the canonical spelling.
        f"/flights/urn:{uuid.UUID(int=7).hex}",
        f"/flights/urn:{uuid.UUID(int=7).hex}/seat_map",
        f"/flights/{uuid.UUID(int=7).hex}----",
    ],
)
def test_malformed_path_slots_are_400_with_a_message(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert _error(response)["error"] == "invalid_input"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/flights", "/flights/AA2532/seat_map", f"/flights/{uuid.UUID(int=7)}"])
def test_wrong_methods_are_405_with_a_message(client, method, path):
    response = getattr(client, method)(path, data="{}", content_type="application/json")
    assert response.status_code == 405
    assert _error(response)["error"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_a_made_up_method_is_405_too(client):
    response = client.generic("BREW", "/flights")
    assert response.status_code == 405
    _error(response)


def test_the_browsable_api_renders_for_a_browser(client, seeded):
    response = client.get(BOOK_REQUEST, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"AA2532" in response.content


def test_errors_render_for_a_browser_too(client):
    response = client.get("/flights?flight_no=A1", HTTP_ACCEPT="text/html")
    assert response.status_code == 400
    assert b"invalid_input" in response.content


def test_the_schema_documents_the_flights_operations(client):
    response = client.get("/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    listing = paths["/flights"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "flight_no",
        "departure_date_time",
        "date",
        "origin_code",
        "destination_code",
    }
    assert set(listing["responses"]) >= {"200", "400"}
    assert set(paths["/flights/{slot}/seat_map"]["get"]["responses"]) >= {"200", "400", "404"}
    assert set(paths["/flights/{flight_id}"]["get"]["responses"]) >= {"200", "400", "404"}
    # In the platform every context shares one document: flights' components carry their own names.
    components = response.json()["components"]["schemas"]
    assert {"FlightsFlight", "FlightsError", "FlightsSeatMap", "FlightsSeat"} <= set(components)
    flight_list = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert flight_list == {"type": "array", "items": {"$ref": "#/components/schemas/FlightsFlight"}}
