"""The durable seat-move saga and its recovery pass, in platform mode (upstreams in-process).

Crashes are simulated by writing the saga row a killed process would have left (state, expired
lease) and the store state it would have made; tests/faults/test_seat_move_crash.py kills real ones.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from gateway import clients, seat_moves
from gateway.idempotency import request_fingerprint
from gateway.models import IdempotencyKey, SeatMove
from tests.gateway.conftest import GATEWAY_DBS
from tests.gateway.test_api import reservations_in_store
from tests.gateway.test_idempotency import key
from tests.support.gateway_calls import held, move, reserve

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)
State = SeatMove.State


def crashed_saga(customer_id: str, f: str, source: str, target: str, state: str, key: str = "k") -> SeatMove:
    """The row a gateway killed in `state` leaves: lease expired, source locked."""
    return SeatMove.objects.create(
        customer_id=customer_id,
        key=key,
        operation=f"move-test-{key}",
        request_hash=seat_moves.move_fingerprint(f, source, f, target),
        from_flight_id=f,
        from_seat=source,
        to_flight_id=f,
        to_seat=target,
        state=state,
        source_lock=f"{f}|{source}",
        lease_until=timezone.now() - timedelta(seconds=1),
    )


def reserve_for_saga(saga: SeatMove) -> None:
    clients.reservations().seat_reserve(
        flight_id=saga.to_flight_id, seat=saga.to_seat, customer_id=saga.customer_id, operation=saga.operation
    )


def events_of(customer_id: str) -> list[tuple[str, str]]:
    from reservations import selectors

    events = [
        event
        for partition in range(selectors.events_partitions())
        for event in selectors.events_read(partition=partition, since="0", count=1000)
        if event.customer_id == customer_id
    ]
    events.sort(key=lambda event: tuple(int(part) for part in event.event_id.split("-")))
    return [(event.type, event.seat_no) for event in events]


# -- the double-submitted move (issue: 15 of 20 rounds lost the seat) ----------------------------


def test_a_second_move_of_the_same_seat_while_one_runs_is_409_with_retry_after(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "20A")
    running = crashed_saga(alice.customer_id, f, "20A", "20B", State.TARGET_HELD, key="first-click")
    SeatMove.objects.filter(pk=running.pk).update(lease_until=timezone.now() + timedelta(seconds=20))

    second = move(alice, f, "20A", f, "20C")

    assert second.status_code == 409
    assert second.json()["type"].endswith("/seat-move-in-progress")
    assert 1 <= int(second["Retry-After"]) <= 20
    assert held(alice) == {(f, "20A")}


def test_a_reserve_already_yours_through_another_saga_is_not_counted_as_this_sagas(alice, book_flight):
    """The old bug: the second saga's "already yours" counted as success and its compensation then
    released the seat the first saga had moved to."""
    f = book_flight["flight_id"]
    reserve(alice, f, "21A")
    first = crashed_saga(alice.customer_id, f, "21A", "21B", State.RESERVING_TARGET, key="one")
    reserve_for_saga(first)
    second = crashed_saga(alice.customer_id, f, "21C", "21B", State.RESERVING_TARGET, key="two")

    mine = clients.reservations().seat_reserve(
        flight_id=f, seat="21B", customer_id=alice.customer_id, operation=second.operation
    )
    released = clients.reservations().seat_release(
        flight_id=f, seat="21B", customer_id=alice.customer_id, operation=second.operation
    )

    assert (mine, released) == (False, False)
    assert (f, "21B") in reservations_in_store(alice.customer_id)


def test_an_abandoned_move_of_the_seat_is_finished_before_a_new_one_starts(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "22A")
    abandoned = crashed_saga(alice.customer_id, f, "22A", "22B", State.TARGET_HELD)
    reserve_for_saga(abandoned)

    again = move(alice, f, "22A", f, "22C")

    abandoned.refresh_from_db()
    assert abandoned.state == State.DONE
    assert again.status_code == 404  # 22A was moved to 22B by the first saga
    assert held(alice) == {(f, "22B")}


# -- recovery: every unfinished state ends in done or compensated --------------------------------


@pytest.mark.parametrize(
    ("state", "target_landed", "final", "holds"),
    [
        (State.STARTED, False, State.DONE, "22F"),
        (State.RESERVING_TARGET, False, State.DONE, "22F"),  # the reserve never arrived: sent again
        (State.RESERVING_TARGET, True, State.DONE, "22F"),  # it landed: idempotent for the saga
        (State.TARGET_HELD, True, State.DONE, "22F"),
        (State.SOURCE_RELEASED, True, State.DONE, "22F"),
        (State.COMPENSATING, True, State.COMPENSATED, "22E"),
    ],
)
def test_recovery_drives_every_unfinished_saga_to_exactly_one_seat(
    alice, book_flight, state, target_landed, final, holds, capsys
):
    f = book_flight["flight_id"]
    reserve(alice, f, "22E")
    saga = crashed_saga(alice.customer_id, f, "22E", "22F", state)
    if target_landed:
        reserve_for_saga(saga)
    if state == State.SOURCE_RELEASED:
        clients.reservations().seat_release(flight_id=f, seat="22E", customer_id=alice.customer_id)

    call_command("recover_seat_moves")

    saga.refresh_from_db()
    assert saga.state == final
    assert saga.source_lock is None
    assert reservations_in_store(alice.customer_id) == {(f, holds)}
    assert f"1 {final}" in capsys.readouterr().out
    # The log agrees with the store: one SeatReserved of the target, then one release.
    expected_tail = [("SeatReserved", "22F"), ("SeatReleased", "22E" if final == State.DONE else "22F")]
    assert events_of(alice.customer_id) == [("SeatReserved", "22E"), *expected_tail]


def test_recovery_leaves_a_saga_alone_while_its_lease_runs(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "23A")
    saga = crashed_saga(alice.customer_id, f, "23A", "23B", State.TARGET_HELD)
    SeatMove.objects.filter(pk=saga.pk).update(lease_until=timezone.now() + timedelta(seconds=30))

    report = seat_moves.seat_moves_recover()

    saga.refresh_from_db()
    assert (report.leased, report.finished, saga.state) == (1, {}, State.TARGET_HELD)


def test_compensation_releases_only_the_reservation_the_saga_made(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "23C")
    reserve(alice, f, "23D")  # held before the move, not through it
    saga = crashed_saga(alice.customer_id, f, "23C", "23D", State.COMPENSATING)

    seat_moves.seat_moves_recover()

    saga.refresh_from_db()
    assert saga.state == State.COMPENSATED
    assert reservations_in_store(alice.customer_id) == {(f, "23C"), (f, "23D")}


def test_recovery_gives_up_after_max_attempts_as_needs_attention(alice, book_flight, faults):
    f = book_flight["flight_id"]
    reserve(alice, f, "24A")
    saga = crashed_saga(alice.customer_id, f, "24A", "24B", State.TARGET_HELD)
    reserve_for_saga(saga)
    faults("reservations").fail("*", "/reservations", fault="connect")

    with override_settings(SEAT_MOVE_MAX_ATTEMPTS=2):
        first = seat_moves.seat_moves_recover()
        SeatMove.objects.filter(pk=saga.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        second = seat_moves.seat_moves_recover()

    saga.refresh_from_db()
    assert (first.left, second.finished) == (1, {State.NEEDS_ATTENTION: 1})
    assert saga.state == State.NEEDS_ATTENTION


def test_a_retry_with_the_same_key_after_a_crash_finishes_the_move(alice, book_flight):
    f = book_flight["flight_id"]
    reserve(alice, f, "25A")
    saga = crashed_saga(alice.customer_id, f, "25A", "25B", State.TARGET_HELD, key="crash-key")
    reserve_for_saga(saga)
    IdempotencyKey.objects.create(  # the crashed request's claim
        customer_id=alice.customer_id,
        key="crash-key",
        request_hash=request_fingerprint(
            operation="move", from_flight_id=f, from_seat="25A", to_flight_id=f, to_seat="25B"
        ),
    )
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    retried = move(alice, f, "25A", f, "25B", **key("crash-key"))
    replayed = move(alice, f, "25A", f, "25B", **key("crash-key"))

    assert retried.status_code == 200
    assert replayed.status_code == 200
    assert replayed["Idempotent-Replayed"] == "true"
    assert held(alice) == {(f, "25B")}


# -- the saga's answers tell the truth -----------------------------------------------------------


def test_move_whose_reserve_answer_is_lost_finishes_on_retry_with_the_same_key(alice, book_flight, faults):
    f = book_flight["flight_id"]
    reserve(alice, f, "26A")
    transport = faults("reservations")
    # The PUT reaches the store, its answer is lost (every attempt: the client retries it).
    transport.fail("PUT", fault="answer-lost")
    first = move(alice, f, "26A", f, "26B", **key("lossy"))
    transport.rules.clear()  # the answers arrive again
    retried = move(alice, f, "26A", f, "26B", **key("lossy"))

    assert first.status_code == 503
    assert first.json()["type"].endswith("/seat-move-incomplete")
    assert {(h["flight_id"], h["seat"]) for h in first.json()["holds"]} == {(f, "26A"), (f, "26B")}
    assert retried.status_code == 200
    assert held(alice) == {(f, "26B")}


def test_move_done_when_the_source_was_cancelled_meanwhile(alice, book_flight, faults):
    """Releasing the source finds it gone: the customer holds the target, so the move is done
    (the old saga compensated here and left the customer with no seat)."""
    f = book_flight["flight_id"]
    reserve(alice, f, "27A")
    transport = faults("reservations")
    real = transport.inner

    class CancelFirst:
        """The customer's own cancel of 27A lands just before the saga's release of it."""

        def handle_request(self, request):
            if request.method == "DELETE" and request.url.path.endswith("/27A"):
                real.handle_request(request)
            return real.handle_request(request)

    transport.inner = CancelFirst()
    response = move(alice, f, "27A", f, "27B")

    assert response.status_code == 200
    assert held(alice) == {(f, "27B")}


# -- the test-only pause hook ----------------------------------------------------------------------


def test_the_pause_hook_is_refused_in_production():
    from django.apps import apps

    config = apps.get_app_config("gateway")
    production = override_settings(SEAT_MOVE_PAUSE_AT="target_held", SKYWAY_ENV="production")
    with production, pytest.raises(ImproperlyConfigured, match="refused"):
        config.ready()
    nonsense = override_settings(SEAT_MOVE_PAUSE_AT="nonsense", SKYWAY_ENV="development")
    with nonsense, pytest.raises(ImproperlyConfigured, match="one of"):
        config.ready()
