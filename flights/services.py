"""Commands of the flights context: every write goes through here (and validates first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, router, transaction

from flights.errors import AircraftLayoutNotFound, Conflict, InvalidInput
from flights.models import AircraftLayout, Flight
from flights.rules import flight_no_normalize, iata_normalize
from flights.seat_maps import seat_map_build, seat_map_validate
from flights.seed_data import BOOK_FLIGHT, DEFAULT_DAYS, LAYOUTS, ROUTES, seed_flight_id


def _flights_db() -> str:
    """The alias that holds this context's tables (``flights`` in the platform, ``default`` alone)."""
    return router.db_for_write(Flight)


def aircraft_layout_create(*, code: str, aircraft_type: str, seat_map: object) -> AircraftLayout:
    """A new layout; a malformed seat map is refused (SeatMapInvalid names every offending path)."""
    code = (code or "").strip()
    aircraft_type = (aircraft_type or "").strip()
    if not code or len(code) > 32:
        raise InvalidInput("code: must be 1 to 32 characters")
    if not aircraft_type or len(aircraft_type) > 64:
        raise InvalidInput("aircraft_type: must be 1 to 64 characters")
    summary = seat_map_validate(seat_map=seat_map)
    layout = AircraftLayout(
        code=code, aircraft_type=aircraft_type, seat_map=seat_map, seat_count=summary.seat_count
    )
    try:
        with transaction.atomic(using=_flights_db()):
            layout.save()
    except IntegrityError as exc:
        raise Conflict(f"aircraft layout {code} already exists") from exc
    return layout


def aircraft_layout_update_seat_map(*, layout: AircraftLayout, seat_map: object) -> AircraftLayout:
    """Replace a layout's seat map (validated); every flight flying the layout sees the new map."""
    summary = seat_map_validate(seat_map=seat_map)
    layout.seat_map = seat_map
    layout.seat_count = summary.seat_count
    layout.save(update_fields=["seat_map", "seat_count", "updated_at"])
    return layout


def flight_create(
    *,
    flight_no: str,
    departure: datetime,
    origin_code: str,
    destination_code: str,
    layout_code: str,
) -> Flight:
    """Schedule one departure. The departure must be timezone-aware; it is stored in UTC."""
    flight_no = flight_no_normalize(flight_no)
    origin_code = iata_normalize(origin_code, field="origin_code")
    destination_code = iata_normalize(destination_code, field="destination_code")
    if origin_code == destination_code:
        raise InvalidInput("destination_code: must differ from origin_code")
    if not isinstance(departure, datetime) or departure.tzinfo is None or departure.utcoffset() is None:
        raise InvalidInput("departure: must be a timezone-aware datetime")
    db = _flights_db()
    try:
        layout = AircraftLayout.objects.using(db).get(code=layout_code)
    except AircraftLayout.DoesNotExist as exc:
        raise AircraftLayoutNotFound(f"no aircraft layout {layout_code!r}") from exc
    flight = Flight(
        flight_no=flight_no,
        departure=departure.astimezone(UTC),
        origin_code=origin_code,
        destination_code=destination_code,
        layout=layout,
    )
    try:
        with transaction.atomic(using=db):
            flight.save(using=db)
    except IntegrityError as exc:
        raise Conflict(f"{flight_no} already departs at {flight.departure:%Y-%m-%dT%H:%M}Z") from exc
    return flight


@dataclass(frozen=True)
class SeedResult:
    layouts_created: int
    layouts_updated: int
    flights_created: int
    flights_total: int


def flights_seed(*, start: date, days: int = DEFAULT_DAYS) -> SeedResult:
    """Demo layouts and a schedule from `start` for `days` days, plus the book's AA2532 of 2020-05-17.

    Idempotent: layouts are matched by code, flights by (flight_no, departure) with deterministic ids,
    so a second run with the same arguments changes nothing.
    """
    if days < 0 or days > 366:
        raise InvalidInput("days: must be between 0 and 366")
    db = _flights_db()
    created = updated = 0
    with transaction.atomic(using=db):
        layouts: dict[str, AircraftLayout] = {}
        for definition in LAYOUTS:
            seat_map = seat_map_build(cabins=definition.cabins)
            seat_count = seat_map_validate(seat_map=seat_map).seat_count
            layout = AircraftLayout.objects.using(db).filter(code=definition.code).first()
            if layout is None:
                layout = AircraftLayout.objects.using(db).create(
                    code=definition.code,
                    aircraft_type=definition.aircraft_type,
                    seat_map=seat_map,
                    seat_count=seat_count,
                )
                created += 1
            elif layout.seat_map != seat_map or layout.aircraft_type != definition.aircraft_type:
                # The seed's definition changed since the last run: bring the stored layout up to date.
                layout.aircraft_type = definition.aircraft_type
                layout.seat_map = seat_map
                layout.seat_count = seat_count
                layout.save(using=db)
                updated += 1
            layouts[definition.code] = layout

        wanted: list[Flight] = []
        for offset in range(days):
            day = start + timedelta(days=offset)
            for route in ROUTES:
                for flight_no, at in route.departures:
                    departure = datetime.combine(day, at, tzinfo=UTC)
                    wanted.append(
                        _seed_flight(
                            flight_no,
                            departure,
                            route.origin_code,
                            route.destination_code,
                            layouts[route.layout_code],
                        )
                    )
        book_no, book_departure, book_origin, book_destination, book_layout = BOOK_FLIGHT
        wanted.append(
            _seed_flight(book_no, book_departure, book_origin, book_destination, layouts[book_layout])
        )

        before = Flight.objects.using(db).count()
        existing = set(
            Flight.objects.using(db)
            .filter(flight_id__in=[flight.flight_id for flight in wanted])
            .values_list("flight_id", flat=True)
        )
        missing = [flight for flight in wanted if flight.flight_id not in existing]
        # ignore_conflicts: a flight added by hand at a seeded (flight_no, departure) is left alone.
        Flight.objects.using(db).bulk_create(missing, batch_size=500, ignore_conflicts=True)
        total = Flight.objects.using(db).count()
    return SeedResult(
        layouts_created=created, layouts_updated=updated, flights_created=total - before, flights_total=total
    )


def _seed_flight(
    flight_no: str, departure: datetime, origin: str, destination: str, layout: AircraftLayout
) -> Flight:
    return Flight(
        flight_id=seed_flight_id(flight_no, departure),
        flight_no=flight_no,
        departure=departure,
        origin_code=origin,
        destination_code=destination,
        layout=layout,
    )
