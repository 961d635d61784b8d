"""The customer API in platform mode: upstreams in-process, real Redis, seeded flights."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from gateway.rules import FLIGHT_NO_RULE
from tests.gateway.conftest import BOOK_DATE, BOOK_FLIGHT_NO, GATEWAY_DBS
from tests.support.factories import FlightFactory
from tests.support.gateway_calls import held, move, reserve

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)
PROBLEM = "application/problem+json"


def seats_of(chart: dict) -> dict[str, dict]:
    return {seat["seat"]: seat for cabin in chart["cabins"] for row in cabin["rows"] for seat in row["seats"]}


# -- auth ----------------------------------------------------------------------------------------


def test_token_is_issued_for_good_credentials_and_refused_for_bad(alice):
    anonymous = APIClient()
    good = anonymous.post("/api/auth/token", {"username": "alice", "password": "skyway-demo"}, format="json")
    bad = anonymous.post("/api/auth/token", {"username": "alice", "password": "wrong"}, format="json")

    assert good.status_code == 200
    assert len(good.json()["token"]) == 40
    assert bad.status_code == 400
    assert bad["Content-Type"] == PROBLEM
    assert bad.json()["detail"] == "Unable to log in with these credentials."


def test_token_endpoint_is_throttled_per_client(alice):
    anonymous = APIClient()
    with override_settings(GATEWAY_AUTH_THROTTLE_RATE="3/min"):
        codes = [
            anonymous.post(
                "/api/auth/token", {"username": "alice", "password": "x"}, format="json"
            ).status_code
            for _ in range(4)
        ]
        last = anonymous.post(
            "/api/auth/token", {"username": "alice", "password": "skyway-demo"}, format="json"
        )

    assert codes == [400, 400, 400, 429]
    assert last.status_code == 429
    assert int(last["Retry-After"]) >= 1


def test_api_refuses_anonymous_requests_with_a_problem_document(seeded):
    response = APIClient().get("/api/reservations")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["type"].endswith("/not-authenticated")


def test_session_login_needs_csrf_and_then_authenticates(alice):
    browser = APIClient(enforce_csrf_checks=True)
    page = browser.get("/")
    token = page.cookies["csrftoken"].value

    no_csrf = browser.post(
        "/api/auth/session", {"username": "alice", "password": "skyway-demo"}, format="json"
    )
    login = browser.post(
        "/api/auth/session",
        {"username": "alice", "password": "skyway-demo"},
        format="json",
        headers={"X-CSRFToken": token},
    )
    me = browser.get("/api/auth/session")

    assert no_csrf.status_code == 403
    assert login.status_code == 200
    assert login.json()["username"] == "alice"
    assert me.json() == {"username": "alice", "customer_id": alice.customer_id}


# -- flights -------------------------------------------------------------------------------------


def test_flight_lookup_by_number_and_date(alice, departed_book_flight):
    response = alice.get("/api/flights", {"flight_no": BOOK_FLIGHT_NO, "date": BOOK_DATE})

    assert response.status_code == 200
    [flight] = response.json()
    assert flight["flight_id"] == departed_book_flight["flight_id"]
    assert flight["origin_code"] == "JFK"
    assert flight["destination_code"] == "LAX"


def test_flight_lookup_by_route_and_date(alice, departed_book_flight):
    response = alice.get("/api/flights", {"origin_code": "jfk", "destination_code": "LAX", "date": BOOK_DATE})

    assert [f["flight_no"] for f in response.json()] == [BOOK_FLIGHT_NO]


def test_a_flight_number_flights_accepts_is_searched_not_refused(alice, db):
    # Issue 14: the gateway allowed 1-5 digits; flights allows 1-4 letters then digits up to 12 characters.
    flight = FlightFactory(flight_no="AA123456")

    response = alice.get(
        "/api/flights", {"flight_no": "aa123456", "date": flight.departure.date().isoformat()}
    )

    assert response.status_code == 200, response.content
    assert [f["flight_id"] for f in response.json()] == [str(flight.flight_id)]


def test_a_flight_number_flights_refuses_is_refused_by_the_gateway_with_flights_rule(alice, db):
    response = alice.get("/api/flights", {"flight_no": "A1"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"flight_no": [FLIGHT_NO_RULE]}


# -- seat chart ----------------------------------------------------------------------------------


def test_seat_chart_marks_free_taken_and_yours_without_exposing_customers(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]
    assert reserve(alice, flight_id, "12C").status_code == 201
    assert reserve(bob, flight_id, "12D").status_code == 201

    response = alice.get(f"/api/flights/{flight_id}/seats")

    assert response.status_code == 200
    chart = response.json()
    seats = seats_of(chart)
    assert chart["degraded"] is False
    assert (seats["12C"]["status"], seats["12D"]["status"], seats["12A"]["status"]) == (
        "yours",
        "taken",
        "free",
    )
    assert "customer_id" not in json.dumps(chart)


def test_seat_chart_draws_cabins_with_aisles_exits_and_wing(alice, book_flight):
    chart = alice.get(f"/api/flights/{book_flight['flight_id']}/seats").json()

    classes = [cabin["cabin_class"] for cabin in chart["cabins"]]
    assert "Business" in classes
    assert "Economy" in classes
    economy = next(c for c in chart["cabins"] if c["cabin_class"] == "Economy")
    assert [c["letter"] for c in economy["columns"] if c["aisle_after"]] == ["C"]  # ABC | DEF
    assert any(row["exit"] for row in economy["rows"])
    assert any(row["wing"] for row in economy["rows"])
    seat_a = seats_of(chart)[f"{economy['rows'][0]['number']}A"]
    assert "window" in seat_a["characteristics"]


def test_seat_chart_of_an_unknown_flight_is_404(alice, seeded):
    response = alice.get(f"/api/flights/{uuid.uuid4()}/seats")

    assert response.status_code == 404
    assert response.json()["type"].endswith("/flight-not-found")


def test_seat_chart_degrades_when_reservations_are_down(alice, book_flight, faults):
    faults("reservations").fail(fault="connect")

    response = alice.get(f"/api/flights/{book_flight['flight_id']}/seats")

    assert response.status_code == 200
    chart = response.json()
    assert chart["degraded"] is True
    assert {seat["status"] for seat in seats_of(chart).values()} == {"unknown"}


def test_seat_chart_is_503_with_retry_after_when_flights_is_down(alice, book_flight, faults):
    faults("flights").fail(fault="timeout")

    response = alice.get(f"/api/flights/{book_flight['flight_id']}/seats")

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response.json()["service"] == "flights"


def test_seat_map_is_cached_per_flight_for_the_configured_ttl(alice, book_flight, faults):
    transport = faults("flights")
    path = f"/api/flights/{book_flight['flight_id']}/seats"

    alice.get(path)
    alice.get(path)
    cached_calls = [p for _, p in transport.seen if p.endswith("/seat_map")]
    with override_settings(GATEWAY_SEAT_MAP_TTL=0):
        transport = faults("flights")
        alice.get(path)
        alice.get(path)
        uncached_calls = [p for _, p in transport.seen if p.endswith("/seat_map")]

    assert len(cached_calls) == 1
    assert len(uncached_calls) == 2


# -- reserve / cancel ----------------------------------------------------------------------------


def test_reserve_outcomes(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]

    first = reserve(alice, flight_id, "14a")
    again = reserve(alice, flight_id, "14A")
    taken = reserve(bob, flight_id, "14A")
    missing = reserve(alice, flight_id, "60A")
    unknown_flight = reserve(alice, str(uuid.uuid4()), "14A")

    assert (first.status_code, first.json()) == (
        201,
        {"flight_id": flight_id, "seat": "14A", "status": "yours"},
    )
    assert again.status_code == 201  # already yours: succeeds again, nothing changes
    assert taken.status_code == 409
    assert taken.json()["type"].endswith("/seat-taken")
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/seat-not-found")
    assert unknown_flight.status_code == 404


def test_reserve_is_503_when_reservations_are_down(alice, book_flight, faults):
    faults("reservations").fail("PUT", fault=503)

    response = reserve(alice, book_flight["flight_id"], "14A")

    assert response.status_code == 503
    assert response["Retry-After"]


def test_idempotency_key_replays_the_first_response(alice, bob, book_flight, redis_client):
    flight_id = book_flight["flight_id"]

    first = reserve(alice, flight_id, "15B", **{"Idempotency-Key": "k-1"})
    reserve(alice, flight_id, "15B")  # unrelated to the key
    alice.delete(f"/api/flights/{flight_id}/reservations/15B")
    replay = reserve(alice, flight_id, "15B", **{"Idempotency-Key": "k-1"})
    other_body = reserve(alice, flight_id, "15C", **{"Idempotency-Key": "k-1"})
    bobs_key = reserve(bob, flight_id, "15C", **{"Idempotency-Key": "k-1"})  # keys are per customer

    assert first.status_code == 201
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    seats = seats_of(alice.get(f"/api/flights/{flight_id}/seats").json())
    assert seats["15B"]["status"] == "free"  # the replay did not reserve again
    assert other_body.status_code == 422
    assert other_body["Content-Type"] == PROBLEM
    assert bobs_key.status_code == 201


def test_idempotency_key_replays_a_refusal_too(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]
    reserve(bob, flight_id, "16A")

    first = reserve(alice, flight_id, "16A", **{"Idempotency-Key": "again"})
    bob.delete(f"/api/flights/{flight_id}/reservations/16A")
    replay = reserve(alice, flight_id, "16A", **{"Idempotency-Key": "again"})

    assert first.status_code == replay.status_code == 409
    assert replay["Content-Type"] == PROBLEM


def test_idempotency_key_is_not_burnt_by_an_outage(alice, book_flight, faults):
    transport = faults("reservations").fail("PUT", fault=503, times=1)

    failed = reserve(alice, book_flight["flight_id"], "17A", **{"Idempotency-Key": "retry-me"})
    retried = reserve(alice, book_flight["flight_id"], "17A", **{"Idempotency-Key": "retry-me"})

    assert (failed.status_code, retried.status_code) == (503, 201)
    assert [m for m, _ in transport.seen].count("PUT") == 2


def test_idempotency_key_in_flight_is_409_and_an_abandoned_claim_is_taken_over(alice, book_flight):
    from datetime import timedelta

    from django.utils import timezone

    from gateway.idempotency import request_fingerprint
    from gateway.models import IdempotencyKey

    claim = IdempotencyKey.objects.create(
        customer_id=alice.customer_id,
        key="running",
        request_hash=request_fingerprint(operation="reserve", flight_id=book_flight["flight_id"], seat="17C"),
    )

    in_flight = reserve(alice, book_flight["flight_id"], "17C", **{"Idempotency-Key": "running"})
    IdempotencyKey.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    taken_over = reserve(alice, book_flight["flight_id"], "17C", **{"Idempotency-Key": "running"})

    assert in_flight.status_code == 409
    assert in_flight.json()["type"].endswith("/idempotency-key-in-flight")
    assert int(in_flight["Retry-After"]) >= 1
    assert taken_over.status_code == 201


def test_cancel_outcomes(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]
    reserve(alice, flight_id, "18A")

    bobs_try = bob.delete(f"/api/flights/{flight_id}/reservations/18A")
    nothing = alice.delete(f"/api/flights/{flight_id}/reservations/18B")
    mine = alice.delete(f"/api/flights/{flight_id}/reservations/18A")

    assert bobs_try.status_code == 403
    assert nothing.status_code == 404
    assert mine.status_code == 204
    assert seats_of(bob.get(f"/api/flights/{flight_id}/seats").json())["18A"]["status"] == "free"


def test_someone_elses_seat_is_never_released(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]
    reserve(alice, flight_id, "19A")

    bob.delete(f"/api/flights/{flight_id}/reservations/19A")

    assert seats_of(alice.get(f"/api/flights/{flight_id}/seats").json())["19A"]["status"] == "yours"


def test_my_reservations_list_only_mine_with_flight_details(alice, bob, book_flight, other_flight):
    reserve(alice, book_flight["flight_id"], "20A")
    reserve(alice, other_flight["flight_id"], "21A")
    reserve(bob, book_flight["flight_id"], "20B")

    mine = alice.get("/api/reservations").json()

    assert sorted((item["flight_id"], item["seat"]) for item in mine) == sorted(
        [(book_flight["flight_id"], "20A"), (other_flight["flight_id"], "21A")]
    )
    assert {item["flight"]["flight_no"] for item in mine} == {BOOK_FLIGHT_NO, other_flight["flight_no"]}


# -- move saga -----------------------------------------------------------------------------------


def test_move_to_another_flight(alice, book_flight, other_flight):
    a, b = book_flight["flight_id"], other_flight["flight_id"]
    reserve(alice, a, "22A")

    response = move(alice, a, "22A", b, "23C")

    assert response.status_code == 200
    assert held(alice) == {(b, "23C")}


def test_move_to_a_taken_seat_changes_nothing(alice, bob, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "24A")
    reserve(bob, f, "24B")

    response = move(alice, f, "24A", f, "24B")

    assert response.status_code == 409
    assert held(alice) == {(f, "24A")}


def test_move_onto_a_seat_you_already_hold_is_refused_and_changes_nothing(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "24C")
    reserve(alice, f, "24D")

    response = move(alice, f, "24C", f, "24D")

    assert response.status_code == 409
    assert held(alice) == {(f, "24C"), (f, "24D")}


def test_move_of_a_seat_you_do_not_hold_is_404(alice, book_flight):
    f = book_flight["flight_id"]

    response = move(alice, f, "25A", f, "25B")

    assert response.status_code == 404
    assert held(alice) == set()


def test_move_compensates_when_releasing_the_old_seat_fails(alice, book_flight, faults):
    f = book_flight["flight_id"]
    reserve(alice, f, "26A")
    transport = faults("reservations").fail("DELETE", f"/{f}/26A", fault=503, times=1)

    response = move(alice, f, "26A", f, "26C")

    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.json()
    assert body["compensated"] is True
    assert body["holds"] == [{"flight_id": f, "seat": "26A"}]
    assert held(alice) == {(f, "26A")}  # one seat, the old one: neither zero nor two
    assert ("DELETE", f"/reservations/{f}/26C") in transport.seen  # the compensation


def reservations_in_store(customer_id: str) -> set[tuple[str, str]]:
    """What the reservations context itself holds for a customer (no gateway in between)."""
    from reservations import selectors

    return {
        (r["flight_id"], r["seat_no"]) for r in selectors.customer_reservations_list(customer_id=customer_id)
    }


def test_move_reports_both_seats_when_the_compensation_fails_too(alice, book_flight, faults):
    f = book_flight["flight_id"]
    reserve(alice, f, "28A")
    transport = faults("reservations")
    transport.fail("DELETE", f"/{f}/28A", fault=503, times=1)
    transport.fail("DELETE", f"/{f}/28C", fault="connect")

    response = move(alice, f, "28A", f, "28C")

    assert response.status_code == 503
    problem = response.json()
    assert problem["type"].endswith("/seat-move-incomplete")
    assert {(h["flight_id"], h["seat"]) for h in problem["holds"]} == {(f, "28A"), (f, "28C")}
    assert reservations_in_store(alice.customer_id) == {(f, "28A"), (f, "28C")}  # reported = true


def test_move_does_not_compensate_blindly_when_the_outcome_is_unknown(alice, book_flight, faults):
    f = book_flight["flight_id"]
    reserve(alice, f, "29A")
    transport = faults("reservations")
    transport.fail("DELETE", f"/{f}/29A", fault="timeout", times=1)
    transport.fail("GET", "customer_id=", fault="connect", after=1)  # the saga's first check still works

    response = move(alice, f, "29A", f, "29C")

    assert response.status_code == 503
    assert response.json()["type"].endswith("/seat-move-incomplete")
    assert ("DELETE", f"/reservations/{f}/29C") not in transport.seen  # the new seat is kept
    assert (f, "29C") in reservations_in_store(alice.customer_id)


def test_move_finishes_when_a_timed_out_release_had_happened(alice, book_flight, faults):
    f = book_flight["flight_id"]
    reserve(alice, f, "27A")
    # The release reaches the store, but its answer is lost (timeout): the saga must not compensate.
    faults("reservations").fail("DELETE", f"/{f}/27A", fault="answer-lost")
    response = move(alice, f, "27A", f, "27C")

    assert response.status_code == 200
    assert held(alice) == {(f, "27C")}


# -- bad input never 500 -------------------------------------------------------------------------

NOT_UUID = "not-a-uuid"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/flights", None),
        ("get", "/api/flights?flight_no=1234", None),
        ("get", "/api/flights?flight_no=AA2532&date=2020-13-45", None),
        ("get", "/api/flights?origin_code=JFKX", None),
        ("get", f"/api/flights/{NOT_UUID}/seats", None),
        ("get", "/api/flights/%00%ff/seats", None),
        ("post", "/api/flights/{flight}/reservations", {}),
        ("post", "/api/flights/{flight}/reservations", {"seat": ""}),
        ("post", "/api/flights/{flight}/reservations", {"seat": "0A"}),
        ("post", "/api/flights/{flight}/reservations", {"seat": "12Z"}),
        ("post", "/api/flights/{flight}/reservations", {"seat": ["12A"]}),
        ("post", "/api/flights/{flight}/reservations", {"seat": "x" * 500}),
        ("post", "/api/flights/{flight}/reservations", "not json"),
        ("post", f"/api/flights/{NOT_UUID}/reservations", {"seat": "12A"}),
        ("delete", "/api/flights/{flight}/reservations/ZZZ", None),
        ("delete", f"/api/flights/{NOT_UUID}/reservations/12A", None),
        ("post", "/api/reservations/move", {}),
        ("post", "/api/reservations/move", {"from_flight_id": 1, "from_seat": None}),
        (
            "post",
            "/api/reservations/move",
            {"from_flight_id": "{flight}", "from_seat": "1A", "to_flight_id": "{flight}", "to_seat": "1A"},
        ),
        ("post", "/api/auth/token", {"username": ["x"], "password": {}}),
        ("post", "/api/auth/token", "username=alice"),
        ("put", "/api/reservations", {}),
    ],
)
def test_bad_input_is_a_4xx_problem_never_a_500(alice, book_flight, method, path, body):
    path = path.replace("{flight}", book_flight["flight_id"])
    if isinstance(body, dict):
        body = {
            k: (v.replace("{flight}", book_flight["flight_id"]) if isinstance(v, str) else v)
            for k, v in body.items()
        }
        response = getattr(alice, method)(path, body, format="json")
    elif isinstance(body, str):
        response = getattr(alice, method)(path, body, content_type="application/json")
    else:
        response = getattr(alice, method)(path)

    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/flights/{flight}/seats", None),
        ("post", "/api/flights/{flight}/reservations", {"seat": "12A"}),
        ("delete", "/api/flights/{flight}/reservations/12A", None),
    ],
)
def test_an_unhyphenated_flight_id_is_bad_input_not_an_unknown_flight(alice, book_flight, method, path, body):
    # Issue 14: the gateway took the bare-hex spelling, flights refused it, and the customer got a 404.
    bare = uuid.UUID(book_flight["flight_id"]).hex
    response = getattr(alice, method)(path.replace("{flight}", bare), body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["type"].endswith("/invalid-input")
    assert response.json()["detail"].startswith("flight_id: must be a flight's uuid")


def test_idempotency_key_that_is_too_long_is_refused(alice, book_flight):
    response = reserve(alice, book_flight["flight_id"], "12A", **{"Idempotency-Key": "k" * 300})

    assert response.status_code == 400


# -- demo customers ------------------------------------------------------------------------------


def test_seed_demo_customers_refuses_outside_debug(db):
    from django.core.management.base import CommandError

    with override_settings(DEBUG=False), pytest.raises(CommandError):
        call_command("seed_demo_customers")


def test_seed_demo_customers_is_idempotent_in_debug(db):
    from django.contrib.auth import authenticate, get_user_model

    with override_settings(DEBUG=True):
        call_command("seed_demo_customers")
        call_command("seed_demo_customers")

    assert get_user_model().objects.filter(username__in=["alice", "bob"]).count() == 2
    assert authenticate(username="bob", password="skyway-demo") is not None
