"""One customer can neither see nor touch another's reservations through any gateway endpoint.

Alice holds a seat. Bob, authenticated with his own token, tries every gateway operation on it: list,
seat chart, cancel, move, reserve (with and without reusing Alice's Idempotency-Key), and smuggling
a customer id in the body. Afterwards Alice still holds her seat, in Redis and in her own list, and
no response Bob got carries her id.
"""

from __future__ import annotations

import pytest
from django_redis import get_redis_connection

from reservations import store
from tests.security.conftest import DATABASES

pytestmark = pytest.mark.django_db(databases=DATABASES)

SEAT, OTHER_SEAT = "20A", "20B"


def holder(flight_id: str, seat: str) -> str | None:
    value = get_redis_connection("reservations").hget(store._conn().flight_key(flight_id), seat)
    return value.decode() if value is not None else None


def keys_in(body: object) -> set[str]:
    """Every key of every object in a JSON document."""
    if isinstance(body, dict):
        return set(body) | {key for value in body.values() for key in keys_in(value)}
    if isinstance(body, list):
        return {key for item in body for key in keys_in(item)}
    return set()


@pytest.fixture
def alice_seat(alice, flight_id: str) -> str:
    response = alice.post(
        f"/api/flights/{flight_id}/reservations",
        {"seat": SEAT},
        format="json",
        HTTP_IDEMPOTENCY_KEY="alice-key-1",
    )
    assert response.status_code == 201, response.content
    assert holder(flight_id, SEAT) == alice.customer_id
    return SEAT


def test_bob_does_not_see_alices_seat_in_his_list(alice, bob, flight_id, alice_seat) -> None:
    mine = bob.get("/api/reservations")
    assert mine.status_code == 200
    assert mine.json() == []  # Bob holds nothing
    assert [item["seat"] for item in alice.get("/api/reservations").json()] == [alice_seat]


def test_the_seat_chart_shows_alices_seat_to_bob_as_taken_without_her_identity(
    bob, flight_id, alice_seat
) -> None:
    chart = bob.get(f"/api/flights/{flight_id}/seats")
    assert chart.status_code == 200
    seats = {
        seat["seat"]: seat
        for cabin in chart.json()["cabins"]
        for row in cabin["rows"]
        for seat in row["seats"]
    }
    assert seats[alice_seat]["status"] == "taken"
    assert not keys_in(chart.json()) & {"customer_id", "customer", "holder", "user", "username"}


def test_bob_cannot_cancel_alices_seat(alice, bob, flight_id, alice_seat) -> None:
    response = bob.delete(f"/api/flights/{flight_id}/reservations/{alice_seat}")
    assert response.status_code in (403, 404), response.content
    assert response.json()["detail"]
    assert holder(flight_id, alice_seat) == alice.customer_id


def test_bob_cannot_move_alices_seat_to_himself_or_elsewhere(alice, bob, flight_id, alice_seat) -> None:
    response = bob.post(
        "/api/reservations/move",
        {
            "from_flight_id": flight_id,
            "from_seat": alice_seat,
            "to_flight_id": flight_id,
            "to_seat": OTHER_SEAT,
        },
        format="json",
    )
    assert 400 <= response.status_code < 500, response.content
    assert holder(flight_id, alice_seat) == alice.customer_id
    assert holder(flight_id, OTHER_SEAT) is None


def test_bob_cannot_take_alices_seat_nor_replay_her_idempotency_key(
    alice, bob, flight_id, alice_seat
) -> None:
    plain = bob.post(f"/api/flights/{flight_id}/reservations", {"seat": alice_seat}, format="json")
    assert plain.status_code == 409, plain.content
    replay = bob.post(
        f"/api/flights/{flight_id}/reservations",
        {"seat": alice_seat},
        format="json",
        HTTP_IDEMPOTENCY_KEY="alice-key-1",
    )
    assert replay.status_code == 409, replay.content  # keys are per customer: no replay of Alice's 201
    assert "Idempotent-Replayed" not in replay
    assert holder(flight_id, alice_seat) == alice.customer_id


def test_a_customer_id_in_the_body_is_ignored(alice, bob, flight_id) -> None:
    response = bob.post(
        f"/api/flights/{flight_id}/reservations",
        {"seat": OTHER_SEAT, "customer_id": alice.customer_id},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert holder(flight_id, OTHER_SEAT) == bob.customer_id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/reservations"),
        ("get", "/api/flights/{flight_id}/seats"),
        ("post", "/api/flights/{flight_id}/reservations"),
        ("delete", "/api/flights/{flight_id}/reservations/20A"),
        ("post", "/api/reservations/move"),
    ],
)
def test_every_customer_endpoint_needs_authentication(client, flight_id, alice_seat, method, path) -> None:
    response = getattr(client, method)(path.format(flight_id=flight_id), content_type="application/json")
    assert response.status_code in (401, 403), response.content
    assert response.json()["detail"]
