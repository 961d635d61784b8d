"""Commands of the reservations context: reserve, release, hold seats, rebuild the projection from the log.

Callers pass ids already checked by ``reservations.validation`` (the API does).
"""

from __future__ import annotations

from django.conf import settings

from reservations import history, holds, store
from reservations.errors import (
    HoldConfirmed,
    HoldDamaged,
    HoldExpired,
    HoldNotFound,
    HoldReleased,
    SeatAlreadyReserved,
    SeatHeldByAnotherCustomer,
    SeatHeldOtherwise,
    SeatLimitReached,
    SeatNotReserved,
    SeatsUnavailable,
)
from reservations.history import SnapshotReport
from reservations.holds import ConfirmResult, Hold, HoldResult
from reservations.store import MigrationReport, RebuildReport, ReleaseResult, ReserveResult
from skyway.faults import wrong_taken_fires


def seat_reserve(
    *,
    flight_id: str,
    seat_no: str,
    customer_id: str,
    operation: str | None = None,
    replaces: str | None = None,
) -> ReserveResult:
    """Give the seat to the customer, or raise SeatAlreadyReserved if someone else holds it.

    Reserving a seat you already hold succeeds again (ALREADY_YOURS) and logs no second event, so a
    client may safely retry a reserve whose response it lost. With an ``operation`` token (a saga's
    step) only that operation's own reservation counts as success: a seat the customer holds
    otherwise raises SeatHeldOtherwise, so a saga never mistakes it for its own. A customer who
    already holds ``MAX_SEATS_PER_CUSTOMER_PER_FLIGHT`` seats on the flight gets SeatLimitReached; a
    seat of theirs named in ``replaces`` (a move within the flight, released next) is not counted.
    """
    if wrong_taken_fires():  # a rehearsed bad build (never in production): the book's 403, nothing written
        raise SeatAlreadyReserved()
    cap = settings.MAX_SEATS_PER_CUSTOMER_PER_FLIGHT
    result = store.reservation_add(
        flight_id=flight_id,
        seat_no=seat_no,
        customer_id=customer_id,
        operation=operation,
        cap=cap,
        replaces=replaces,
    )
    if result is ReserveResult.TAKEN:
        raise SeatAlreadyReserved()
    if result is ReserveResult.YOURS_OTHERWISE:
        raise SeatHeldOtherwise()
    if result is ReserveResult.LIMIT_REACHED:
        raise SeatLimitReached(seat_limit_description(cap))
    return result


def seat_limit_description(cap: int) -> str:
    """The refusal's text: the gateway shows it to the customer, so it says what to do."""
    seats = "seat" if cap == 1 else "seats"
    return f"A customer may hold at most {cap} {seats} on one flight; cancel one to reserve another"


def seat_release(*, flight_id: str, seat_no: str, customer_id: str, operation: str | None = None) -> None:
    """Release the seat if, and only if, the customer holds it (through ``operation``, when given)."""
    result = store.reservation_remove(
        flight_id=flight_id, seat_no=seat_no, customer_id=customer_id, operation=operation
    )
    if result is ReleaseResult.NOT_RESERVED:
        raise SeatNotReserved(f"Seat {seat_no} of flight {flight_id} is not reserved")
    if result is ReleaseResult.NOT_YOURS:
        raise SeatHeldByAnotherCustomer()
    if result is ReleaseResult.YOURS_OTHERWISE:
        raise SeatHeldOtherwise()


def seats_hold(*, flight_id: str, customer_id: str, seats: list[str], now_ms: int | None = None) -> Hold:
    """Hold every one of ``seats`` for the customer for RESERVATIONS_HOLD_SECONDS, or none of them.

    Seats reserved or in a live hold (anyone's) → SeatsUnavailable naming them; the customer's
    reserved plus held seats on the flight past MAX_SEATS_PER_CUSTOMER_PER_FLIGHT → SeatLimitReached.
    ``now_ms`` replaces the Redis clock (tests only).
    """
    cap = settings.MAX_SEATS_PER_CUSTOMER_PER_FLIGHT
    attempt = holds.seats_hold(
        flight_id=flight_id,
        customer_id=customer_id,
        seats=seats,
        hold_seconds=settings.RESERVATIONS_HOLD_SECONDS,
        cap=cap,
        now_ms=now_ms,
    )
    if attempt.result is HoldResult.TAKEN:
        names = ", ".join(attempt.taken)
        noun = "Seat" if len(attempt.taken) == 1 else "Seats"
        verb = "is" if len(attempt.taken) == 1 else "are"
        raise SeatsUnavailable(
            f"{noun} {names} {verb} already reserved or held; nothing was held", seats=list(attempt.taken)
        )
    if attempt.result is HoldResult.LIMIT_REACHED:
        raise SeatLimitReached(
            f"{seat_limit_description(cap)} (held seats count too): you have {attempt.held_now}, "
            f"so these {len(seats)} were not held"
        )
    assert attempt.hold is not None
    return attempt.hold


_CONFIRM_REFUSALS = {
    ConfirmResult.NOT_FOUND: HoldNotFound,
    ConfirmResult.RELEASED: HoldReleased,
    ConfirmResult.EXPIRED: HoldExpired,
    ConfirmResult.DAMAGED: HoldDamaged,
}


def hold_confirm(*, hold_id: str, customer_id: str, now_ms: int | None = None) -> Hold:
    """Turn the customer's live hold into reservations, all seats at once; a confirmed one again is fine.

    Not the customer's (or no such hold) → HoldNotFound; ended → HoldExpired / HoldReleased."""
    result = holds.hold_confirm(hold_id=hold_id, customer_id=customer_id, now_ms=now_ms)
    if result in _CONFIRM_REFUSALS:
        raise _CONFIRM_REFUSALS[result]()
    return _hold_of(hold_id=hold_id, customer_id=customer_id, now_ms=now_ms)


def hold_release(*, hold_id: str, customer_id: str, now_ms: int | None = None) -> Hold:
    """The holder gives the seats back; released or expired already is fine (the seats are free).

    Not the customer's → HoldNotFound; confirmed → HoldConfirmed (cancel the reservations instead)."""
    result = holds.hold_release(hold_id=hold_id, customer_id=customer_id, now_ms=now_ms)
    if result is holds.ReleaseResult.NOT_FOUND:
        raise HoldNotFound()
    if result is holds.ReleaseResult.CONFIRMED:
        raise HoldConfirmed()
    return _hold_of(hold_id=hold_id, customer_id=customer_id, now_ms=now_ms)


def _hold_of(*, hold_id: str, customer_id: str, now_ms: int | None) -> Hold:
    hold = holds.hold_read(hold_id=hold_id, now_ms=now_ms)
    if hold is None or hold.customer_id != customer_id:
        raise HoldNotFound()
    return hold


def holds_sweep(*, now_ms: int | None = None) -> holds.SweepReport:
    """Mark every hold past its expiry as expired (HoldExpired): tidying only, never needed to free seats."""
    return holds.holds_sweep(now_ms=now_ms)


def reservations_rebuild_from_log() -> RebuildReport:
    """Recompute every flight hash and customer index from the event log and swap them in."""
    return store.projection_rebuild()


def reservations_layout_migrate(*, v1_prefix: str | None = None) -> MigrationReport:
    """Move data of key layout v1 into the partitions of layout v2, then rebuild (idempotent)."""
    return store.layout_migrate_v1(v1_prefix=v1_prefix)


def reservations_snapshots_take(*, partition: int | None = None) -> SnapshotReport:
    """Take the rolling snapshots every partition's stream is due (or one partition's); apply retention."""
    return history.snapshots_take(partition)
