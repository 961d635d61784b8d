"""The internal hold endpoints (docs/adr/0142): shapes, every refusal, and the book's paths untouched."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from tests.reservations.conftest import stream_events

HOLD = {"flight_id": "F1", "customer_id": "c1", "seats": ["12A", "12b", "12C"]}


def post(api, path, payload):
    return api.post(path, json.dumps(payload), content_type="application/json")


def test_a_hold_answers_201_with_its_seats_and_expiry(api, redis):
    response = post(api, "/reservations/holds", HOLD)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "hold_id",
        "flight_id",
        "customer_id",
        "seats",
        "status",
        "created_at",
        "expires_at",
        "ended_at",
    }
    assert body["seats"] == ["12A", "12B", "12C"]
    assert body["status"] == "held"
    assert body["hold_id"].startswith("F1.")
    assert body["ended_at"] is None
    assert body["expires_at"] > body["created_at"]


def test_the_books_list_leaves_held_seats_out_and_the_holds_list_has_them(api, redis):
    hold = post(api, "/reservations/holds", HOLD).json()

    assert api.get("/reservations?flight_id=F1").content == b"[]"
    held = api.get("/reservations/holds?flight_id=F1").json()
    assert [(h["seat_no"], h["customer_id"], h["hold_id"]) for h in held] == [
        ("12A", "c1", hold["hold_id"]),
        ("12B", "c1", hold["hold_id"]),
        ("12C", "c1", hold["hold_id"]),
    ]
    assert {h["expires_at"] for h in held} == {hold["expires_at"]}


def test_a_held_seat_is_the_books_403_to_a_reserve(api, redis):
    post(api, "/reservations/holds", HOLD)

    response = api.put_json("/reservations", {"flight_id": "F1", "customer_id": "c2", "seat_num": "12B"})

    assert response.status_code == 403
    assert (
        response.content == b'{"error":"Conflict","description":"Seat already reserved. Cannot double-book"}'
    )


def test_taken_seats_are_named_and_nothing_is_held(api, redis):
    api.put_json("/reservations", {"flight_id": "F1", "customer_id": "c9", "seat_num": "12C"})

    response = post(api, "/reservations/holds", {**HOLD, "customer_id": "c2"})

    assert response.status_code == 409
    assert response.json() == {
        "error": "Seats Unavailable",
        "description": "Seat 12C is already reserved or held; nothing was held",
        "seats": ["12C"],
    }
    assert api.get("/reservations/holds?flight_id=F1").json() == []


@override_settings(MAX_SEATS_PER_CUSTOMER_PER_FLIGHT=4)
def test_the_seat_limit_counts_held_seats(api, redis):
    post(api, "/reservations/holds", HOLD)

    response = post(api, "/reservations/holds", {**HOLD, "seats": ["14A", "14B"]})

    assert response.status_code == 409
    assert response.json()["error"] == "Seat Limit Reached"
    assert "you have 3" in response.json()["description"]


def test_confirm_read_and_release(api, redis):
    hold = post(api, "/reservations/holds", HOLD).json()
    other = post(api, "/reservations/holds", {**HOLD, "seats": ["20A"]}).json()
    path = f"/reservations/holds/{hold['hold_id']}"

    assert api.get(f"{path}?customer_id=c1").json() == hold
    confirmed = post(api, f"{path}/confirm", {"customer_id": "c1"})
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["ended_at"] is not None
    assert post(api, f"{path}/confirm", {"customer_id": "c1"}).json()["status"] == "confirmed"
    assert api.get("/reservations?flight_id=F1").json() == [
        {"seat_no": "12A", "customer_id": "c1"},
        {"seat_no": "12B", "customer_id": "c1"},
        {"seat_no": "12C", "customer_id": "c1"},
    ]
    refused = api.delete(f"{path}?customer_id=c1")
    assert refused.status_code == 409
    assert refused.json()["error"] == "Hold Confirmed"

    released = api.delete(f"/reservations/holds/{other['hold_id']}?customer_id=c1")
    assert released.status_code == 200
    assert released.json()["status"] == "released"
    gone = post(api, f"/reservations/holds/{other['hold_id']}/confirm", {"customer_id": "c1"})
    assert gone.status_code == 409
    assert gone.json()["error"] == "Hold Released"
    assert [e["type"] for e in stream_events(redis, "F1")] == [
        "SeatsHeld",
        "SeatsHeld",
        "SeatReserved",
        "SeatReserved",
        "SeatReserved",
        "HoldConfirmed",
        "HoldReleased",
    ]


def test_another_customers_hold_is_404_everywhere(api, redis):
    path = f"/reservations/holds/{post(api, '/reservations/holds', HOLD).json()['hold_id']}"

    for response in (
        api.get(f"{path}?customer_id=c2"),
        api.delete(f"{path}?customer_id=c2"),
        post(api, f"{path}/confirm", {"customer_id": "c2"}),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "Not Found", "description": "No such hold of this customer"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**HOLD, "seats": []}, "seats"),
        ({**HOLD, "seats": "12A"}, "seats"),
        ({**HOLD, "seats": ["12A", "12a"]}, "seats"),
        ({**HOLD, "seats": ["12A", "ZZ"]}, "seats"),
        ({**HOLD, "seats": [f"{n}A" for n in range(1, 11)]}, "seats"),
        ({**HOLD, "flight_id": "F 1"}, "flight_id"),
        ({k: v for k, v in HOLD.items() if k != "customer_id"}, "customer_id"),
    ],
)
def test_bad_hold_input_is_a_400_naming_the_field(api, redis, payload, field):
    response = post(api, "/reservations/holds", payload)

    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert response.json()["description"].startswith(f"{field}: ")


def test_a_malformed_hold_id_is_not_a_hold_path(api, redis):
    assert api.get("/reservations/holds/not-a-hold?customer_id=c1").status_code == 405  # the cancel path
    assert api.get("/reservations/holds?flight_id=F1").status_code == 200
    # the book's cancel of seat 12C on a flight called "holds" keeps its meaning
    response = api.delete("/reservations/holds/12C?customer_id=c1")
    assert response.status_code == 404
    assert response.json()["description"] == "Seat 12C of flight holds is not reserved"


def test_hold_events_carry_their_hold_and_seats_and_seat_events_keep_their_shape(api, redis):
    api.put_json("/reservations", {"flight_id": "F1", "customer_id": "c1", "seat_num": "1A"})
    hold = post(api, "/reservations/holds", HOLD).json()

    events = api.get("/reservations/events?flight_id=F1").json()["events"]

    assert events[0]["data"] == {"flight_id": "F1", "seat_no": "1A", "customer_id": "c1"}
    assert events[1]["type"] == "SeatsHeld"
    assert events[1]["data"] == {
        "flight_id": "F1",
        "seat_no": "",
        "customer_id": "c1",
        "hold_id": hold["hold_id"],
        "seats": ["12A", "12B", "12C"],
    }


def test_holds_answer_503_when_redis_is_down(api, store_down):
    assert post(api, "/reservations/holds", HOLD).status_code == 503
    assert api.get("/reservations/holds?flight_id=F1").status_code == 503
