"""Seat holds through the gateway (platform mode: upstreams in-process, real Redis, seeded flights)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.gateway.conftest import GATEWAY_DBS

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)
PROBLEM = "application/problem+json"


def seats_of(chart: dict) -> dict[str, dict]:
    return {seat["seat"]: seat for cabin in chart["cabins"] for row in cabin["rows"] for seat in row["seats"]}


def hold(client, flight_id: str, body: dict, **headers):
    return client.post(f"/api/flights/{flight_id}/holds", body, format="json", headers=headers)


def test_a_hold_of_chosen_seats_is_201_and_the_chart_shows_it(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]

    response = hold(alice, flight_id, {"seats": ["14a", "14B", "14C"]})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"hold_id", "flight_id", "seats", "status", "created_at", "expires_at"}
    assert (body["seats"], body["status"], body["flight_id"]) == (["14A", "14B", "14C"], "held", flight_id)
    mine = seats_of(alice.get(f"/api/flights/{flight_id}/seats").json())
    assert {mine[s]["status"] for s in ("14A", "14B", "14C")} == {"held"}
    assert mine["14A"]["hold_id"] == body["hold_id"]
    assert mine["14A"]["expires_at"] == body["expires_at"]
    theirs = seats_of(bob.get(f"/api/flights/{flight_id}/seats").json())
    assert {theirs[s]["status"] for s in ("14A", "14B", "14C")} == {"taken"}
    assert "hold_id" not in theirs["14A"]
    assert theirs["14D"]["status"] == "free"


def test_a_held_seat_cannot_be_reserved_or_held_by_someone_else(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]
    hold(alice, flight_id, {"seats": ["14A", "14B"]})

    reserve = bob.post(f"/api/flights/{flight_id}/reservations", {"seat": "14B"}, format="json")
    refused = hold(bob, flight_id, {"seats": ["14B", "14C"]})

    assert reserve.status_code == 409
    assert reserve.json()["type"].endswith("/seat-taken")
    assert refused.status_code == 409
    assert refused["Content-Type"] == PROBLEM
    assert refused.json()["seats"] == ["14B"]
    assert refused.json()["detail"] == "Seat 14B is already reserved or held; nothing was held."
    assert seats_of(bob.get(f"/api/flights/{flight_id}/seats").json())["14C"]["status"] == "free"


def test_confirm_makes_the_seats_yours_and_others_see_them_taken(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]
    hold_id = hold(alice, flight_id, {"seats": ["15A", "15B"]}).json()["hold_id"]

    confirmed = alice.post(f"/api/holds/{hold_id}/confirm")

    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert alice.post(f"/api/holds/{hold_id}/confirm").json()["status"] == "confirmed"  # again: the same
    chart = seats_of(alice.get(f"/api/flights/{flight_id}/seats").json())
    assert (chart["15A"]["status"], chart["15B"]["status"]) == ("yours", "yours")
    assert seats_of(bob.get(f"/api/flights/{flight_id}/seats").json())["15A"]["status"] == "taken"
    mine = alice.get("/api/reservations").json()
    assert [(r["flight_id"], r["seat"]) for r in mine] == [(flight_id, "15A"), (flight_id, "15B")]
    refused = alice.delete(f"/api/holds/{hold_id}")
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/hold-confirmed")


def test_release_frees_the_seats_and_a_released_hold_cannot_be_confirmed(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]
    hold_id = hold(alice, flight_id, {"seats": ["16A"]}).json()["hold_id"]

    assert alice.delete(f"/api/holds/{hold_id}").status_code == 204
    assert alice.delete(f"/api/holds/{hold_id}").status_code == 204  # released already: still fine
    assert alice.get(f"/api/holds/{hold_id}").json()["status"] == "released"
    refused = alice.post(f"/api/holds/{hold_id}/confirm")
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/hold-released")
    assert hold(bob, flight_id, {"seats": ["16A"]}).status_code == 201


@pytest.mark.parametrize("method", ["get", "delete", "confirm"])
def test_another_customers_hold_is_404_like_an_unknown_one(alice, bob, book_flight, method):
    hold_id = hold(alice, book_flight["flight_id"], {"seats": ["17A"]}).json()["hold_id"]
    unknown = f"{book_flight['flight_id']}.{'0' * 24}"

    answers = []
    for some_id in (hold_id, unknown, "not-a-hold"):
        if method == "confirm":
            answers.append(bob.post(f"/api/holds/{some_id}/confirm"))
        else:
            answers.append(getattr(bob, method)(f"/api/holds/{some_id}"))

    for response in answers:
        assert response.status_code == 404
        assert response.json()["type"].endswith("/hold-not-found")
        assert response.json()["detail"] == "You have no hold with this id."
    assert alice.get(f"/api/holds/{hold_id}").json()["status"] == "held"  # untouched


def test_a_party_is_held_together_with_its_preferences(alice, book_flight):
    flight_id = book_flight["flight_id"]

    response = hold(alice, flight_id, {"party": 3, "prefer": ["economy", "window"]})

    assert response.status_code == 201
    assert response.json()["seats"] == ["7A", "7B", "7C"]
    assert response.json()["arrangement"] == "row"
    second = hold(alice, flight_id, {"party": 2, "prefer": ["business"]}).json()
    assert second["seats"] == ["1A", "1C"]


def test_a_party_skips_seats_held_or_reserved_by_others(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]
    hold(bob, flight_id, {"seats": ["7B"]})
    bob.post(f"/api/flights/{flight_id}/reservations", {"seat": "7E"}, format="json")

    response = hold(alice, flight_id, {"party": 3, "prefer": ["economy"]})

    assert response.json()["seats"] == ["8A", "8B", "8C"]


def test_a_party_too_big_for_what_is_left_of_a_cabin_is_409(alice, bob, book_flight):
    flight_id = book_flight["flight_id"]  # business: 16 seats
    assert hold(bob, flight_id, {"party": 8, "prefer": ["business"]}).status_code == 201

    too_big = hold(alice, flight_id, {"party": 9, "prefer": ["business"]})
    assert hold(alice, flight_id, {"party": 8, "prefer": ["business"]}).status_code == 201
    full = hold(alice, flight_id, {"party": 1, "prefer": ["business"]})

    assert too_big.status_code == 409
    assert too_big.json()["type"].endswith("/no-seats-for-party")
    assert too_big.json()["detail"] == "There are not 9 free seats on this flight in the cabin asked for."
    assert full.status_code == 409


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"seats": ["14A"], "party": 2}, 400),
        ({"party": 0}, 400),
        ({"party": 10}, 400),
        ({"seats": []}, 400),
        ({"seats": ["14A"] * 10}, 400),
        ({"seats": ["ZZ"]}, 400),
        ({"party": 2, "prefer": ["first"]}, 400),  # no such cabin on this flight
        ({"seats": ["14A"], "prefer": ["window"]}, 400),
        ({"seats": ["60A"]}, 404),
    ],
)
def test_bad_hold_requests_are_refused_with_a_problem(alice, book_flight, body, status):
    response = hold(alice, book_flight["flight_id"], body)

    assert response.status_code == status, response.json()
    assert response["Content-Type"] == PROBLEM


def test_a_departed_flight_cannot_be_held(alice, departed_book_flight):
    response = hold(alice, departed_book_flight["flight_id"], {"seats": ["14A"]})

    assert response.status_code == 409
    assert response.json()["type"].endswith("/flight-closed")


@override_settings(MAX_SEATS_PER_CUSTOMER_PER_FLIGHT=3)
def test_held_seats_count_towards_the_seat_limit(alice, book_flight):
    flight_id = book_flight["flight_id"]
    hold(alice, flight_id, {"seats": ["20A", "20B"]})

    refused = hold(alice, flight_id, {"seats": ["21A", "21B"]})
    reserve = alice.post(f"/api/flights/{flight_id}/reservations", {"seat": "21A"}, format="json")
    over = alice.post(f"/api/flights/{flight_id}/reservations", {"seat": "21B"}, format="json")

    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/seat-limit-reached")
    assert reserve.status_code == 201
    assert over.status_code == 409


def test_idempotency_keys_replay_a_hold_and_its_confirm(alice, book_flight):
    flight_id = book_flight["flight_id"]
    first = hold(alice, flight_id, {"party": 2}, **{"Idempotency-Key": "hold-1"})
    again = hold(alice, flight_id, {"party": 2}, **{"Idempotency-Key": "hold-1"})
    other = hold(alice, flight_id, {"party": 3}, **{"Idempotency-Key": "hold-1"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    hold_id = first.json()["hold_id"]
    confirm = alice.post(f"/api/holds/{hold_id}/confirm", headers={"Idempotency-Key": "c-1"})
    replay = alice.post(f"/api/holds/{hold_id}/confirm", headers={"Idempotency-Key": "c-1"})
    assert replay.json() == confirm.json()
    assert replay["Idempotent-Replayed"] == "true"
    release = alice.delete(f"/api/holds/{hold_id}", headers={"Idempotency-Key": "r-1"})
    assert release.status_code == 409  # confirmed: the seats are reservations now
    assert alice.delete(f"/api/holds/{hold_id}", headers={"Idempotency-Key": "r-1"})[
        "Idempotent-Replayed"
    ] == ("true")


def test_a_bad_item_of_a_list_is_named_in_a_flat_list_of_errors(alice, book_flight):
    response = hold(alice, book_flight["flight_id"], {"seats": ["14A", ""]})

    assert response.status_code == 400
    assert response.json()["errors"] == {"seats": ["item 1: This field may not be blank."]}
