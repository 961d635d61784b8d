"""Queries of the flights context. They return plain, immutable data, never model instances."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from flights.errors import FlightNotFound, InvalidInput
from flights.models import AircraftLayout, Flight
from flights.rules import flight_id_parse, flight_no_normalize, iata_normalize, is_flight_no

FLIGHT_FIND_LIMIT = 200


@dataclass(frozen=True)
class FlightRecord:
    flight_id: uuid.UUID
    flight_no: str
    departure: datetime
    origin_code: str
    destination_code: str
    aircraft: str
    aircraft_layout: str
    seat_count: int


@dataclass(frozen=True)
class FlightSeatMap:
    """A seat map and the flight it was picked for."""

    flight: FlightRecord
    seat_map: dict


def _record(flight: Flight) -> FlightRecord:
    return FlightRecord(
        flight_id=flight.flight_id,
        flight_no=flight.flight_no,
        departure=flight.departure.astimezone(UTC),
        origin_code=flight.origin_code,
        destination_code=flight.destination_code,
        aircraft=flight.layout.aircraft_type,
        aircraft_layout=flight.layout.code,
        seat_count=flight.layout.seat_count,
    )


def _flights() -> QuerySet[Flight]:
    # The seat map itself is large; lists never need it.
    return Flight.objects.select_related("layout").defer("layout__seat_map")


def flight_find(
    *,
    flight_no: str | None = None,
    departure_minute: datetime | None = None,
    departure_date: date | None = None,
    origin_code: str | None = None,
    destination_code: str | None = None,
    limit: int = FLIGHT_FIND_LIMIT,
) -> list[FlightRecord]:
    """Flights matching every given filter, by departure; at least one filter is required.

    `departure_minute` matches to the minute (an aware datetime); `departure_date` is a UTC day.
    """
    if not any([flight_no, departure_minute, departure_date, origin_code, destination_code]):
        raise InvalidInput(
            "give at least one of flight_no, departure_date_time, date, origin_code, destination_code"
        )
    flights = _flights()
    if flight_no:
        flights = flights.filter(flight_no=flight_no_normalize(flight_no))
    if origin_code:
        flights = flights.filter(origin_code=iata_normalize(origin_code, field="origin_code"))
    if destination_code:
        flights = flights.filter(destination_code=iata_normalize(destination_code, field="destination_code"))
    try:
        if departure_minute is not None:
            if timezone.is_naive(departure_minute):
                raise InvalidInput("departure_date_time: must carry a timezone")
            start = departure_minute.astimezone(UTC).replace(second=0, microsecond=0)
            flights = flights.filter(departure__gte=start, departure__lt=start + timedelta(minutes=1))
        if departure_date is not None:
            start = datetime.combine(departure_date, time.min, tzinfo=UTC)
            flights = flights.filter(departure__gte=start, departure__lt=start + timedelta(days=1))
    except OverflowError as exc:
        raise InvalidInput("departure: out of the range of dates flights can have") from exc
    return [_record(flight) for flight in flights.order_by("departure", "flight_no")[: max(0, limit)]]


def flight_get(*, flight_id: uuid.UUID) -> FlightRecord:
    try:
        return _record(_flights().get(flight_id=flight_id))
    except Flight.DoesNotExist as exc:
        raise FlightNotFound(f"no flight with flight_id {flight_id}") from exc


def flight_for_slot(*, slot: str, now: datetime | None = None) -> Flight:
    """The flight a `/flights/{slot}/…` path names: a flight_id, or a flight_no's next departure.

    For a flight number the next departure at or after `now` wins; when it has none left, its most
    recent past departure (so the book's AA2532 of 2020 still has a seat map).
    """
    flights = Flight.objects.select_related("layout")
    flight_id = flight_id_parse(slot)
    if flight_id is not None:
        try:
            return flights.get(flight_id=flight_id)
        except Flight.DoesNotExist as exc:
            raise FlightNotFound(f"no flight with flight_id {flight_id}") from exc
    if not is_flight_no(slot):
        raise InvalidInput("slot: must be a flight number like AA2532 or a flight_id (uuid)")
    flight_no = flight_no_normalize(slot)
    now = now or timezone.now()
    same_number = flights.filter(flight_no=flight_no)
    flight = (
        same_number.filter(departure__gte=now).order_by("departure").first()
        or same_number.filter(departure__lt=now).order_by("-departure").first()
    )
    if flight is None:
        raise FlightNotFound(f"no flight {flight_no}")
    return flight


def seat_map_for_slot(*, slot: str, now: datetime | None = None) -> FlightSeatMap:
    """The seat map of the flight `slot` names (see flight_for_slot), through its aircraft layout."""
    flight = flight_for_slot(slot=slot, now=now)
    return FlightSeatMap(flight=_record(flight), seat_map=flight.layout.seat_map)


def aircraft_layout_codes(*, first_cabin_type: str | None = None) -> list[str]:
    """Layout codes, optionally only those whose front cabin is of `first_cabin_type` (a JSON key lookup)."""
    layouts = AircraftLayout.objects.order_by("code")
    if first_cabin_type is not None:
        layouts = layouts.filter(seat_map__Cabin__0__CabinClass__CabinType=first_cabin_type)
    return list(layouts.values_list("code", flat=True))
