"""The gateway's commands: reserve and cancel under the Idempotency-Key protocol, and the flight guards.

Reads live in selectors.py, the seat chart in seat_charts.py, the seat move in seat_moves.py (a
durable saga that reuses the guards below), input rules in rules.py. Only these modules call the
clients. No database transaction is ever held open across an upstream call: in platform mode that
call re-enters this process's Django app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from gateway import clients, idempotency
from gateway.clients.flights import seat_on_map
from gateway.errors import FlightClosed, GatewayError, SeatNotFound, UpstreamUnavailable
from gateway.idempotency import Outcome
from gateway.rules import flight_id_clean, seat_clean

logger = logging.getLogger(__name__)


# -- guards ------------------------------------------------------------------------------------


def seat_require_on_map(*, flight_id: str, seat: str) -> None:
    """Unknown flight → FlightNotFound; a seat the aircraft does not have → SeatNotFound."""
    if not seat_on_map(clients.flights().flight_entry(flight_id).seat_map, seat):
        raise SeatNotFound(f"Seat {seat} does not exist on this flight.")


def flight_closes_at(departure: datetime) -> datetime:
    """When a flight stops taking reserves, cancels and moves: its departure minus the cut-off."""
    return departure - timedelta(minutes=settings.BOOKING_CUTOFF_MINUTES)


def flight_require_open(*, flight_id: str) -> None:
    """Unknown flight → FlightNotFound; departed (or past the booking cut-off) → FlightClosed.

    "Now" is django.utils.timezone.now() on every call (the departure may come from the cache).
    """
    entry = clients.flights().flight_entry(flight_id)
    now = timezone.now()
    if now < flight_closes_at(entry.departure):
        return
    flight_no, departure = entry.flight["flight_no"], entry.departure
    when = departure.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if now >= departure:
        detail = f"Flight {flight_no} departed at {when}"
    else:
        detail = (
            f"Flight {flight_no} departs at {when} and closed for changes "
            f"{settings.BOOKING_CUTOFF_MINUTES} minutes before departure"
        )
    raise FlightClosed(
        f"{detail}: its seats can no longer be reserved, moved or cancelled.",
        flight_id=flight_id,
        flight_no=flight_no,
        departure=departure.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    )


# -- reserve / release -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatReserved:
    flight_id: str
    seat: str


def seat_reserve(*, flight_id: str, seat: str, customer_id: str) -> SeatReserved:
    """Reserve a seat on the map of an open flight; someone else's → SeatTaken; past the customer's
    seat limit on the flight → SeatLimitReached; departed flight → FlightClosed.

    Reserving a seat you already hold succeeds again (the reservations contract makes a repeated
    PUT by the holder a 200), so the answer is the same 201 and nothing changes. A reserve whose
    answer is lost (timeout, dropped connection) is confirmed by reading the customer's seats before
    answering; when even that fails the 503 says the outcome is open, and a retry with the same
    Idempotency-Key converges on it (docs/adr/0057).
    """
    flight_id, seat = flight_id_clean(flight_id), seat_clean(seat)
    flight_require_open(flight_id=flight_id)
    seat_require_on_map(flight_id=flight_id, seat=seat)
    reservations = clients.reservations()
    try:
        reservations.seat_reserve(flight_id=flight_id, seat=seat, customer_id=customer_id)
    except UpstreamUnavailable as exc:
        if not _reserve_confirmed(flight_id=flight_id, seat=seat, customer_id=customer_id):
            raise UpstreamUnavailable(
                "reservations",
                f"The reservations service did not confirm seat {seat}; it may still be reserved for you. "
                "Retry with the same Idempotency-Key, or check your seats.",
                retry_after=exc.retry_after,
            ) from exc
        logger.info("reserve confirmed after a lost answer", extra={"flight_id": flight_id, "seat": seat})
    logger.info("seat reserved", extra={"flight_id": flight_id, "seat": seat, "customer_id": customer_id})
    return SeatReserved(flight_id=flight_id, seat=seat)


def _reserve_confirmed(*, flight_id: str, seat: str, customer_id: str) -> bool:
    """After a failed reserve: does the customer hold the seat after all? (False also when unknown.)"""
    try:
        return clients.reservations().seat_held_by(flight_id=flight_id, seat=seat, customer_id=customer_id)
    except GatewayError:
        return False


def seat_release(*, flight_id: str, seat: str, customer_id: str) -> None:
    """Release one of the customer's seats. Another's → NotYourReservation; none → ReservationNotFound;
    departed flight → FlightClosed."""
    flight_id, seat = flight_id_clean(flight_id), seat_clean(seat)
    flight_require_open(flight_id=flight_id)
    clients.reservations().seat_release(flight_id=flight_id, seat=seat, customer_id=customer_id)
    logger.info("seat released", extra={"flight_id": flight_id, "seat": seat, "customer_id": customer_id})


def reservation_create(
    *, customer_id: str, flight_id: str, seat: str, idempotency_key: str | None = None
) -> Outcome:
    """`POST /api/flights/{id}/reservations` under the Idempotency-Key protocol (201 + the seat)."""
    flight_id, seat = flight_id_clean(flight_id), seat_clean(seat)

    def run() -> Outcome:
        reserved = seat_reserve(flight_id=flight_id, seat=seat, customer_id=customer_id)
        return Outcome(201, {"flight_id": reserved.flight_id, "seat": reserved.seat, "status": "yours"})

    return idempotency.idempotent_run(
        customer_id=customer_id,
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint(operation="reserve", flight_id=flight_id, seat=seat),
        run=run,
    )


def reservation_cancel(
    *, customer_id: str, flight_id: str, seat: str, idempotency_key: str | None = None
) -> Outcome:
    """`DELETE /api/flights/{id}/reservations/{seat}` under the Idempotency-Key protocol (204)."""
    flight_id, seat = flight_id_clean(flight_id), seat_clean(seat)

    def run() -> Outcome:
        seat_release(flight_id=flight_id, seat=seat, customer_id=customer_id)
        return Outcome(204)

    return idempotency.idempotent_run(
        customer_id=customer_id,
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint(operation="cancel", flight_id=flight_id, seat=seat),
        run=run,
    )
