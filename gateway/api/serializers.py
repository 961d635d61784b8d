"""Input and output shapes of the gateway API (outputs also document the OpenAPI schema)."""

from __future__ import annotations

import re
from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gateway import rules

SEAT_HELP = f"A seat id: {rules.SEAT_RULE}."


class CredentialsInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class SessionOutput(serializers.Serializer):
    username = serializers.CharField()
    customer_id = serializers.CharField()


_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")


@extend_schema_field({"type": "string", "format": "date"})
class AsciiDateField(serializers.DateField):
    """DRF's DateField, but ASCII digits only: Django's parser reads 2020-05-17 written in Arabic-Indic digits as that date."""

    def to_internal_value(self, value: object) -> date:
        if isinstance(value, str) and _ASCII_DATE.fullmatch(value) is None:
            raise serializers.ValidationError("must be a date YYYY-MM-DD (ASCII digits)")
        return super().to_internal_value(value)


class RuleField(serializers.RegexField):
    """A string field checked by one of gateway.rules' mirrored patterns, with the rule as its one message."""

    def __init__(self, pattern: str, rule: str, **kwargs: object) -> None:
        messages = {"invalid": rule, "min_length": rule, "max_length": rule, "blank": rule}
        super().__init__(pattern, error_messages=messages, **kwargs)

    def run_validators(self, value: str) -> None:
        # One clear message instead of one per failed validator (length and pattern).
        try:
            super().run_validators(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(self.error_messages["invalid"]) from exc


class FlightSearchInput(serializers.Serializer):
    flight_no = RuleField(
        rules.FLIGHT_NO_SCHEMA_PATTERN,
        rules.FLIGHT_NO_RULE,
        min_length=rules.FLIGHT_NO_MIN_LENGTH,
        max_length=rules.FLIGHT_NO_MAX_LENGTH,
        required=False,
        help_text="e.g. AA2532",
    )
    date = AsciiDateField(required=False, help_text="departure date, YYYY-MM-DD")
    origin_code = RuleField(
        rules.IATA_PATTERN, rules.IATA_RULE, required=False, help_text="IATA code, e.g. JFK"
    )
    destination_code = RuleField(
        rules.IATA_PATTERN, rules.IATA_RULE, required=False, help_text="IATA code, e.g. LAX"
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Give flight_no, date, origin_code or destination_code.")
        return attrs

    def search_kwargs(self) -> dict[str, str]:
        data = self.validated_data
        return {
            "flight_no": data["flight_no"].upper() if data.get("flight_no") else None,
            "date": data["date"].isoformat() if data.get("date") else None,
            "origin_code": data["origin_code"].upper() if data.get("origin_code") else None,
            "destination_code": data["destination_code"].upper() if data.get("destination_code") else None,
        }


class FlightOutput(serializers.Serializer):
    flight_id = serializers.UUIDField()
    flight_no = serializers.CharField()
    departure = serializers.DateTimeField()
    origin_code = serializers.CharField()
    destination_code = serializers.CharField()
    aircraft = serializers.CharField(required=False)


class SeatOutput(serializers.Serializer):
    seat = serializers.CharField(help_text=SEAT_HELP)
    column = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["free", "taken", "yours", "held", "unknown"],
        help_text="taken: reserved or held by someone else; yours: your reservation; held: in your live hold",
    )
    hold_id = serializers.CharField(required=False, help_text="held only: your hold's id")
    expires_at = serializers.DateTimeField(required=False, help_text="held only: when your hold ends")
    characteristics = serializers.ListField(
        child=serializers.CharField(),
        help_text="window, aisle, middle, center, exit, premium, wing, restricted_recline, no_infant",
    )
    facilities = serializers.ListField(child=serializers.CharField())


class RowOutput(serializers.Serializer):
    number = serializers.IntegerField()
    exit = serializers.BooleanField()
    wing = serializers.BooleanField()
    seats = SeatOutput(many=True)


class ColumnOutput(serializers.Serializer):
    letter = serializers.CharField()
    aisle_after = serializers.BooleanField(help_text="an aisle runs between this column and the next")


class RangeOutput(serializers.Serializer):
    first_row = serializers.IntegerField()
    last_row = serializers.IntegerField()


class CabinOutput(serializers.Serializer):
    cabin_class = serializers.CharField()
    first_row = serializers.IntegerField()
    last_row = serializers.IntegerField()
    wing = RangeOutput(allow_null=True)
    columns = ColumnOutput(many=True)
    rows = RowOutput(many=True)


class SeatChartOutput(serializers.Serializer):
    flight_id = serializers.CharField()
    degraded = serializers.BooleanField(help_text="true: reservations unavailable, every status is 'unknown'")
    closed = serializers.BooleanField(
        help_text="true: the flight has departed (or is past the booking cut-off); no reserve, cancel or move"
    )
    cabins = CabinOutput(many=True)


class ReserveInput(serializers.Serializer):
    seat = serializers.CharField(max_length=8, help_text=SEAT_HELP)


class ReservationOutput(serializers.Serializer):
    flight_id = serializers.CharField()
    seat = serializers.CharField()
    status = serializers.CharField(default="yours")


class MyReservationOutput(serializers.Serializer):
    flight_id = serializers.CharField()
    seat = serializers.CharField()
    flight = FlightOutput(allow_null=True)


class MoveInput(serializers.Serializer):
    from_flight_id = serializers.CharField(max_length=64)
    from_seat = serializers.CharField(max_length=8, help_text=SEAT_HELP)
    to_flight_id = serializers.CharField(max_length=64)
    to_seat = serializers.CharField(max_length=8, help_text=SEAT_HELP)


class MoveOutput(serializers.Serializer):
    from_flight_id = serializers.CharField()
    from_seat = serializers.CharField()
    to_flight_id = serializers.CharField()
    to_seat = serializers.CharField()


class FlatListField(serializers.ListField):
    """A list whose items' errors read as one flat list ("item 2: …"), as every other field's do (the
    problem document's `errors` member maps a field to a list of strings)."""

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            raise serializers.ValidationError(
                [f"item {index}: {message}" for index, messages in detail.items() for message in messages]
            ) from None


class HoldCreateInput(serializers.Serializer):
    """Either the seats to hold, or a party size (and preferences) for the gateway to pick seats."""

    seats = FlatListField(
        child=serializers.CharField(max_length=8),
        required=False,
        min_length=1,
        max_length=9,
        help_text="Seats of this flight to hold, all or none (1 to 9).",
    )
    party = serializers.IntegerField(
        required=False, min_value=1, max_value=9, help_text="How many seats, side by side if possible."
    )
    prefer = FlatListField(
        child=serializers.CharField(max_length=32),
        required=False,
        max_length=8,
        help_text=(
            "With `party`: window, aisle, exit_row (the block should include one), or a cabin class of the "
            "flight (business, economy, …: only that cabin)."
        ),
    )

    def validate(self, attrs):
        if ("seats" in attrs) == ("party" in attrs):
            raise serializers.ValidationError("Give either seats or party.")
        if "prefer" in attrs and "party" not in attrs:
            raise serializers.ValidationError({"prefer": ["Only with party."]})
        return attrs


class HoldOutput(serializers.Serializer):
    hold_id = serializers.CharField(help_text="Use it to confirm, release or read the hold.")
    flight_id = serializers.CharField()
    seats = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(
        choices=["held", "confirmed", "released", "expired"],
        help_text="held until expires_at; then expired (its seats are free again) unless confirmed",
    )
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    arrangement = serializers.ChoiceField(
        choices=["row", "across_aisle", "rows", "scattered"],
        required=False,
        help_text="party holds: how the seats sit (one row; one row across the aisle; consecutive rows; apart)",
    )


class ProblemOutput(serializers.Serializer):
    """RFC 7807 problem details (application/problem+json)."""

    type = serializers.URLField(help_text="The problem type; its last segment is a stable code (seat-taken).")
    title = serializers.CharField(help_text="A short summary of the problem type.")
    status = serializers.IntegerField(help_text="The HTTP status.")
    detail = serializers.CharField(help_text="What went wrong with this request, for a human.")
    instance = serializers.CharField(help_text="The request path.")
    request_id = serializers.CharField(allow_null=True, help_text="The request's X-Request-ID.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="400 invalid input: the messages per field.",
    )
    service = serializers.CharField(
        required=False, help_text="503: the internal service that is unavailable."
    )
    holds = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        required=False,
        help_text="seat-move-failed: the seats you hold now (flight_id, seat).",
    )
    seats = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="seat-taken on a hold: the seats that were reserved or held (nothing was held).",
    )
