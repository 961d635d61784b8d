"""Wire shapes of the reservations API, published in the OpenAPI schema.

Validation itself runs through ``reservations.validation`` (a DRF serializer costs ~100 µs per
request on the reserve hot path); these serializers carry the same patterns so /schema tells the
truth. Output is plain dicts rendered as JSON.
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from reservations import validation


@extend_schema_serializer(component_name="SeatReserveBody")
class ReservationCreateInput(serializers.Serializer):
    flight_id = serializers.RegexField(validation.FLIGHT_ID_PATTERN, max_length=64)
    customer_id = serializers.RegexField(validation.CUSTOMER_ID_PATTERN, max_length=64)
    seat_num = serializers.RegexField(
        validation.SEAT_PATTERN, max_length=4, help_text="Row 1-999 and letter A-K; lowercase is upper-cased."
    )
    operation = serializers.RegexField(
        validation.OPERATION_PATTERN,
        max_length=80,
        required=False,
        help_text="Optional token of the saga step reserving the seat (docs/adr/0055).",
    )
    replaces = serializers.RegexField(
        validation.SEAT_PATTERN,
        max_length=4,
        required=False,
        help_text=(
            "Extension: a seat of this flight the customer holds and releases next (a seat move); "
            "it does not count towards the per-customer seat limit."
        ),
    )


@extend_schema_serializer(component_name="ReservationStatus")
class ReservationStatusOutput(serializers.Serializer):
    status = serializers.CharField(default="success")


@extend_schema_serializer(component_name="ReservationError")
class ReservationErrorOutput(serializers.Serializer):
    error = serializers.CharField()
    description = serializers.CharField()


@extend_schema_serializer(component_name="ReservationListItem")
class ReservationListOutput(serializers.Serializer):
    """One schema for both list forms: a response cannot be chosen by query parameter in OpenAPI, and
    a oneOf of the two shapes is ambiguous (an item with flight_id also matches the shorter one)."""

    flight_id = serializers.CharField(
        required=False, help_text="Present when listing by customer_id; absent when listing by flight_id."
    )
    seat_no = serializers.CharField()
    customer_id = serializers.CharField()


@extend_schema_serializer(component_name="ReservationEventData")
class ReservationEventDataOutput(serializers.Serializer):
    flight_id = serializers.CharField()
    seat_no = serializers.CharField(help_text="'' on hold events (they name `seats`).")
    customer_id = serializers.CharField()
    hold_id = serializers.CharField(required=False, help_text="Hold events only.")
    seats = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Hold events only."
    )


@extend_schema_serializer(component_name="ReservationEvent")
class ReservationEventOutput(serializers.Serializer):
    event_id = serializers.CharField(
        help_text="The partition stream's id (ordered within the partition); pass the last one as `since`."
    )
    type = serializers.ChoiceField(
        choices=["SeatReserved", "SeatReleased", "SeatsHeld", "HoldConfirmed", "HoldReleased", "HoldExpired"],
        help_text=(
            "Only SeatReserved and SeatReleased change a seat's holder; the hold events (docs/adr/0142) "
            "record a hold's life (a confirm logs SeatReserved for each seat, then HoldConfirmed)."
        ),
    )
    data = ReservationEventDataOutput()
    at = serializers.DateTimeField(help_text="When Redis appended the event (UTC, ms).")


@extend_schema_serializer(component_name="ReservationEventPage")
class ReservationEventPageOutput(serializers.Serializer):
    events = ReservationEventOutput(many=True)
    next = serializers.CharField(help_text="The last event id returned, or `since` if none.")
    partition = serializers.IntegerField(
        help_text="The partition read (its own stream; ids compare within it)."
    )
    partitions = serializers.IntegerField(
        help_text="How many partitions the log has (RESERVATIONS_PARTITIONS)."
    )


# -- seat holds (docs/adr/0142) ---------------------------------------------------------------------


# Named apart from the gateway's hold serializers: the platform deployable documents both contexts.
@extend_schema_serializer(component_name="ReservationHoldBody")
class HoldCreateInput(serializers.Serializer):
    flight_id = serializers.RegexField(validation.FLIGHT_ID_PATTERN, max_length=64)
    customer_id = serializers.RegexField(validation.CUSTOMER_ID_PATTERN, max_length=64)
    seats = serializers.ListField(
        child=serializers.RegexField(validation.SEAT_PATTERN, max_length=4),
        min_length=1,
        max_length=9,
        help_text=(
            "Distinct seats of the flight, 1 to RESERVATIONS_MAX_HOLD_SEATS (default 9): all are held, "
            "or none."
        ),
    )


@extend_schema_serializer(component_name="ReservationHoldConfirmBody")
class HoldConfirmInput(serializers.Serializer):
    customer_id = serializers.RegexField(validation.CUSTOMER_ID_PATTERN, max_length=64)


@extend_schema_serializer(component_name="ReservationHold")
class HoldOutput(serializers.Serializer):
    hold_id = serializers.RegexField(
        validation.HOLD_ID_PATTERN,
        help_text="The flight's id, a dot, 24 hex digits (routes to the partition).",
    )
    flight_id = serializers.CharField()
    customer_id = serializers.CharField()
    seats = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(
        choices=["held", "confirmed", "released", "expired"],
        help_text="`held` until `expires_at` (Redis clock); a held hold past it reads `expired`.",
    )
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was confirmed, released or expired; null while held."
    )


@extend_schema_serializer(component_name="ReservationHeldSeat")
class HeldSeatOutput(serializers.Serializer):
    seat_no = serializers.CharField()
    customer_id = serializers.CharField()
    hold_id = serializers.CharField()
    expires_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="SeatsUnavailable")
class SeatsUnavailableOutput(ReservationErrorOutput):
    seats = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The seats that were reserved or held (absent when the seat limit refused the hold).",
    )
