"""The seat chart: a flight's seat map with every seat marked free / taken / yours.

The layout comes from the flights client (cached with the flight, `FlightEntry`), the holders from
reservations; this module merges the two. No database transaction is held across an upstream call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from gateway import clients, rules, services
from gateway.clients import SeatHolder
from gateway.clients.base import in_pool
from gateway.clients.reservations import HeldSeat
from gateway.errors import GatewayError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeatChart:
    flight_id: str
    degraded: bool
    cabins: list[dict[str, Any]]
    closed: bool = False  # departed (or past the booking cut-off): nothing can be reserved any more

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies ~170 seat dicts (≈9 ms, most of the hot path).
        return {
            "flight_id": self.flight_id,
            "degraded": self.degraded,
            "closed": self.closed,
            "cabins": self.cabins,
        }


def seat_chart_merge(
    *,
    flight_id: str,
    layout: list[dict[str, Any]],
    holders: list[SeatHolder] | None,
    customer_id: str,
    closed: bool = False,
    holds: list[HeldSeat] | None = None,
) -> SeatChart:
    """Layout ⊕ reservations ⊕ holds: every seat free / taken / yours / held (unknown without
    reservations). A seat in someone else's live hold is taken; one in yours is ``held``, with its
    ``hold_id`` and ``expires_at`` (docs/adr/0142).

    Builds new row and seat dicts (the layout is shared by concurrent requests). Other customers'
    ids (and their hold ids) never leave this function.
    """
    held: dict[str, bool] = {}
    if holders is not None:
        held = {holder["seat_no"].upper(): holder["customer_id"] == customer_id for holder in holders}
    in_holds = {hold["seat_no"].upper(): hold for hold in holds or []}

    def marked(seat: dict) -> dict:
        seat_id = seat["seat"]
        if holders is None:
            return {**seat, "status": "unknown"}
        if seat_id in held:
            return {**seat, "status": "yours" if held[seat_id] else "taken"}
        hold = in_holds.get(seat_id)
        if hold is None:
            return {**seat, "status": "free"}
        if hold["customer_id"] != customer_id:
            return {**seat, "status": "taken"}
        return {**seat, "status": "held", "hold_id": hold["hold_id"], "expires_at": hold["expires_at"]}

    cabins = [
        {
            **cabin,
            "rows": [{**row, "seats": [marked(seat) for seat in row["seats"]]} for row in cabin["rows"]],
        }
        for cabin in layout
    ]
    return SeatChart(flight_id=flight_id, degraded=holders is None, cabins=cabins, closed=closed)


def seat_chart_build(*, flight_id: str, customer_id: str) -> SeatChart:
    """The seat map and the flight's reservations, fetched concurrently, merged.

    Reservations down → a degraded chart (availability unknown); flights down → UpstreamUnavailable.
    A seat map still fresh in the cache leaves one upstream read, made on this thread (a hand-off to
    the pool would only add latency). Otherwise the flights read stays on this thread (in platform
    mode it queries this request's database connection, tests' transactions included) while the
    reservations read (Redis only) runs on the pool.
    """
    flight_id = rules.flight_id_clean(flight_id)
    flights = clients.flights()
    holds_future = in_pool(_holds_or_none, flight_id)  # beside the book's list (docs/adr/0142)
    try:
        entry = flights.flight_entry_fresh(flight_id)
        if entry is not None:
            holders = _holders_or_none(flight_id)
        else:
            holders_future = in_pool(_holders_or_none, flight_id)
            try:
                entry = flights.flight_entry(flight_id)
            finally:
                holders = holders_future.result()
    finally:
        holds = holds_future.result()
    return seat_chart_merge(
        flight_id=flight_id,
        layout=entry.layout,
        holders=holders if holds is not None else None,
        customer_id=customer_id,
        closed=timezone.now() >= services.flight_closes_at(entry.departure),
        holds=holds,
    )


def _holders_or_none(flight_id: str) -> list[SeatHolder] | None:
    """The flight's seat holders; None when reservations fails (the chart degrades, never fails)."""
    try:
        return clients.reservations().seats_by_flight(flight_id)
    except GatewayError as exc:
        logger.warning("seat chart of %s degraded: %s", flight_id, exc.detail)
        return None


def _holds_or_none(flight_id: str) -> list[HeldSeat] | None:
    """The flight's held seats; None when reservations fails (the chart degrades: a held seat would
    otherwise read as free)."""
    try:
        return clients.reservations().holds_by_flight(flight_id)
    except GatewayError as exc:
        logger.warning("seat chart of %s degraded (holds): %s", flight_id, exc.detail)
        return None
