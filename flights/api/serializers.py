"""Input parsing and output shapes of the flights API (the book's wire contract plus additive fields)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from rest_framework import serializers

from flights.rules import (
    FLIGHT_NO_MAX_LENGTH,
    FLIGHT_NO_MIN_LENGTH,
    FLIGHT_NO_PATTERN,
    FLIGHT_NO_RULE,
    IATA_PATTERN,
    IATA_RULE,
)
from flights.selectors import FLIGHT_FIND_LIMIT

DEPARTURE_RULE = (
    "must be YYYY-MM-DDThh:mm (UTC unless an offset such as Z or +02:00 follows) or a date YYYY-MM-DD"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DEPARTURE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?P<offset>Z|[+-]\d{2}:\d{2})?)?$"
)


MIN_YEAR, MAX_YEAR = 1970, 2999  # keeps every window arithmetic and every database's datetime range safe


def _check_year(day: date) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise serializers.ValidationError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return day


def parse_departure(value: str) -> datetime | date:
    """`2020-05-17T13:20` → an aware datetime (UTC unless an offset is given); `2020-05-17` → a date."""
    match = _DEPARTURE.match(value)
    if match is None:
        raise serializers.ValidationError(DEPARTURE_RULE)
    try:
        day = _check_year(date.fromisoformat(match["date"]))
        if match["hour"] is None:
            return day
        offset = match["offset"]
        tz = UTC
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return datetime(
            day.year,
            day.month,
            day.day,
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise serializers.ValidationError(f"not a real date or time: {DEPARTURE_RULE}") from exc


class IsoDateField(serializers.DateField):
    """Exactly `YYYY-MM-DD` (strptime alone would take 2020-5-1)."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not _DATE.match(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return _check_year(super().to_internal_value(value))


class FlightNoField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(
            FLIGHT_NO_PATTERN,
            min_length=FLIGHT_NO_MIN_LENGTH,
            max_length=FLIGHT_NO_MAX_LENGTH,
            error_messages={
                "invalid": FLIGHT_NO_RULE,
                "min_length": FLIGHT_NO_RULE,
                "max_length": FLIGHT_NO_RULE,
                "blank": FLIGHT_NO_RULE,
            },
            **kwargs,
        )

    def run_validators(self, value):
        # One clear message instead of one per failed validator (length and pattern).
        try:
            super().run_validators(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(FLIGHT_NO_RULE) from exc


class IataField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(
            IATA_PATTERN,
            max_length=3,
            error_messages={"invalid": IATA_RULE, "max_length": IATA_RULE, "blank": IATA_RULE},
            **kwargs,
        )

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(IATA_RULE) from exc


class FlightListInputSerializer(serializers.Serializer):
    flight_no = FlightNoField(required=False, help_text="Flight number, e.g. AA2532 (case-insensitive).")
    departure_date_time = serializers.CharField(
        required=False,
        max_length=40,
        trim_whitespace=True,
        help_text="Departure to the minute, `YYYY-MM-DDThh:mm` (UTC unless an offset follows), "
        "or a date `YYYY-MM-DD` for every departure that UTC day.",
    )
    date = IsoDateField(
        required=False, help_text="Every departure on this UTC day, `YYYY-MM-DD` (extension)."
    )
    origin_code = IataField(required=False, help_text="Departure airport, IATA code (extension).")
    destination_code = IataField(required=False, help_text="Arrival airport, IATA code (extension).")

    default_error_messages = {
        "no_filter": "give at least one of flight_no, departure_date_time, date, origin_code, destination_code",
    }

    def validate_departure_date_time(self, value: str) -> datetime | date:
        return parse_departure(value)

    def validate(self, attrs: dict) -> dict:
        if not any(attrs.get(name) for name in self.fields):
            self.fail("no_filter")
        departure = attrs.get("departure_date_time")
        if isinstance(departure, date) and not isinstance(departure, datetime):
            if attrs.get("date") not in (None, departure):
                raise serializers.ValidationError({"date": ["contradicts the date in departure_date_time"]})
            attrs["date"] = departure
            attrs["departure_date_time"] = None
        return attrs

    def selector_kwargs(self) -> dict:
        """The validated input as flight_find's keyword arguments."""
        data = self.validated_data
        return {
            "flight_no": data.get("flight_no"),
            "departure_minute": data.get("departure_date_time"),
            "departure_date": data.get("date"),
            "origin_code": data.get("origin_code"),
            "destination_code": data.get("destination_code"),
            "limit": FLIGHT_FIND_LIMIT,
        }


class FlightOutputSerializer(serializers.Serializer):
    flight_id = serializers.UUIDField()
    flight_no = serializers.CharField()
    departure = serializers.DateTimeField(help_text="Scheduled departure, ISO 8601 in UTC.")
    origin_code = serializers.CharField()
    destination_code = serializers.CharField()
    aircraft = serializers.CharField(help_text="Aircraft type, e.g. Airbus A321.")
    aircraft_layout = serializers.CharField(
        help_text="Code of the cabin layout whose seat map this flight uses."
    )
    seat_count = serializers.IntegerField()


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="Machine-readable error code.")
    description = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-parameter messages (invalid input only).",
    )


# --- the seat map, described for the OpenAPI schema (responses are the stored, validated JSON) ---


class _DetailSerializer(serializers.Serializer):
    content = serializers.CharField()


class _FacilitySerializer(serializers.Serializer):
    Detail = _DetailSerializer()


class _SeatSerializer(serializers.Serializer):
    Number = serializers.CharField(help_text="Column letter; the seat id is RowNumber + Number, e.g. 12C.")
    premiumInd = serializers.BooleanField()
    exitRowInd = serializers.BooleanField()
    restrictedReclineInd = serializers.BooleanField()
    noInfantInd = serializers.BooleanField()
    Facilities = _FacilitySerializer(many=True, required=False)


class _RowSerializer(serializers.Serializer):
    RowNumber = serializers.IntegerField()
    Seat = _SeatSerializer(many=True)


class _ColumnSerializer(serializers.Serializer):
    Column = serializers.CharField()
    Characteristics = serializers.ListField(child=serializers.CharField())


class _RowRangeSerializer(serializers.Serializer):
    firstRow = serializers.IntegerField()
    lastRow = serializers.IntegerField()


class _CabinClassSerializer(serializers.Serializer):
    CabinType = serializers.CharField()


class _CabinSerializer(serializers.Serializer):
    firstRow = serializers.IntegerField()
    lastRow = serializers.IntegerField()
    Wing = _RowRangeSerializer(required=False)
    CabinClass = _CabinClassSerializer()
    Column = _ColumnSerializer(many=True)
    Row = _RowSerializer(many=True)


class SeatMapSerializer(serializers.Serializer):
    Cabin = _CabinSerializer(many=True)
