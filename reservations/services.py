"""Commands of the reservations context: reserve, release, rebuild the projection from the log.

Callers pass ids already checked by ``reservations.validation`` (the API does).
"""

from __future__ import annotations

from reservations import store
from reservations.errors import SeatAlreadyReserved, SeatHeldByAnotherCustomer, SeatNotReserved
from reservations.store import RebuildReport, ReleaseResult, ReserveResult


def seat_reserve(*, flight_id: str, seat_no: str, customer_id: str) -> ReserveResult:
    """Give the seat to the customer, or raise SeatAlreadyReserved if someone else holds it.

    Reserving a seat you already hold succeeds again (ALREADY_YOURS) and logs no second event, so a
    client may safely retry a reserve whose response it lost.
    """
    result = store.reservation_add(flight_id=flight_id, seat_no=seat_no, customer_id=customer_id)
    if result is ReserveResult.TAKEN:
        raise SeatAlreadyReserved()
    return result


def seat_release(*, flight_id: str, seat_no: str, customer_id: str) -> None:
    """Release the seat if, and only if, the customer holds it."""
    result = store.reservation_remove(flight_id=flight_id, seat_no=seat_no, customer_id=customer_id)
    if result is ReleaseResult.NOT_RESERVED:
        raise SeatNotReserved(f"Seat {seat_no} of flight {flight_id} is not reserved")
    if result is ReleaseResult.NOT_YOURS:
        raise SeatHeldByAnotherCustomer()


def reservations_rebuild_from_log() -> RebuildReport:
    """Recompute every flight hash and customer index from the event log and swap them in."""
    return store.projection_rebuild()
