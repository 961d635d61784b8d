"""The gateway's composition of its upstreams: seat charts, reserve, cancel, my seats (moves: seat_moves.py).

Views call these; only these call the clients. No database transaction is ever held open across an
upstream call: in platform mode that call re-enters this process's Django app.
"""

from __future__ import annotations

import contextvars
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import timezone

from gateway import clients, idempotency
from gateway.clients import Flight, SeatHolder, SeatMap
from gateway.errors import (
    FlightClosed,
    GatewayError,
    InvalidInput,
    SeatNotFound,
    UpstreamError,
    UpstreamUnavailable,
)
from gateway.idempotency import Outcome
from gateway.local_cache import LocalTTLCache

logger = logging.getLogger(__name__)

SEAT_RE = re.compile(r"^[1-9][0-9]{0,2}[A-K]$")
FLIGHT_ID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)

# Shared by every request: the seat chart's two upstream reads run side by side on it.
_executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="gateway-fanout")


def seat_clean(value: object) -> str:
    text = str(value or "").strip().upper()
    if not SEAT_RE.match(text):
        raise InvalidInput(f"seat: must be a row 1-999 and a letter A-K, like 12C; got {str(value)[:20]!r}.")
    return text


def flight_id_clean(value: object) -> str:
    text = str(value or "").strip()
    if not FLIGHT_ID_RE.match(text):
        raise InvalidInput("flight_id: must be a flight's uuid, like 3f2b5c1e-8a47-4a0c-9a65-3e2f7d0d4c11.")
    return text.lower()


# -- flights -----------------------------------------------------------------------------------


def flights_find(
    *,
    flight_no: str | None = None,
    date: str | None = None,
    origin_code: str | None = None,
    destination_code: str | None = None,
) -> list[Flight]:
    return clients.flights().flights_search(
        flight_no=flight_no, date=date, origin_code=origin_code, destination_code=destination_code
    )


# -- seat chart --------------------------------------------------------------------------------


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


def _characteristics(
    column_traits: list[str], seat: dict, row_no: int, wing: tuple[int, int] | None
) -> list[str]:
    traits = [
        trait.lower() for trait in column_traits if trait.lower() in {"window", "aisle", "middle", "center"}
    ]
    if seat.get("exitRowInd"):
        traits.append("exit")
    if seat.get("premiumInd"):
        traits.append("premium")
    if seat.get("restrictedReclineInd"):
        traits.append("restricted_recline")
    if seat.get("noInfantInd"):
        traits.append("no_infant")
    if wing and wing[0] <= row_no <= wing[1]:
        traits.append("wing")
    return traits


def seat_chart_skeleton(seat_map: SeatMap) -> list[dict[str, Any]]:
    """The chart's shape from a seat map: cabins → rows → seats with characteristics, no status yet.

    Computed once per cached seat map; seat_chart_merge() only adds each seat's status.
    """
    cabins = []
    for cabin in seat_map.get("Cabin", []):
        columns_raw = cabin.get("Column") or []
        traits_by_letter = {col.get("Column"): list(col.get("Characteristics") or []) for col in columns_raw}
        columns = []
        for index, col in enumerate(columns_raw):
            nxt = columns_raw[index + 1] if index + 1 < len(columns_raw) else None
            aisle_after = bool(
                nxt
                and "Aisle" in (col.get("Characteristics") or [])
                and "Aisle" in (nxt.get("Characteristics") or [])
            )
            columns.append({"letter": col.get("Column"), "aisle_after": aisle_after})
        wing_raw = cabin.get("Wing")
        wing = (int(wing_raw["firstRow"]), int(wing_raw["lastRow"])) if isinstance(wing_raw, dict) else None
        rows = []
        for row in cabin.get("Row") or []:
            row_no = int(row["RowNumber"])
            seats = [
                {
                    "seat": f"{row_no}{seat['Number']}",
                    "column": seat["Number"],
                    "characteristics": _characteristics(
                        traits_by_letter.get(seat["Number"], []), seat, row_no, wing
                    ),
                    "facilities": [
                        str((facility.get("Detail") or {}).get("content"))
                        for facility in seat.get("Facilities") or []
                        if isinstance(facility, dict)
                    ],
                }
                for seat in row.get("Seat") or []
            ]
            rows.append(
                {
                    "number": row_no,
                    "exit": any(seat.get("exitRowInd") for seat in row.get("Seat") or []),
                    "wing": bool(wing and wing[0] <= row_no <= wing[1]),
                    "seats": seats,
                }
            )
        cabins.append(
            {
                "cabin_class": (cabin.get("CabinClass") or {}).get("CabinType", "Economy"),
                "first_row": cabin.get("firstRow"),
                "last_row": cabin.get("lastRow"),
                "wing": {"first_row": wing[0], "last_row": wing[1]} if wing else None,
                "columns": columns,
                "rows": rows,
            }
        )
    return cabins


def seat_chart_merge(
    *,
    flight_id: str,
    skeleton: list[dict[str, Any]],
    holders: list[SeatHolder] | None,
    customer_id: str,
    closed: bool = False,
) -> SeatChart:
    """Skeleton ⊕ reservations: every seat marked free / taken / yours (unknown without reservations).

    Builds new row and seat dicts (the skeleton is shared by concurrent requests). Other customers'
    ids never leave this function.
    """
    held: dict[str, bool] = {}
    if holders is not None:
        held = {holder["seat_no"].upper(): holder["customer_id"] == customer_id for holder in holders}

    def status(seat_id: str) -> str:
        if holders is None:
            return "unknown"
        if seat_id in held:
            return "yours" if held[seat_id] else "taken"
        return "free"

    cabins = [
        {
            **cabin,
            "rows": [
                {**row, "seats": [{**seat, "status": status(seat["seat"])} for seat in row["seats"]]}
                for row in cabin["rows"]
            ],
        }
        for cabin in skeleton
    ]
    return SeatChart(flight_id=flight_id, degraded=holders is None, cabins=cabins, closed=closed)


def _in_context(fn: Any, *args: Any) -> Any:
    """Run fn on the pool with this request's context (its request id reaches the upstream)."""
    context = contextvars.copy_context()
    return _executor.submit(context.run, fn, *args)


class FlightEntry(NamedTuple):
    """What the gateway keeps per flight: its seat map, the chart skeleton, and the flight (departure)."""

    seat_map: SeatMap
    skeleton: list[dict[str, Any]]
    flight: Flight
    departure: datetime


class _SeatMapCache:
    """Per-process TTL cache of each flight's seat map, chart skeleton and departure; bounded.

    The departure rides along with the seat map (one entry, one TTL): a reserve, cancel or move of a
    flight whose chart was just read needs no further flights call, and the departed-flight guard
    compares the cached departure with the clock on every call, so caching never keeps a departed
    flight open (only a rescheduled departure is seen up to one TTL late; ADR 0076).
    """

    MAX_ENTRIES = 2048

    def __init__(self) -> None:
        self._cache: LocalTTLCache[FlightEntry] = LocalTTLCache(self.MAX_ENTRIES)

    def get(self, flight_id: str) -> SeatMap:
        return self.entry(flight_id).seat_map

    def fresh(self, flight_id: str) -> FlightEntry | None:
        """The cached entry while it is fresh, else None (no upstream call)."""
        return self._cache.get(flight_id) if settings.GATEWAY_SEAT_MAP_TTL > 0 else None

    def entry(self, flight_id: str) -> FlightEntry:
        cached = self.fresh(flight_id)
        if cached is not None:
            return cached
        flights = clients.flights()
        seat_map = flights.seat_map_get(flight_id)  # unknown flights are not cached
        flight = flights.flight_get(flight_id)
        entry = FlightEntry(seat_map, seat_chart_skeleton(seat_map), flight, _departure_of(flight))
        if settings.GATEWAY_SEAT_MAP_TTL > 0:
            self._cache.put(flight_id, entry, settings.GATEWAY_SEAT_MAP_TTL)
        return entry

    def clear(self) -> None:
        self._cache.clear()


def _departure_of(flight: Flight) -> datetime:
    try:
        departure = datetime.fromisoformat(flight["departure"])
    except ValueError as exc:
        raise UpstreamError("flights", "The flights service sent a departure that is not a date.") from exc
    return departure if departure.tzinfo else departure.replace(tzinfo=UTC)


seat_maps = _SeatMapCache()


def seat_chart_build(*, flight_id: str, customer_id: str) -> SeatChart:
    """The seat map and the flight's reservations, fetched concurrently, merged.

    Reservations down → a degraded chart (availability unknown); flights down → UpstreamUnavailable.
    A seat map still fresh in the cache leaves one upstream read, made on this thread (a hand-off to
    the pool would only add latency). Otherwise the flights read stays on this thread (in platform
    mode it queries this request's database connection, tests' transactions included) while the
    reservations read (Redis only) runs on the pool.
    """
    flight_id = flight_id_clean(flight_id)
    entry = seat_maps.fresh(flight_id)
    if entry is not None:
        holders = _holders_or_none(flight_id)
    else:
        holders_future = _in_context(_holders_or_none, flight_id)
        try:
            entry = seat_maps.entry(flight_id)
        finally:
            holders = holders_future.result()
    return seat_chart_merge(
        flight_id=flight_id,
        skeleton=entry.skeleton,
        holders=holders,
        customer_id=customer_id,
        closed=timezone.now() >= flight_closes_at(entry.departure),
    )


def _holders_or_none(flight_id: str) -> list[SeatHolder] | None:
    """The flight's seat holders; None when reservations fails (the chart degrades, never fails)."""
    try:
        return clients.reservations().seats_by_flight(flight_id)
    except GatewayError as exc:
        logger.warning("seat chart of %s degraded: %s", flight_id, exc.detail)
        return None


def _seat_on_map(seat_map: SeatMap, seat: str) -> bool:
    return any(
        f"{row.get('RowNumber')}{item.get('Number')}" == seat
        for cabin in seat_map.get("Cabin", [])
        for row in cabin.get("Row") or []
        for item in row.get("Seat") or []
    )


def seat_require_on_map(*, flight_id: str, seat: str) -> None:
    """Unknown flight → FlightNotFound; a seat the aircraft does not have → SeatNotFound."""
    if not _seat_on_map(seat_maps.get(flight_id), seat):
        raise SeatNotFound(f"Seat {seat} does not exist on this flight.")


def flight_closes_at(departure: datetime) -> datetime:
    """When a flight stops taking reserves, cancels and moves: its departure minus the cut-off."""
    return departure - timedelta(minutes=settings.BOOKING_CUTOFF_MINUTES)


def flight_require_open(*, flight_id: str) -> None:
    """Unknown flight → FlightNotFound; departed (or past the booking cut-off) → FlightClosed.

    "Now" is django.utils.timezone.now() on every call (the departure may come from the cache).
    """
    entry = seat_maps.entry(flight_id)
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


def reservations_of_customer(*, customer_id: str) -> list[dict[str, Any]]:
    """The customer's seats, each with its flight (flight details fetched concurrently, once per flight)."""
    held = clients.reservations().seats_by_customer(customer_id)
    flight_ids = sorted({item["flight_id"] for item in held})
    if clients.flights().in_process:
        # In-process reads query this thread's database connection (and hold the GIL): no pool.
        flights_by_id = {flight_id: _flight_or_none(flight_id) for flight_id in flight_ids}
    else:
        futures = {flight_id: _in_context(_flight_or_none, flight_id) for flight_id in flight_ids}
        flights_by_id = {flight_id: future.result() for flight_id, future in futures.items()}
    return [
        {
            "flight_id": item["flight_id"],
            "seat": item["seat_no"],
            "flight": flights_by_id.get(item["flight_id"]),
        }
        for item in sorted(
            held, key=lambda item: (item["flight_id"], int(item["seat_no"][:-1]), item["seat_no"][-1])
        )
    ]


def _flight_or_none(flight_id: str) -> Flight | None:
    """Flight details for enrichment; a flight that vanished or an outage leaves them out (null)."""
    try:
        return clients.flights().flight_get(flight_id)
    except (GatewayError, UpstreamUnavailable) as exc:
        logger.warning("reservation list: flight %s not enriched: %s", flight_id, exc)
        return None


# The seat-move saga lives in gateway/seat_moves.py (durable, with its recovery pass).
