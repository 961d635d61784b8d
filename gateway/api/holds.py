"""The gateway's seat-hold operations (docs/adr/0142, 0145): one small view each (validate, call, render)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from gateway import holds
from gateway.api import schema as doc
from gateway.api import serializers as s
from gateway.api.base import GatewayApiView, InputFormMixin, command_response, customer_id_of


class HoldCreateApi(GatewayApiView, InputFormMixin):
    input_serializer = s.HoldCreateInput

    @extend_schema(
        operation_id="holds_create",
        summary="Hold seats while you pay: chosen ones, or the best block for a party",
        description=(
            "`{seats: [...]}` holds exactly those seats, all or none; `{party: N, prefer: [...]}` holds the "
            "best free block for N: one row first, then one row across the aisle, then consecutive rows "
            "front to back (`arrangement` says which); `prefer` favours blocks with a window, an aisle or "
            "an exit row seat and a cabin class keeps the party in that cabin. 201 with the hold, its "
            "seats and `expires_at` (10 minutes by default); until then the seats are yours to confirm "
            "and taken for everyone else, after it they are free again by themselves. 409 `seat-taken` "
            "names the seats someone else reserved or holds (`seats`); `seat-limit-reached` counts held "
            "and reserved seats; `no-seats-for-party` when no block is left; `flight-closed` for a "
            "departed flight."
        ),
        tags=doc.HOLDS,
        parameters=[doc.flight_id_path(), *doc.WRITE_HEADERS],
        request=s.HoldCreateInput,
        responses={
            201: s.HoldOutput,
            **doc.write_errors(
                doc.HOLDS_PATH,
                doc.invalid(doc.HOLDS_PATH, "seats"),
                doc.seat_not_found(doc.HOLDS_PATH),
                doc.flight_not_found(doc.HOLDS_PATH),
                doc.SEATS_HELD_TAKEN,
                doc.NO_SEATS_FOR_PARTY,
                doc.HOLD_LIMIT,
                doc.key_in_flight(doc.HOLDS_PATH),
                e409="Seats taken, the seat limit, no block for the party, or the same Idempotency-Key running",
            ),
        },
        examples=[
            doc.request_example("Three chosen seats", {"seats": ["14A", "14B", "14C"]}),
            doc.request_example("A party of three by the window", {"party": 3, "prefer": ["window"]}),
            doc.response_example("Held", doc.PARTY_HOLD, status=201),
        ],
    )
    def post(self, request: Request, flight_id: str) -> Response:
        return command_response(
            request, holds.hold_create, flight_id=flight_id, **self.validated_input(request)
        )


class HoldDetailApi(GatewayApiView):
    @extend_schema(
        operation_id="holds_read",
        summary="One of your holds",
        description="Its seats, status (`held`, `confirmed`, `released`, `expired`) and `expires_at`.",
        tags=doc.HOLDS,
        parameters=[doc.hold_id_path(), *doc.HEADERS],
        responses={
            200: s.HoldOutput,
            **doc.call_errors(doc.HOLD_PATH, "reservations", doc.hold_not_found(doc.HOLD_PATH)),
        },
        examples=[doc.response_example("Held", doc.HOLD)],
    )
    def get(self, request: Request, hold_id: str) -> Response:
        return Response(holds.hold_read(customer_id=customer_id_of(request), hold_id=hold_id))

    @extend_schema(
        operation_id="holds_release",
        summary="Release your hold",
        description=(
            "204: the seats are free again (also for a hold that expired or was released already). "
            "A confirmed hold is 409 `hold-confirmed`: cancel its seats instead. Someone else's hold is "
            "404, as an unknown one."
        ),
        tags=doc.HOLDS,
        parameters=[doc.hold_id_path(), *doc.WRITE_HEADERS],
        responses={
            204: doc.HOLD_HELD,
            **doc.hold_write_errors(doc.HOLD_PATH, doc.HOLD_CONFIRMED),
        },
    )
    def delete(self, request: Request, hold_id: str) -> Response:
        return command_response(request, holds.hold_release, hold_id=hold_id)


class HoldConfirmApi(GatewayApiView):
    @extend_schema(
        operation_id="holds_confirm",
        summary="Confirm your hold: its seats become your reservations",
        description=(
            "All seats at once, before `expires_at`. Confirming again answers the confirmed hold. "
            "409 `hold-expired` at or after `expires_at` (the seats were free from that moment), "
            "`hold-released`, or `flight-closed`; someone else's hold is 404."
        ),
        tags=doc.HOLDS,
        parameters=[doc.hold_id_path(), *doc.WRITE_HEADERS],
        request=None,
        responses={
            200: s.HoldOutput,
            **doc.hold_write_errors(
                doc.HOLD_CONFIRM_PATH,
                *doc.hold_ended(doc.HOLD_CONFIRM_PATH),
            ),
        },
        examples=[doc.response_example("Confirmed", {**doc.HOLD, "status": "confirmed"})],
    )
    def post(self, request: Request, hold_id: str) -> Response:
        return command_response(request, holds.hold_confirm, hold_id=hold_id)
