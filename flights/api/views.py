"""The flights API: one small view per operation (parse, call one selector, render)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from flights import selectors
from flights.api.base import FlightsApiView
from flights.api.serializers import (
    ErrorOutput,
    FlightListInput,
    FlightOutput,
    SeatMapOutput,
)
from flights.errors import InvalidInput
from flights.rules import FLIGHT_ID_SCHEMA_PATTERN, FLIGHT_NO_SCHEMA_PATTERN, flight_id_parse

_BAD_REQUEST = OpenApiResponse(
    ErrorOutput, description="Malformed input; the description names the parameter."
)
_RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[503],
    description="Seconds to wait before retrying.",
)
_FLIGHT = {
    "flight_id": "a5b34aed-8f32-5790-921b-fd2d595e536a",
    "flight_no": "AA2532",
    "departure": "2020-05-17T13:20:00Z",
    "origin_code": "JFK",
    "destination_code": "LAX",
    "aircraft": "Airbus A321",
    "aircraft_layout": "A321-16J156Y",
    "seat_count": 172,
}
_NOT_FOUND = OpenApiResponse(ErrorOutput, description="No such flight.")
_UNAVAILABLE = OpenApiResponse(
    ErrorOutput, description="The flights database is unreachable (Retry-After set)."
)


class FlightListApi(FlightsApiView):
    @extend_schema(
        operation_id="flights_list",
        summary="Find flights",
        description=(
            "The book's lookup: `?flight_no=AA2532&departure_date_time=2020-05-17T13:20` matches to the "
            "minute; a date alone gives every departure that day. Extension: without flight_no, filter "
            "by origin_code / destination_code / date. At least one filter is required; results are "
            f"ordered by departure and capped at {selectors.FLIGHT_FIND_LIMIT}. Unknown parameters are ignored."
        ),
        parameters=[FlightListInput, _RETRY_AFTER],
        responses={200: FlightOutput(many=True), 400: _BAD_REQUEST, 503: _UNAVAILABLE},
        examples=[OpenApiExample("The book's flight", value=_FLIGHT, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        params = FlightListInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        flights = selectors.flight_find(**params.selector_kwargs())
        return Response(FlightOutput(flights, many=True).data)


class FlightDetailApi(FlightsApiView):
    @extend_schema(
        operation_id="flights_retrieve",
        summary="One flight by its id (extension)",
        parameters=[
            OpenApiParameter(
                "flight_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The flight's id."
            ),
            _RETRY_AFTER,
        ],
        responses={200: FlightOutput, 400: _BAD_REQUEST, 404: _NOT_FOUND, 503: _UNAVAILABLE},
        examples=[OpenApiExample("The book's flight", value=_FLIGHT, response_only=True)],
    )
    def get(self, request: Request, flight_id: str) -> Response:
        parsed = flight_id_parse(flight_id)
        if parsed is None:
            raise InvalidInput("flight_id: must be a uuid such as 3f2b5c1e-8a47-4a0c-9a65-3e2f7d0d4c11")
        return Response(FlightOutput(selectors.flight_get(flight_id=parsed)).data)


class SeatMapApi(FlightsApiView):
    @extend_schema(
        operation_id="flights_seat_map",
        summary="The seat map of a flight",
        description=(
            "`slot` is a flight number or a flight_id. A flight number picks its next departure (its "
            "most recent one when none is left); the chosen flight's id is in the `X-Flight-Id` header. "
            "The seat map is the aircraft layout's, in the book's Cabin/Row/Seat shape; a seat's id is "
            "RowNumber + Number (e.g. 12C)."
        ),
        parameters=[
            OpenApiParameter(
                "slot",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="A flight number (AA2532) or a flight_id (uuid).",
                pattern=f"{FLIGHT_NO_SCHEMA_PATTERN}|{FLIGHT_ID_SCHEMA_PATTERN}",
            ),
            OpenApiParameter(
                "X-Flight-Id",
                OpenApiTypes.UUID,
                OpenApiParameter.HEADER,
                response=[200],
                description="The id of the flight whose seat map this is (the departure a flight number chose).",
            ),
            _RETRY_AFTER,
        ],
        responses={200: SeatMapOutput, 400: _BAD_REQUEST, 404: _NOT_FOUND, 503: _UNAVAILABLE},
    )
    def get(self, request: Request, slot: str) -> Response:
        found = selectors.seat_map_for_slot(slot=slot)
        return Response(found.seat_map, headers={"X-Flight-Id": str(found.flight.flight_id)})
