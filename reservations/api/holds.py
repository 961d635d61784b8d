"""The reservations API's seat holds (docs/adr/0142): hold, read, confirm, release; a flight's held seats.

Beside the book's paths, never changing them: a held seat is not in ``GET /reservations?flight_id=``
(it is not reserved); the gateway reads ``GET /reservations/holds?flight_id=`` next to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request

from reservations import selectors, services, store, validation
from reservations.api import serializers as s
from reservations.api.base import ReservationsApiView
from reservations.api.views import ERRORS, JSON, RETRY_AFTER, _clean, _json_object, json_response
from reservations.errors import InvalidInput
from reservations.holds import Hold

HOLD_ID = "f8a3c1d2.3b9e0c7a51d24f68a0c2e9d1"
HOLD = {
    "hold_id": HOLD_ID,
    "flight_id": "f8a3c1d2",
    "customer_id": "dd2e4d5b",
    "seats": ["12A", "12B", "12C"],
    "status": "held",
    "created_at": "2026-12-01T10:00:00.000Z",
    "expires_at": "2026-12-01T10:10:00.000Z",
    "ended_at": None,
}
HOLD_EXAMPLE = OpenApiExample("A hold of three seats", value=HOLD, response_only=True)
NOT_FOUND = OpenApiResponse(
    s.ReservationErrorOutput,
    description="No such hold of this customer (another customer's hold answers the same).",
)


def hold_json(hold: Hold) -> dict:
    return {
        "hold_id": hold.hold_id,
        "flight_id": hold.flight_id,
        "customer_id": hold.customer_id,
        "seats": list(hold.seats),
        "status": hold.status,
        "created_at": store._iso_millis(hold.created_at_ms),
        "expires_at": store._iso_millis(hold.expires_at_ms),
        "ended_at": None if hold.ended_at_ms is None else store._iso_millis(hold.ended_at_ms),
    }


def _customer_id(value: object) -> str:
    return _clean("customer_id", value, validation.customer_id_clean)


def _hold_response(call: Callable[..., Hold], hold_id: str, customer_id: object) -> HttpResponse:
    """Read, release or confirm one of the customer's holds (both ids checked first) and answer it."""
    hold = call(
        hold_id=_clean("hold_id", hold_id, validation.hold_id_clean), customer_id=_customer_id(customer_id)
    )
    return json_response(hold_json(hold))


def hold_id_path() -> OpenApiParameter:
    return OpenApiParameter(
        "hold_id", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=validation.HOLD_ID_PATTERN
    )


def hold_responses(refused: int, description: str) -> dict:
    """The answers about one hold: the hold, 404 when it is not the customer's, the ``refused`` status
    (``description`` says when), and the errors of every call."""
    return {
        200: s.HoldOutput,
        404: NOT_FOUND,
        refused: OpenApiResponse(s.ReservationErrorOutput, description=description),
        **ERRORS,
    }


def customer_query() -> OpenApiParameter:
    return OpenApiParameter(
        "customer_id",
        OpenApiTypes.STR,
        required=True,
        pattern=validation.CUSTOMER_ID_PATTERN,
        description="The holder: a hold of anyone else is 404.",
    )


class HoldListCreateApi(ReservationsApiView):
    @extend_schema(
        operation_id="hold_create",
        summary="Hold seats of one flight for one customer, all or none",
        description=(
            "Extension (docs/adr/0142). Holds every seat for `RESERVATIONS_HOLD_SECONDS` (default 600) by "
            "the Redis clock, or none: a seat reserved or in a live hold → 409 `Seats Unavailable` naming "
            "them in `seats`. The customer's reserved plus held seats on the flight count towards "
            "`MAX_SEATS_PER_CUSTOMER_PER_FLIGHT` → 409 `Seat Limit Reached`. A held seat is not a "
            "reservation: `GET /reservations?flight_id=` does not list it and `PUT /reservations` of it is "
            "the book's 403, until the hold is confirmed. An expired hold frees its seats at once."
        ),
        request=s.HoldCreateInput,
        responses={
            201: s.HoldOutput,
            409: OpenApiResponse(
                s.SeatsUnavailableOutput,
                description="`Seats Unavailable` (with `seats`) or `Seat Limit Reached`.",
                examples=[
                    OpenApiExample(
                        "seats taken",
                        value={
                            "error": "Seats Unavailable",
                            "description": "Seats 12B, 12C are already reserved or held; nothing was held",
                            "seats": ["12B", "12C"],
                        },
                    )
                ],
            ),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "hold three seats",
                value={"flight_id": "f8a3c1d2", "customer_id": "dd2e4d5b", "seats": ["12A", "12B", "12C"]},
                request_only=True,
            ),
            HOLD_EXAMPLE,
        ],
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> HttpResponse:
        payload = _json_object(request)
        most = settings.RESERVATIONS_MAX_HOLD_SEATS
        try:
            seats = validation.seats_clean(payload.get("seats"), most=most)
        except validation.InvalidValue as exc:
            raise InvalidInput("seats", str(exc)) from None
        hold = services.seats_hold(
            flight_id=_clean("flight_id", payload.get("flight_id"), validation.flight_id_clean),
            customer_id=_customer_id(payload.get("customer_id")),
            seats=seats,
        )
        return HttpResponse(json.dumps(hold_json(hold), separators=(",", ":")), status=201, content_type=JSON)

    @extend_schema(
        operation_id="hold_list",
        summary="A flight's seats in live holds",
        description=(
            "Seats held now (expired holds are left out whether swept or not), by row then letter. The "
            "gateway reads this beside `GET /reservations?flight_id=`, which lists reserved seats only."
        ),
        parameters=[
            OpenApiParameter(
                "flight_id", OpenApiTypes.STR, required=True, pattern=validation.FLIGHT_ID_PATTERN
            ),
            RETRY_AFTER,
        ],
        responses={200: s.HeldSeatOutput(many=True), **ERRORS},
        examples=[
            OpenApiExample(
                "One held seat",
                value=[
                    {
                        "seat_no": "12A",
                        "customer_id": "dd2e4d5b",
                        "hold_id": HOLD_ID,
                        "expires_at": "2026-12-01T10:10:00.000Z",
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> HttpResponse:
        flight_id = _clean("flight_id", request._request.GET.get("flight_id"), validation.flight_id_clean)
        return json_response(selectors.flight_holds_list(flight_id=flight_id))


class HoldDetailApi(ReservationsApiView):
    @extend_schema(
        operation_id="hold_read",
        summary="One hold of a customer",
        description=(
            "A path whose id is not a hold id (the flight id, a dot, 24 hex digits) is the book's "
            "`/reservations/{flight_id}/{seat_num}`, which answers GET with 405."
        ),
        parameters=[hold_id_path(), customer_query(), RETRY_AFTER],
        responses=hold_responses(405, "Not a hold id: the book's cancel path has no GET."),
        examples=[HOLD_EXAMPLE],
    )
    def get(self, request: Request, hold_id: str) -> HttpResponse:
        return _hold_response(selectors.hold_get, hold_id, request._request.GET.get("customer_id"))

    @extend_schema(
        operation_id="hold_release",
        summary="Release a hold (only its holder can)",
        description=(
            "Frees the seats and logs HoldReleased. A hold released or expired already answers 200 "
            "with its status (the seats are free either way); a confirmed one is 409 `Hold Confirmed`."
        ),
        parameters=[hold_id_path(), customer_query(), RETRY_AFTER],
        responses=hold_responses(409, "`Hold Confirmed`."),
        examples=[HOLD_EXAMPLE],
    )
    def delete(self, request: Request, hold_id: str) -> HttpResponse:
        return _hold_response(services.hold_release, hold_id, request._request.GET.get("customer_id"))


class HoldConfirmApi(ReservationsApiView):
    @extend_schema(
        operation_id="hold_confirm",
        summary="Confirm a hold: its seats become the customer's reservations",
        description=(
            "All seats at once: each is logged as SeatReserved (as `PUT /reservations` logs it), then "
            "HoldConfirmed. Confirming a confirmed hold answers 200 again and writes nothing. An expired "
            "hold (at or past `expires_at`) is 409 `Hold Expired`, a released one 409 `Hold Released`."
        ),
        request=s.HoldConfirmInput,
        parameters=[hold_id_path(), RETRY_AFTER],
        responses=hold_responses(409, "`Hold Expired` or `Hold Released`."),
        examples=[
            OpenApiExample("confirm", value={"customer_id": "dd2e4d5b"}, request_only=True),
            OpenApiExample(
                "Confirmed",
                value={**HOLD, "status": "confirmed", "ended_at": "2026-12-01T10:03:12.000Z"},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, hold_id: str) -> HttpResponse:
        return _hold_response(services.hold_confirm, hold_id, _json_object(request).get("customer_id"))
