"""Commands of the reservations context: reserve, release, rebuild the projection from the log.

Callers pass ids already checked by ``reservations.validation`` (the API does).
"""

from __future__ import annotations

from reservations import store
from reservations.errors import (
    SeatAlreadyReserved,
    SeatHeldByAnotherCustomer,
    SeatHeldOtherwise,
    SeatNotReserved,
)
from reservations.store import RebuildReport, ReleaseResult, ReserveResult


def seat_reserve(
    *, flight_id: str, seat_no: str, customer_id: str, operation: str | None = None
) -> ReserveResult:
    """Give the seat to the customer, or raise SeatAlreadyReserved if someone else holds it.

    Reserving a seat you already hold succeeds again (ALREADY_YOURS) and logs no second event, so a
    client may safely retry a reserve whose response it lost. With an ``operation`` token (a saga's
    step) only that operation's own reservation counts as success: a seat the customer holds
    otherwise raises SeatHeldOtherwise, so a saga never mistakes it for its own.
    """
    result = store.reservation_add(
        flight_id=flight_id, seat_no=seat_no, customer_id=customer_id, operation=operation
    )
    if result is ReserveResult.TAKEN:
        raise SeatAlreadyReserved()
    if result is ReserveResult.YOURS_OTHERWISE:
        raise SeatHeldOtherwise()
    return result


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


def reservations_rebuild_from_log() -> RebuildReport:
    """Recompute every flight hash and customer index from the event log and swap them in."""
    return store.projection_rebuild()
