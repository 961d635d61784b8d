"""The admin edits layouts and flights; a malformed seat map is refused with the offending path."""

from __future__ import annotations

import json
import re

import pytest

from flights.models import AircraftLayout, Flight
from tests.flights.conftest import FLIGHTS_DBS

pytestmark = pytest.mark.django_db(databases=FLIGHTS_DBS)


def test_a_malformed_seat_map_is_refused_in_the_admin_form(admin_client, small_seat_map):
    small_seat_map["Cabin"][0]["Row"][1]["Seat"][1]["Number"] = "B"
    response = admin_client.post(
        "/admin/flights/aircraftlayout/add/",
        {"code": "BAD-1", "aircraft_type": "Test", "seat_map": json.dumps(small_seat_map)},
    )
    assert response.status_code == 200  # the form again, with errors
    assert (
        "Cabin[0].Row[1].Seat[1].Number: must be one of the cabin&#x27;s columns" in response.content.decode()
    )
    assert not AircraftLayout.objects.filter(code="BAD-1").exists()


def test_text_that_is_not_json_is_refused_in_the_admin_form(admin_client):
    response = admin_client.post(
        "/admin/flights/aircraftlayout/add/",
        {"code": "BAD-2", "aircraft_type": "Test", "seat_map": "{Cabin:"},
    )
    assert response.status_code == 200
    assert b"Enter a valid JSON" in response.content
    assert not AircraftLayout.objects.filter(code="BAD-2").exists()


def test_a_valid_seat_map_is_saved_with_its_seat_count(admin_client, small_seat_map):
    response = admin_client.post(
        "/admin/flights/aircraftlayout/add/",
        {"code": "OK-1", "aircraft_type": "Test", "seat_map": json.dumps(small_seat_map)},
    )
    assert response.status_code == 302
    assert AircraftLayout.objects.get(code="OK-1").seat_count == 32


def test_the_layout_form_shows_the_seat_map_indented(admin_client, layout):
    response = admin_client.get(f"/admin/flights/aircraftlayout/{layout.pk}/change/")
    assert response.status_code == 200
    assert "&quot;Cabin&quot;: [\n" in response.content.decode()


def test_flights_are_listed_and_searchable(admin_client, seeded):
    response = admin_client.get("/admin/flights/flight/", {"q": "AA2532"})
    assert response.status_code == 200
    assert b"AA2532" in response.content
    assert b"UA1520" not in response.content


def add_flight(admin_client, layout, **fields):
    """The admin's "add flight" form posted: a valid flight on `layout` but for `fields`."""
    form = {
        "flight_no": "SK42",
        "departure_0": "2031-03-01",
        "departure_1": "09:30:00",
        "origin_code": "AMS",
        "destination_code": "CDG",
        "layout": layout.pk,
    }
    return admin_client.post("/admin/flights/flight/add/", {**form, **fields})


def test_a_flight_added_in_the_admin_is_normalised(admin_client, layout):
    response = add_flight(admin_client, layout, flight_no="sk42", origin_code="ams", destination_code="cdg")
    assert response.status_code == 302, response.content.decode()[:2000]
    flight = Flight.objects.get(flight_no="SK42")
    assert (flight.origin_code, flight.destination_code) == ("AMS", "CDG")


def test_a_bad_flight_number_is_refused_in_the_admin(admin_client, layout):
    response = add_flight(admin_client, layout, flight_no="42")
    assert response.status_code == 200
    assert b"must look like AA2532" in response.content
    assert not Flight.objects.exists()


def test_the_layout_form_draws_the_seat_map_and_checks_its_json_as_typed(admin_client, layout):
    page = admin_client.get(f"/admin/flights/aircraftlayout/{layout.pk}/change/").content.decode()

    drawn = re.findall(r'<td class="seat[^"]*" data-seat="(\w+)"', page)
    assert len(drawn) == layout.seat_count
    assert "1A" in drawn
    assert '<script src="/static/flights/seat_map_editor.js"></script>' in page
    assert admin_client.get("/static/flights/seat_map_editor.js").status_code == 200
