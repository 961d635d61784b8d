"""The customer API end to end over HTTP: gateway → flights + reservations, each its own process."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.conftest import BOOK_FLIGHT, Customer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("healthy")]


def test_token_and_flight_lookup(stack, alice):
    bad = httpx.post(f"{stack.gateway.url}/api/auth/token", json={"username": "alice", "password": "nope"})
    by_number = alice.http.get("/api/flights", params=BOOK_FLIGHT)
    by_route = alice.http.get(
        "/api/flights", params={"origin_code": "JFK", "destination_code": "LAX", "date": BOOK_FLIGHT["date"]}
    )

    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert (by_number.status_code, by_route.status_code) == (200, 200), (by_number.text, by_route.text)
    assert [f["flight_no"] for f in by_number.json()] == ["AA2532"]
    assert [f["flight_id"] for f in by_route.json()] == [by_number.json()[0]["flight_id"]]


def test_reserve_chart_list_and_cancel(alice, bob, flights):
    flight = flights[0]

    reserved = alice.reserve(flight, "10A")
    taken = bob.reserve(flight, "10A")
    missing = alice.reserve(flight, "70A")
    unknown_flight = alice.reserve(str(uuid.uuid4()), "10A")
    alice_view, bob_view = alice.seats(flight), bob.seats(flight)
    listed = alice.mine()
    bobs_cancel = bob.cancel(flight, "10A")
    cancelled = alice.cancel(flight, "10A")
    again = alice.cancel(flight, "10A")

    assert reserved.status_code == 201
    assert taken.status_code == 409
    assert taken.json()["type"].endswith("/seat-taken")
    assert missing.status_code == 404
    assert unknown_flight.status_code == 404
    assert (alice_view["10A"], bob_view["10A"], bob_view["10B"]) == ("yours", "taken", "free")
    assert (flight, "10A") in listed
    assert bobs_cancel.status_code == 403
    assert cancelled.status_code == 204
    assert again.status_code == 404
    assert alice.seats(flight)["10A"] == "free"


def test_chart_never_shows_customer_ids(alice, bob, flights):
    bob.reserve(flights[0], "11F")

    body = alice.chart(flights[0]).text

    assert "customer" not in body
    bob.cancel(flights[0], "11F")


def test_idempotency_key_over_http(alice, flights):
    flight, key = flights[0], f"e2e-{uuid.uuid4()}"

    first = alice.reserve(flight, "12B", **{"Idempotency-Key": key})
    replay = alice.reserve(flight, "12B", **{"Idempotency-Key": key})
    different = alice.reserve(flight, "12C", **{"Idempotency-Key": key})

    assert (first.status_code, replay.status_code, different.status_code) == (201, 201, 422)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    alice.cancel(flight, "12B")


def test_move_to_another_flight(alice, flights):
    a, b = flights[0], flights[1]
    alice.reserve(a, "13A")

    moved = alice.move(a, "13A", b, "13C")

    assert moved.status_code == 200
    assert (b, "13C") in alice.mine()
    assert (a, "13A") not in alice.mine()
    alice.cancel(b, "13C")


def test_request_id_reaches_the_upstream(aux_gateway, fault_proxy, flights):
    alice = Customer(aux_gateway.url, "alice")
    request_id = f"e2e-{uuid.uuid4().hex}"

    response = alice.http.get(f"/api/flights/{flights[0]}/seats", headers={"X-Request-ID": request_id})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == request_id
    assert request_id in fault_proxy.request_ids  # what the reservations process received


def test_session_login_from_the_page(stack):
    browser = httpx.Client(base_url=stack.gateway.url, timeout=10)
    page = browser.get("/")
    csrf = browser.cookies["csrftoken"]

    refused = browser.post("/api/auth/session", json={"username": "alice", "password": "skyway-demo"})
    login = browser.post(
        "/api/auth/session",
        json={"username": "alice", "password": "skyway-demo"},
        headers={"X-CSRFToken": csrf},
    )
    me = browser.get("/api/auth/session")

    assert page.status_code == 200
    assert "seat_chart.js" in page.text
    assert refused.status_code == 403
    assert login.status_code == 200
    assert me.json()["username"] == "alice"


def test_openapi_schema_and_swagger_ui_are_served(stack):
    schema = httpx.get(f"{stack.gateway.url}/schema", headers={"Accept": "application/json"}, timeout=10)
    swagger = httpx.get(f"{stack.gateway.url}/schema/swagger-ui/", timeout=10)

    assert schema.status_code == 200
    assert "/api/reservations/move" in schema.text
    assert swagger.status_code == 200
