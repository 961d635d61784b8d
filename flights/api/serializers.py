"""Input parsing and output shapes of the flights API (the book's wire contract plus additive fields)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flights.rules import (
    FLIGHT_NO_MAX_LENGTH,
    FLIGHT_NO_MIN_LENGTH,
    FLIGHT_NO_RULE,
    FLIGHT_NO_SCHEMA_PATTERN,
    IATA_PATTERN,
    IATA_RULE,
)
from flights.selectors import FLIGHT_FIND_LIMIT

DEPARTURE_RULE = (
    "must be YYYY-MM-DDThh:mm (UTC unless an offset such as Z or +02:00 follows) or a date YYYY-MM-DD"
)

MIN_YEAR, MAX_YEAR = 1970, 2999  # keeps every window arithmetic and every database's datetime range safe
BLANK_RULE = "must not be blank (leave the parameter out instead)"

# [0-9], not \d: \d also matches other scripts' digits, which int() would then happily accept.
_TIME = r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?)?"
_DATE = re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})")
_DEPARTURE = re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})" + _TIME)
# The documented patterns also carry the ranges (years 1970-2999, months, hours…); only impossible
# days such as 02-30 pass them and are refused by the parser.
_SCHEMA_DAY = r"(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_SCHEMA_TIME = r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
DATE_SCHEMA_PATTERN = rf"^{_SCHEMA_DAY}$"
DEPARTURE_SCHEMA_PATTERN = rf"^{_SCHEMA_DAY}({_SCHEMA_TIME})?$"


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise serializers.ValidationError(f"not a real date: {text[:10]}") from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise serializers.ValidationError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return day


def parse_departure(value: str) -> datetime | date:
    """`2020-05-17T13:20` → an aware datetime (UTC unless an offset is given); `2020-05-17` → a date."""
    match = _DEPARTURE.fullmatch(value)
    if match is None:
        raise serializers.ValidationError(DEPARTURE_RULE)
    day = _day(match["date"])
    if match["hour"] is None:
        return day
    offset = match["offset"]
    try:
        tz = UTC
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
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
        raise serializers.ValidationError(f"not a real time: {DEPARTURE_RULE}") from exc


# Both fields parse in to_internal_value, so DRF's length validators (which run on the parsed value)
# cannot be used; the regular expressions bound the length instead.
@extend_schema_field(
    {"type": "string", "pattern": DEPARTURE_SCHEMA_PATTERN, "maxLength": 25, "example": "2020-05-17T13:20"}
)
class DepartureField(serializers.CharField):
    """A departure to the minute, or a whole day (see parse_departure)."""

    def to_internal_value(self, data) -> datetime | date:
        return parse_departure(super().to_internal_value(data))


@extend_schema_field({"type": "string", "format": "date", "pattern": DATE_SCHEMA_PATTERN})
class IsoDateField(serializers.CharField):
    """Exactly `YYYY-MM-DD` (strptime alone would take 2020-5-1)."""

    def to_internal_value(self, data) -> date:
        text = super().to_internal_value(data)
        if not _DATE.fullmatch(text):
            raise serializers.ValidationError("must be a date YYYY-MM-DD")
        return _day(text)


class _RuleField(serializers.RegexField):
    """A pattern field whose every failure (pattern, length, blank) answers its one ``rule``, instead of
    one message per failed validator."""

    def __init__(self, pattern: str, rule: str, **kwargs):
        messages = {"invalid": rule, "min_length": rule, "max_length": rule, "blank": rule}
        super().__init__(pattern, error_messages=messages, **kwargs)
        self.rule = rule

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(self.rule) from exc


class FlightNoField(_RuleField):
    def __init__(self, **kwargs):
        super().__init__(
            FLIGHT_NO_SCHEMA_PATTERN,
            FLIGHT_NO_RULE,
            min_length=FLIGHT_NO_MIN_LENGTH,
            max_length=FLIGHT_NO_MAX_LENGTH,
            **kwargs,
        )


class IataField(_RuleField):
    def __init__(self, **kwargs):
        super().__init__(IATA_PATTERN, IATA_RULE, max_length=3, **kwargs)


class FlightListInput(serializers.Serializer):
    flight_no = FlightNoField(required=False, help_text="Flight number, e.g. AA2532 (case-insensitive).")
    departure_date_time = DepartureField(
        required=False,
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

    def to_internal_value(self, data):
        # DRF reads `?flight_no=` as "absent"; a parameter that is given must say something.
        blank = {
            name: [BLANK_RULE]
            for name in self.fields
            if name in data and isinstance(data.get(name), str) and not data.get(name).strip()
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)

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


# Components are named "Flights…" (Meta.ref_name) because, in the platform, every context's components
# share one OpenAPI document: the gateway has its own FlightOutput, reservations its own Error.


class FlightOutput(serializers.Serializer):
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

    class Meta:
        ref_name = "FlightsFlight"


class ErrorOutput(serializers.Serializer):
    error = serializers.CharField(help_text="Machine-readable error code.")
    description = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-parameter messages (invalid input only).",
    )

    class Meta:
        ref_name = "FlightsError"


# --- the seat map, described for the OpenAPI schema (responses are the stored, validated JSON) ---


class _DetailOutput(serializers.Serializer):
    content = serializers.CharField()

    class Meta:
        ref_name = "FlightsFacilityDetail"


class _FacilityOutput(serializers.Serializer):
    Detail = _DetailOutput()

    class Meta:
        ref_name = "FlightsFacility"


class _SeatOutput(serializers.Serializer):
    Number = serializers.CharField(help_text="Column letter; the seat id is RowNumber + Number, e.g. 12C.")
    premiumInd = serializers.BooleanField()
    exitRowInd = serializers.BooleanField()
    restrictedReclineInd = serializers.BooleanField()
    noInfantInd = serializers.BooleanField()
    Facilities = _FacilityOutput(many=True, required=False)

    class Meta:
        ref_name = "FlightsSeat"


class _RowOutput(serializers.Serializer):
    RowNumber = serializers.IntegerField()
    Seat = _SeatOutput(many=True)

    class Meta:
        ref_name = "FlightsRow"


class _ColumnOutput(serializers.Serializer):
    Column = serializers.CharField()
    Characteristics = serializers.ListField(child=serializers.CharField())

    class Meta:
        ref_name = "FlightsColumn"


class _RowRangeOutput(serializers.Serializer):
    firstRow = serializers.IntegerField()
    lastRow = serializers.IntegerField()

    class Meta:
        ref_name = "FlightsRowRange"


class _CabinClassOutput(serializers.Serializer):
    CabinType = serializers.CharField()

    class Meta:
        ref_name = "FlightsCabinClass"


class _CabinOutput(serializers.Serializer):
    firstRow = serializers.IntegerField()
    lastRow = serializers.IntegerField()
    Wing = _RowRangeOutput(required=False)
    CabinClass = _CabinClassOutput()
    Column = _ColumnOutput(many=True)
    Row = _RowOutput(many=True)

    class Meta:
        ref_name = "FlightsCabin"


class SeatMapOutput(serializers.Serializer):
    Cabin = _CabinOutput(many=True)

    class Meta:
        ref_name = "FlightsSeatMap"
