"""The reservations HTTP API (the book's ms-reservations contract, plus cancel, per-customer and events).

Views only parse, call one service or selector, and render. Internal service: the gateway is the
only caller (a NetworkPolicy enforces that in a cluster), so no authentication here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import orjson
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.request import Request

from reservations import selectors, services, validation
from reservations.api import serializers as s
from reservations.api.base import ReservationsApiView
from reservations.errors import InvalidInput
from reservations.store import Event, IndexFreshness

MAX_EVENTS_PAGE = 1000
_COUNT = re.compile(r"[0-9]{1,4}")
_PARTITION = re.compile(r"0|[1-9][0-9]{0,4}")
_SUCCESS_BODY = b'{"status":"success"}'


def json_response(data: object) -> HttpResponse:
    """A 200 with ``data`` as compact JSON.

    The success paths skip DRF's Response/renderer machinery (TemplateResponse, renderer lookup,
    re-encoding): on the reserve hot path that was ~10% of the request's CPU. Errors still go
    through DRF's Response via the exception handler. orjson writes the same bytes as the compact
    ``json.dumps`` for these documents (strings, integers, lists, objects with string keys) at a
    fraction of its cost; anything it refuses goes to ``json.dumps``.
    """
    try:
        body = orjson.dumps(data)
    except TypeError:  # a non-string key, an integer past 64 bits
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return HttpResponse(body, content_type=JSON)


def success_response() -> HttpResponse:
    return HttpResponse(_SUCCESS_BODY, content_type=JSON)


JSON = "application/json"


def _clean(field: str, value: object, cleaner: Callable[[object], str]) -> str:
    try:
        return cleaner(value)
    except validation.InvalidValue as exc:
        raise InvalidInput(field, str(exc)) from None


def _json_object(request: Request) -> dict:
    """The body as a JSON object. Reads Django's request.body, so DATA_UPLOAD_MAX_MEMORY_SIZE applies."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type and "json" not in content_type.split(";", 1)[0]:
        raise UnsupportedMediaType(
            content_type, detail=f"Send JSON (Content-Type application/json), not {content_type}."
        )
    body = request._request.body
    if not body:
        raise InvalidInput("body", "is required: a JSON object")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise InvalidInput("body", f"is not valid JSON ({type(exc).__name__}: {exc})"[:200]) from None
    if not isinstance(payload, dict):
        raise InvalidInput("body", f"must be a JSON object, got {type(payload).__name__}")
    return payload


RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[503], description="Seconds to wait."
)
SUCCESS = OpenApiExample("Done", value={"status": "success"}, response_only=True)
ERRORS = {
    400: OpenApiResponse(
        s.ReservationErrorOutput, description="Malformed input; the description names the field."
    ),
    503: OpenApiResponse(
        s.ReservationErrorOutput, description="Redis unavailable; retry after Retry-After seconds."
    ),
}


FRESHNESS_HEADERS = [
    OpenApiParameter(
        "X-Projection-Lag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description=(
            "With `customer_id` only: the customer index is a projection of the partitioned event log. "
            "This is how many logged events the projector had not yet applied when it last reported "
            "(an integer), or `unknown` if no projector has reported. The customer's own writes are "
            "in the answer whatever it says (they are applied as they are made); a non-zero lag "
            "concerns writes whose index update failed, which the projector applies."
        ),
    ),
    OpenApiParameter(
        "X-Projection-Reported-At",
        OpenApiTypes.DATETIME,
        OpenApiParameter.HEADER,
        response=[200],
        description="With `customer_id` only: when the projector reported that lag (Redis clock, UTC).",
    ),
]


class ReservationListCreateApi(ReservationsApiView):
    @extend_schema(
        operation_id="reservation_create",
        summary="Reserve a seat",
        description=(
            "Gives the seat to the customer unless someone else holds it. Reserving a seat you already "
            "hold answers 200 again and logs no second event, so a lost response can be retried. "
            "With an optional `operation` token (a saga step) the reservation remembers it: the same "
            "operation again is 200, a seat the customer holds otherwise is 409 `Conflict`. "
            "Extension: a customer may hold at most `MAX_SEATS_PER_CUSTOMER_PER_FLIGHT` seats (default "
            "9) on one flight; past that → 409 `Seat Limit Reached`. `replaces` (optional) names a seat "
            "of this flight the customer holds and is about to release (a seat move): it does not count."
        ),
        request=s.ReservationCreateInput,
        responses={
            200: s.ReservationStatusOutput,
            403: OpenApiResponse(
                s.ReservationErrorOutput, description="Seat already reserved by another customer."
            ),
            409: OpenApiResponse(
                s.ReservationErrorOutput,
                description=(
                    "`error` tells which: `Conflict`, with `operation`, the customer holds the seat but not "
                    "through it; `Seat Limit Reached`, the customer already holds the most seats one "
                    "customer may hold on this flight."
                ),
                examples=[
                    OpenApiExample(
                        "seat limit reached",
                        value={
                            "error": "Seat Limit Reached",
                            "description": "A customer may hold at most 9 seats on one flight; "
                            "cancel one to reserve another",
                        },
                    )
                ],
            ),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "reserve",
                value={"flight_id": "f8a3c1d2", "customer_id": "dd2e4d5b", "seat_num": "12C"},
                request_only=True,
            ),
            SUCCESS,
        ],
        parameters=[RETRY_AFTER],
    )
    def put(self, request: Request) -> HttpResponse:
        payload = _json_object(request)
        if "operation" in payload and payload["operation"] is None:  # the schema says: a string, or absent
            raise InvalidInput("operation", "must be a string when given, not null")
        services.seat_reserve(
            flight_id=_clean("flight_id", payload.get("flight_id"), validation.flight_id_clean),
            seat_no=_clean("seat_num", payload.get("seat_num"), validation.seat_no_clean),
            customer_id=_clean("customer_id", payload.get("customer_id"), validation.customer_id_clean),
            operation=_clean("operation", payload.get("operation"), validation.operation_clean),
            replaces=(
                _clean("replaces", payload["replaces"], validation.seat_no_clean)
                if "replaces" in payload
                else None
            ),
        )
        return success_response()

    @extend_schema(
        operation_id="reservation_list",
        summary="A flight's reserved seats, or a customer's reservations",
        description="Exactly one of `flight_id` or `customer_id`. Seats are sorted by row, then letter.",
        parameters=[
            OpenApiParameter("flight_id", OpenApiTypes.STR, pattern=validation.FLIGHT_ID_PATTERN),
            OpenApiParameter("customer_id", OpenApiTypes.STR, pattern=validation.CUSTOMER_ID_PATTERN),
            RETRY_AFTER,
            *FRESHNESS_HEADERS,
        ],
        responses={
            200: s.ReservationListOutput(many=True),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "By flight_id", value={"seat_no": "12C", "customer_id": "dd2e4d5b"}, response_only=True
            ),
            OpenApiExample(
                "By customer_id",
                value={"flight_id": "f8a3c1d2", "seat_no": "12C", "customer_id": "dd2e4d5b"},
                response_only=True,
            ),
        ],
    )
    def get(self, request: Request) -> HttpResponse:
        params = request._request.GET
        flight_id, customer_id = params.get("flight_id"), params.get("customer_id")
        if (flight_id is None) == (customer_id is None):
            raise InvalidInput("flight_id", "give exactly one of flight_id or customer_id")
        if flight_id is not None:
            flight_id = _clean("flight_id", flight_id, validation.flight_id_clean)
            return json_response(selectors.flight_reservations_list(flight_id=flight_id))
        customer_id = _clean("customer_id", customer_id, validation.customer_id_clean)
        response = json_response(selectors.customer_reservations_list(customer_id=customer_id))
        return _with_freshness(response, selectors.customer_index_freshness())


def _with_freshness(response: HttpResponse, freshness: IndexFreshness) -> HttpResponse:
    """The customer index is a projection (docs/adr/0116): say how far behind the logs it may be."""
    response["X-Projection-Lag"] = "unknown" if freshness.lag is None else str(freshness.lag)
    if freshness.reported_at is not None:
        response["X-Projection-Reported-At"] = freshness.reported_at
    return response


class ReservationCancelApi(ReservationsApiView):
    @extend_schema(
        operation_id="reservation_cancel",
        summary="Release a seat (only its holder can)",
        parameters=[
            OpenApiParameter(
                "flight_id", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=validation.FLIGHT_ID_PATTERN
            ),
            OpenApiParameter(
                "seat_num", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=validation.SEAT_PATTERN
            ),
            OpenApiParameter(
                "customer_id", OpenApiTypes.STR, required=True, pattern=validation.CUSTOMER_ID_PATTERN
            ),
            OpenApiParameter(
                "operation",
                OpenApiTypes.STR,
                pattern=validation.OPERATION_PATTERN,
                description="Release only the reservation this operation made (a saga's compensation).",
            ),
            RETRY_AFTER,
        ],
        responses={
            200: s.ReservationStatusOutput,
            403: OpenApiResponse(
                s.ReservationErrorOutput, description="Seat is reserved by another customer."
            ),
            404: OpenApiResponse(s.ReservationErrorOutput, description="Seat is not reserved."),
            409: OpenApiResponse(
                s.ReservationErrorOutput,
                description=(
                    "`Conflict`: a release naming an `operation` of a seat the customer holds, but not "
                    "through that operation (nothing is released)."
                ),
            ),
            **ERRORS,
        },
        examples=[SUCCESS],
    )
    def delete(self, request: Request, flight_id: str, seat_num: str) -> HttpResponse:
        services.seat_release(
            flight_id=_clean("flight_id", flight_id, validation.flight_id_clean),
            seat_no=_clean("seat_num", seat_num, validation.seat_no_clean),
            customer_id=_clean(
                "customer_id", request._request.GET.get("customer_id"), validation.customer_id_clean
            ),
            operation=_clean("operation", request._request.GET.get("operation"), validation.operation_clean),
        )
        return success_response()


def _event_json(event: Event) -> dict:
    data = {"flight_id": event.flight_id, "seat_no": event.seat_no, "customer_id": event.customer_id}
    if event.hold_id:  # a hold event (docs/adr/0142); seat events keep their shape
        data.update(hold_id=event.hold_id, seats=list(event.seats))
    return {"event_id": event.event_id, "type": event.type, "data": data, "at": event.at}


def _count(value: str | None) -> int:
    if value is None:
        return 100
    # ASCII digits only: str.isdigit() also takes superscripts (int() then fails) and other scripts' digits (int() reads them).
    if _COUNT.fullmatch(value) is None or not 1 <= int(value) <= MAX_EVENTS_PAGE:
        raise InvalidInput("count", f"must be an integer from 1 to {MAX_EVENTS_PAGE}")
    return int(value)


def _partition(params) -> int:
    """The partition to read: ``partition=N``, or the one holding ``flight_id``'s events."""
    partition, flight_id = params.get("partition"), params.get("flight_id")
    if (partition is None) == (flight_id is None):
        raise InvalidInput("partition", "give exactly one of partition or flight_id")
    if flight_id is not None:
        return selectors.events_partition_of(
            flight_id=_clean("flight_id", flight_id, validation.flight_id_clean)
        )
    partitions = selectors.events_partitions()
    if _PARTITION.fullmatch(partition) is None or int(partition) >= partitions:
        raise InvalidInput("partition", f"must be an integer from 0 to {partitions - 1}")
    return int(partition)


HISTORY_HEADERS = [
    OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description=description,
    )
    for name, description in (
        ("X-As-Of", "The instant answered: `at` truncated to the millisecond (stream ids' resolution), UTC."),
        (
            "X-As-Of-Event",
            "The newest event of the flight's partition at or before that instant (`0`: none): the "
            "answer is the state just after it.",
        ),
        ("X-Snapshot-Event", "The rolling snapshot the answer was replayed from (`0`: none)."),
        ("X-Replayed-Events", "How many partition events were replayed after the snapshot."),
    )
]


class ReservationHistoryApi(ReservationsApiView):
    @extend_schema(
        operation_id="reservation_history",
        summary="A flight's reserved seats as they were at an instant",
        description=(
            "The list `GET /reservations?flight_id=` gave at `at`: every event of the flight's partition "
            "up to `at`'s millisecond (the event ids' clock is the store's), computed from the latest "
            "rolling snapshot at or before it plus the events after. `at` is RFC 3339 with its offset "
            "(send `+` as `%2B`). An instant past the store's clock is 400 (history answers instants that "
            "have happened; the seats now are `GET /reservations?flight_id=`). An instant before what "
            "event retention kept is 410 `Gone`, naming the earliest answerable instant."
        ),
        parameters=[
            OpenApiParameter(
                "flight_id", OpenApiTypes.STR, required=True, pattern=validation.FLIGHT_ID_PATTERN
            ),
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                required=True,
                description="The instant, RFC 3339, e.g. `2026-12-01T12:00:00.250Z`.",
            ),
            *HISTORY_HEADERS,
            RETRY_AFTER,
        ],
        responses={
            200: s.ReservationListOutput(many=True),
            410: OpenApiResponse(
                s.ReservationErrorOutput,
                description="Events before `at` were trimmed by retention; the description names the "
                "earliest answerable instant.",
                examples=[
                    OpenApiExample(
                        "trimmed",
                        value={
                            "error": "Gone",
                            "description": "The events before this instant were trimmed by the event "
                            "retention (RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS); the earliest answerable "
                            "instant of this flight is 2026-12-01T09:30:00.125Z",
                        },
                    )
                ],
            ),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "seats then", value={"seat_no": "12C", "customer_id": "dd2e4d5b"}, response_only=True
            )
        ],
    )
    def get(self, request: Request) -> HttpResponse:
        params = request._request.GET
        found = selectors.flight_history_read(
            flight_id=_clean("flight_id", params.get("flight_id"), validation.flight_id_clean),
            at=_clean("at", params.get("at"), validation.instant_clean),
        )
        response = json_response(found.seats)
        response["X-As-Of"] = found.at
        response["X-As-Of-Event"] = found.as_of_event
        response["X-Snapshot-Event"] = found.snapshot_event
        response["X-Replayed-Events"] = str(found.replayed_events)
        return response


class ReservationEventListApi(ReservationsApiView):
    @extend_schema(
        operation_id="reservation_events",
        summary="Read one partition of the reservation event log",
        description=(
            "The log is partitioned (docs/adr/0115): each flight's events are in one partition's "
            "stream, whose ids increase within that partition only. Give `partition` (0 to "
            "`partitions` - 1) or `flight_id` (reads the partition holding that flight's events, "
            "every flight of it included). Events after the stream id `since`, oldest first; pass "
            "`next` as `since` to page."
        ),
        parameters=[
            OpenApiParameter("partition", OpenApiTypes.INT, description="0 to partitions - 1"),
            OpenApiParameter("flight_id", OpenApiTypes.STR, pattern=validation.FLIGHT_ID_PATTERN),
            OpenApiParameter("since", OpenApiTypes.STR, default="0", pattern=validation.STREAM_ID_PATTERN),
            OpenApiParameter("count", OpenApiTypes.INT, default=100, description="1 to 1000"),
            RETRY_AFTER,
        ],
        responses={200: s.ReservationEventPageOutput, **ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        params = request._request.GET
        since = _clean("since", params.get("since", "0"), validation.stream_id_clean)
        count = _count(params.get("count"))
        partition = _partition(params)
        events = selectors.events_read(partition=partition, since=since, count=count)
        return json_response(
            {
                "events": [_event_json(event) for event in events],
                "next": events[-1].event_id if events else since,
                "partition": partition,
                "partitions": selectors.events_partitions(),
            }
        )
