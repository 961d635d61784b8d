"""Idempotency-Key on every mutating gateway call (reserve, cancel, move): Stripe's semantics.

Platform mode (upstreams in-process), the gateway's own database (SQLite by default, MariaDB with
GATEWAY_DATABASE_URL), real Redis.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from gateway.idempotency import request_fingerprint
from gateway.models import IdempotencyKey, SeatMove
from tests.gateway.conftest import GATEWAY_DBS
from tests.gateway.test_api import PROBLEM, seats_of
from tests.support.gateway_calls import held, move, reserve

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)


def cancel(client, flight_id: str, seat: str, **headers):
    return client.delete(f"/api/flights/{flight_id}/reservations/{seat}", headers=headers)


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_a_first_response_is_not_marked_replayed(alice, book_flight):
    first = reserve(alice, book_flight["flight_id"], "9A", **key("fresh"))

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first


def test_cancel_with_a_key_replays_and_does_not_release_again(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "9B")

    first = cancel(alice, f, "9B", **key("cancel-1"))
    reserve(alice, f, "9B")  # the customer takes the seat again
    replay = cancel(alice, f, "9B", **key("cancel-1"))
    other_seat = cancel(alice, f, "9C", **key("cancel-1"))

    assert (first.status_code, replay.status_code) == (204, 204)
    assert replay["Idempotent-Replayed"] == "true"
    assert seats_of(alice.get(f"/api/flights/{f}/seats").json())["9B"]["status"] == "yours"
    assert other_seat.status_code == 422
    assert other_seat["Content-Type"] == PROBLEM


def test_cancel_refusal_is_replayed_as_the_same_problem(alice, bob, book_flight):
    f = book_flight["flight_id"]
    reserve(bob, f, "9D")

    first = cancel(alice, f, "9D", **key("not-mine"))
    replay = cancel(alice, f, "9D", **key("not-mine"))

    assert first.status_code == replay.status_code == 403
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Content-Type"] == PROBLEM
    assert replay.json()["type"] == first.json()["type"]
    assert replay.json()["detail"] == first.json()["detail"]


def test_move_with_a_key_replays_and_moves_once(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "7A")

    first = move(alice, f, "7A", f, "7B", **key("move-1"))
    replay = move(alice, f, "7A", f, "7B", **key("move-1"))
    other_body = move(alice, f, "7B", f, "7C", **key("move-1"))

    assert first.status_code == 200
    assert (replay.status_code, replay.json()) == (200, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert held(alice) == {(f, "7B")}
    assert SeatMove.objects.filter(customer_id=alice.customer_id).count() == 1


def test_keys_are_scoped_per_customer_on_every_endpoint(alice, bob, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "8A", **key("shared"))

    bobs_reserve = reserve(bob, f, "8B", **key("shared"))
    bobs_cancel = cancel(bob, f, "8B", **key("shared-2"))
    alices_cancel = cancel(alice, f, "8A", **key("shared-2"))

    assert bobs_reserve.status_code == 201
    assert "Idempotent-Replayed" not in bobs_reserve
    assert (bobs_cancel.status_code, alices_cancel.status_code) == (204, 204)
    assert "Idempotent-Replayed" not in alices_cancel


@pytest.mark.parametrize("endpoint", ["reserve", "cancel", "move"])
def test_a_key_still_in_flight_is_409_with_retry_after(alice, book_flight, endpoint):
    f = book_flight["flight_id"]
    reserve(alice, f, "10A")
    fingerprints = {
        "reserve": request_fingerprint(operation="reserve", flight_id=f, seat="10A"),
        "cancel": request_fingerprint(operation="cancel", flight_id=f, seat="10A"),
        "move": request_fingerprint(
            operation="move", from_flight_id=f, from_seat="10A", to_flight_id=f, to_seat="10B"
        ),
    }
    IdempotencyKey.objects.create(
        customer_id=alice.customer_id, key="busy", request_hash=fingerprints[endpoint]
    )
    send = {
        "reserve": lambda: reserve(alice, f, "10A", **key("busy")),
        "cancel": lambda: cancel(alice, f, "10A", **key("busy")),
        "move": lambda: move(alice, f, "10A", f, "10B", **key("busy")),
    }[endpoint]

    with override_settings(IDEMPOTENCY_LEASE_SECONDS=30):
        response = send()

    assert response.status_code == 409
    assert response.json()["type"].endswith("/idempotency-key-in-flight")
    assert 1 <= int(response["Retry-After"]) <= 30
    assert held(alice) == {(f, "10A")}  # nothing ran


def test_an_expired_key_is_a_new_key(alice, book_flight):
    f = book_flight["flight_id"]
    first = reserve(alice, f, "11A", **key("old"))
    cancel(alice, f, "11A")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=365))

    again = reserve(alice, f, "11A", **key("old"))

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in again  # ran again: the seat is really held now
    assert held(alice) == {(f, "11A")}


def test_the_key_ttl_is_configurable(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "11B", **key("short"))
    IdempotencyKey.objects.filter(key="short").update(created_at=timezone.now() - timedelta(hours=2))

    with override_settings(IDEMPOTENCY_KEY_TTL_HOURS=1):
        expired = reserve(alice, f, "11B", **key("short"))
    with override_settings(IDEMPOTENCY_KEY_TTL_HOURS=24):
        replayed = reserve(alice, f, "11B", **key("short"))

    assert "Idempotent-Replayed" not in expired
    assert replayed["Idempotent-Replayed"] == "true"


def test_purge_deletes_expired_keys_and_finished_moves_only(alice, book_flight, capsys):
    f = book_flight["flight_id"]
    reserve(alice, f, "13A", **key("stale"))
    reserve(alice, f, "13B", **key("recent"))
    move(alice, f, "13A", f, "13C", **key("stale-move"))
    year_ago = timezone.now() - timedelta(days=365)
    IdempotencyKey.objects.filter(key__in=["stale", "stale-move"]).update(created_at=year_ago)
    SeatMove.objects.filter(key="stale-move").update(updated_at=year_ago)
    unfinished = SeatMove.objects.create(
        customer_id=alice.customer_id,
        key="unfinished",
        operation="move-unfinished",
        request_hash="x",
        from_flight_id=f,
        from_seat="13B",
        to_flight_id=f,
        to_seat="13D",
        state=SeatMove.State.TARGET_HELD,
        lease_until=year_ago,
    )
    SeatMove.objects.filter(pk=unfinished.pk).update(updated_at=year_ago)

    call_command("purge_idempotency_keys")

    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"recent"}
    assert set(SeatMove.objects.values_list("key", flat=True)) == {"unfinished"}  # recovery's, not purge's
    assert "purged 2 idempotency keys and 1 finished seat moves" in capsys.readouterr().out


def test_an_outage_does_not_use_the_key_up_on_any_endpoint(alice, book_flight, faults):
    f = book_flight["flight_id"]
    reserve(alice, f, "14A")
    faults("reservations").fail("DELETE", f"/{f}/14A", fault=503, times=1)

    failed = cancel(alice, f, "14A", **key("cancel-retry"))
    retried = cancel(alice, f, "14A", **key("cancel-retry"))

    assert (failed.status_code, retried.status_code) == (503, 204)
    assert "Idempotent-Replayed" not in retried
    assert held(alice) == set()


# -- a reserve's outcome is never "unknown" for long -----------------------------------------------


def test_a_reserve_whose_answer_is_lost_is_confirmed_before_answering(alice, book_flight, faults):
    f = book_flight["flight_id"]
    faults("reservations").fail("PUT", fault="answer-lost")
    response = reserve(alice, f, "15A", **key("lost"))

    assert response.status_code == 201  # it did land: the customer is told so (it was a 503)
    assert held(alice) == {(f, "15A")}


def test_a_reserve_that_lands_after_its_503_is_reported_truthfully_on_retry(alice, book_flight, faults):
    f = book_flight["flight_id"]
    faults("reservations").fail("PUT", fault="timeout", times=1)

    timed_out = reserve(alice, f, "15B", **key("slow"))
    # The slow reserve lands later (here: the store applies it directly).
    from reservations import services as reservations_services

    reservations_services.seat_reserve(flight_id=f, seat_no="15B", customer_id=alice.customer_id)
    retried = reserve(alice, f, "15B", **key("slow"))

    assert timed_out.status_code == 503
    assert int(timed_out["Retry-After"]) >= 1
    assert "may still be reserved" in timed_out.json()["detail"]
    assert (retried.status_code, retried.json()["status"]) == (201, "yours")
    assert seats_of(alice.get(f"/api/flights/{f}/seats").json())["15B"]["status"] == "yours"
    assert held(alice) == {(f, "15B")}
