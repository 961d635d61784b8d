"""Tables of the flights context: aircraft layouts (with their seat map) and scheduled flights."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models

from flights.errors import SeatMapInvalid
from flights.rules import validate_flight_no, validate_iata
from flights.seat_maps import seat_map_validate


class AircraftLayout(models.Model):
    """One cabin configuration of an aircraft type; every flight flown with it shares its seat map."""

    code = models.CharField(max_length=32, unique=True, help_text="Short unique name, e.g. A321-16J156Y.")
    aircraft_type = models.CharField(max_length=64, help_text="e.g. Airbus A321")
    seat_map = models.JSONField(help_text="The book's Cabin/Row/Seat seat map; validated on write.")
    seat_count = models.PositiveSmallIntegerField(editable=False, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.aircraft_type}, {self.seat_count} seats)"

    def clean(self) -> None:
        # Admin forms and full_clean() refuse a malformed seat map with the offending paths.
        try:
            self.seat_count = seat_map_validate(seat_map=self.seat_map).seat_count
        except SeatMapInvalid as exc:
            raise ValidationError({"seat_map": exc.errors}) from exc


class Flight(models.Model):
    """One departure: a flight number on a date and time, between two airports, with a layout."""

    flight_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    flight_no = models.CharField(
        max_length=12, validators=[validate_flight_no], help_text="Carrier code and number, e.g. AA2532."
    )
    departure = models.DateTimeField(help_text="Scheduled departure (stored in UTC).")
    origin_code = models.CharField(
        max_length=3, validators=[validate_iata], help_text="IATA airport code, e.g. JFK."
    )
    destination_code = models.CharField(
        max_length=3, validators=[validate_iata], help_text="IATA airport code, e.g. LAX."
    )
    # PROTECT: a layout that still flies cannot vanish from under its flights' seat maps.
    layout = models.ForeignKey(AircraftLayout, on_delete=models.PROTECT, related_name="flights")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["departure", "flight_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["flight_no", "departure"], name="flights_flight_no_departure_uniq"
            ),
            models.CheckConstraint(
                condition=~models.Q(origin_code=models.F("destination_code")),
                name="flights_flight_origin_is_not_destination",
            ),
        ]
        indexes = [
            # The unique constraint's index serves flight_no (+ departure) lookups; these serve the rest.
            models.Index(fields=["departure"], name="flights_departure_idx"),
            models.Index(fields=["origin_code", "destination_code", "departure"], name="flights_route_idx"),
            models.Index(fields=["destination_code", "departure"], name="flights_destination_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.flight_no} {self.origin_code}→{self.destination_code} {self.departure:%Y-%m-%d %H:%M}Z"
