"""The airline app's API: one small view per operation (validate, call one service, render)."""

from __future__ import annotations

from urllib.parse import unquote

from django.contrib.auth import authenticate, login, logout
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from gateway import seat_charts, seat_moves, selectors, services
from gateway.api import schema as doc
from gateway.api import serializers as s
from gateway.api.base import (
    AuthRateThrottle,
    GatewayApiView,
    InputFormMixin,
    command_response,
    customer_id_of,
)
from gateway.errors import InvalidInput
from skyway import login_throttle


class BadCredentials(InvalidInput):
    default_code = "bad-credentials"
    title = "Bad credentials"
    default_detail = "Unable to log in with these credentials."


def _user_from(request: Request):
    data = s.CredentialsInput(data=request.data)
    data.is_valid(raise_exception=True)
    locked = login_throttle.account_refusal(data.validated_data["username"])
    if locked is not None:  # before the password is checked: a locked account costs no hashing
        raise Throttled(wait=locked.retry_after, detail=locked.message)
    user = authenticate(request, **data.validated_data)
    if user is None or not user.is_active:
        raise BadCredentials()
    login_throttle.account_succeeded(user.get_username())  # a token login sends no user_logged_in
    return user


class TokenApi(GatewayApiView, InputFormMixin):
    input_serializer = s.CredentialsInput
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    def get_authenticators(self):
        return []

    @extend_schema(
        operation_id="auth_token",
        summary="Obtain an API token",
        description="Send it on every call as `Authorization: Token <token>`.",
        **doc.login("/api/auth/token", s.TokenOutput, doc.response_example("A token", {"token": doc.TOKEN})),
    )
    def post(self, request: Request) -> Response:
        token, _ = Token.objects.get_or_create(user=_user_from(request))
        return Response({"token": token.key})


class SessionApi(GatewayApiView):
    """Session login for the seat-chart page and the browsable API (CSRF-protected)."""

    throttle_classes = [AuthRateThrottle]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(
        operation_id="auth_session_read",
        summary="Who is logged in",
        tags=doc.AUTH,
        parameters=doc.REQUEST_HEADERS,
        responses={200: s.SessionOutput, **doc.errors(doc.not_authenticated("/api/auth/session"))},
        examples=[doc.response_example("Logged in", doc.SESSION)],
    )
    def get(self, request: Request) -> Response:
        return Response({"username": request.user.get_username(), "customer_id": customer_id_of(request)})

    @extend_schema(
        operation_id="auth_session_login",
        summary="Log in with a session cookie",
        description="For browsers: send the `csrftoken` cookie's value as `X-CSRFToken`.",
        **doc.login(
            "/api/auth/session",
            s.SessionOutput,
            doc.response_example("Logged in", doc.SESSION),
            doc.csrf_failed("/api/auth/session"),
        ),
    )
    def post(self, request: Request) -> Response:
        SessionAuthentication().enforce_csrf(request)  # no login CSRF: the page sends X-CSRFToken
        user = _user_from(request)
        login(request._request, user)
        return Response({"username": user.get_username(), "customer_id": str(user.pk)})

    @extend_schema(
        operation_id="auth_session_logout",
        summary="Log out",
        tags=doc.AUTH,
        parameters=doc.REQUEST_HEADERS,
        responses={
            204: None,
            **doc.errors(doc.not_authenticated("/api/auth/session"), doc.csrf_failed("/api/auth/session")),
        },
    )
    def delete(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=204)


# The root's list: (name, URL name, path arguments as placeholders, what it does). Paths with an id are
# URI templates; the browsable API links every absolute URL in the document.
_ENDPOINTS = (
    ("auth_token", "gateway:auth-token", {}, "POST username + password → an API token"),
    ("auth_session", "gateway:auth-session", {}, "GET who is logged in; POST log in; DELETE log out"),
    ("flights", "gateway:flight-list", {}, "GET ?flight_no=&date=&origin_code=&destination_code="),
    ("seat_chart", "gateway:seat-chart-api", {"flight_id": "{flight_id}"}, "GET a flight's seat chart"),
    ("reserve", "gateway:reserve", {"flight_id": "{flight_id}"}, "POST {seat} → reserve it"),
    (
        "cancel",
        "gateway:reservation",
        {"flight_id": "{flight_id}", "seat": "{seat}"},
        "DELETE → cancel your seat",
    ),
    ("my_reservations", "gateway:my-reservations", {}, "GET your seats"),
    ("move", "gateway:reservation-move", {}, "POST from/to flight and seat → move your seat"),
    ("hold", "gateway:holds", {"flight_id": "{flight_id}"}, "POST {seats} or {party, prefer} → hold seats"),
    ("hold_read", "gateway:hold", {"hold_id": "{hold_id}"}, "GET your hold; DELETE → release it"),
    ("hold_confirm", "gateway:hold-confirm", {"hold_id": "{hold_id}"}, "POST → your held seats become yours"),
)


class ApiRootApi(GatewayApiView):
    """The API's front door: every endpoint with its link, and where the schema and docs live."""

    name = "Skyway API"  # the browsable API's title (DRF would say "Api Root Api")
    permission_classes = [AllowAny]

    # Not an operation a client codes against: the schema is the machine-readable index, this page
    # the human one (the browsable API's front door), so it stays out of the OpenAPI document.
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response(api_root_document(request))


def api_root_document(request: Request) -> dict:
    endpoints = {
        name: {
            "url": unquote(request.build_absolute_uri(reverse(url_name, kwargs=kwargs))),
            "description": description,
        }
        for name, url_name, kwargs, description in _ENDPOINTS
    }
    docs = {name: request.build_absolute_uri(reverse(name)) for name in ("schema", "swagger-ui", "redoc")}
    example = request.build_absolute_uri(reverse("gateway:flight-list") + "?flight_no=AA2532&date=2020-05-17")
    return {
        "endpoints": endpoints,
        "example_search": example,
        "docs": docs,
        "authentication": "Token (POST auth_token, then `Authorization: Token …`) or a session (Log in, top right)",
    }


class FlightListApi(GatewayApiView):
    @extend_schema(
        operation_id="flights_search",
        summary="Find flights",
        description="By flight number (and date), or by date and/or route (origin_code, destination_code).",
        tags=doc.FLIGHTS,
        parameters=[s.FlightSearchInput, *doc.HEADERS],
        responses={
            200: s.FlightOutput(many=True),
            **doc.call_errors("/api/flights", "flights", doc.SEARCH_INVALID),
        },
        examples=[doc.response_example("The book's flight", doc.FLIGHT)],
    )
    def get(self, request: Request) -> Response:
        params = s.FlightSearchInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(selectors.flights_find(**params.search_kwargs()))


class SeatChartApi(GatewayApiView):
    @extend_schema(
        operation_id="flights_seat_chart",
        summary="The seat chart of a flight",
        description=(
            "The flight's seat map with every seat marked free / taken / yours. If reservations are "
            "unavailable the chart is still returned with `degraded: true` and status `unknown`."
        ),
        tags=doc.SEATS,
        parameters=[doc.flight_id_path(), *doc.HEADERS],
        responses={
            200: s.SeatChartOutput,
            **doc.call_errors(
                doc.SEATS_PATH,
                "flights",
                doc.invalid(doc.SEATS_PATH, "flight_id"),
                doc.flight_not_found(doc.SEATS_PATH),
            ),
        },
        examples=[doc.response_example("One row of a seat chart", doc.SEAT_CHART)],
    )
    def get(self, request: Request, flight_id: str) -> Response:
        chart = seat_charts.seat_chart_build(flight_id=flight_id, customer_id=customer_id_of(request))
        return Response(chart.as_dict())


class ReservationCreateApi(GatewayApiView, InputFormMixin):
    input_serializer = s.ReserveInput

    @extend_schema(
        operation_id="reservations_create",
        summary="Reserve a seat",
        description=(
            "201 when reserved (also when you already hold it: nothing changes); 404 for a seat the "
            "aircraft does not have; 409 when someone else holds it (`seat-taken`), when you already "
            "hold the most seats one customer may hold on the flight (`seat-limit-reached`, default 9) "
            "or when the flight has departed (`flight-closed`). A 503 whose reserve may still land "
            "says so: retry with the same `Idempotency-Key` and the answer is the real outcome."
        ),
        tags=doc.RESERVATIONS,
        parameters=[doc.flight_id_path(), *doc.WRITE_HEADERS],
        request=s.ReserveInput,
        responses={
            201: s.ReservationOutput,
            **doc.write_errors(
                doc.RESERVE_PATH,
                doc.invalid(doc.RESERVE_PATH, "seat"),
                doc.seat_not_found(doc.RESERVE_PATH),
                doc.flight_not_found(doc.RESERVE_PATH),
                doc.seat_taken(doc.RESERVE_PATH),
                doc.key_in_flight(doc.RESERVE_PATH),
                e409="Someone else holds the seat, or the same Idempotency-Key is still running (`Retry-After`)",
            ),
        },
        examples=[
            doc.request_example("Seat 14A", {"seat": "14A"}),
            doc.response_example("Reserved", doc.RESERVATION, status=201),
        ],
    )
    def post(self, request: Request, flight_id: str) -> Response:
        seat = self.validated_input(request)["seat"]
        return command_response(request, services.reservation_create, flight_id=flight_id, seat=seat)


class ReservationDeleteApi(GatewayApiView):
    @extend_schema(
        operation_id="reservations_cancel",
        summary="Cancel your seat",
        description=(
            "204 when released; 404 when you hold no such seat; 403 when another customer holds it; "
            "409 `flight-closed` when the flight has departed."
        ),
        tags=doc.RESERVATIONS,
        parameters=[doc.flight_id_path(), doc.seat_path(), *doc.WRITE_HEADERS],
        responses={
            204: doc.RELEASED,
            **doc.write_errors(
                doc.CANCEL_PATH,
                doc.invalid(doc.CANCEL_PATH, "seat"),
                doc.not_your_reservation(doc.CANCEL_PATH),
                doc.reservation_not_found(doc.CANCEL_PATH),
                doc.key_in_flight(doc.CANCEL_PATH),
            ),
        },
    )
    def delete(self, request: Request, flight_id: str, seat: str) -> Response:
        return command_response(request, services.reservation_cancel, flight_id=flight_id, seat=seat)


class MyReservationsApi(GatewayApiView):
    @extend_schema(
        operation_id="reservations_mine",
        summary="Your seats",
        tags=doc.RESERVATIONS,
        parameters=doc.HEADERS,
        responses={
            200: s.MyReservationOutput(many=True),
            **doc.call_errors("/api/reservations", "reservations"),
        },
        examples=[doc.response_example("One seat", doc.MY_RESERVATION)],
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.reservations_of_customer(customer_id=customer_id_of(request)))


class SeatMoveApi(GatewayApiView, InputFormMixin):
    input_serializer = s.MoveInput

    @extend_schema(
        operation_id="reservations_move",
        summary="Move a seat (same flight or another)",
        description=(
            "A durable saga: reserve the new seat, release the old one; if the release fails the new seat "
            "is released again and the problem says what you hold (`holds`). A second move of the same "
            "seat while one runs → 409 `seat-move-in-progress` with `Retry-After`. A 503 "
            "`seat-move-incomplete` is finished by a retry with the same `Idempotency-Key` (or by the "
            "recovery pass): you end with exactly one of the two seats. Both flights must not have departed (409 `flight-closed`); a "
            "move within one flight works at the seat limit, a move onto a flight where you hold the "
            "most seats one customer may is 409 `seat-limit-reached`."
        ),
        tags=doc.RESERVATIONS,
        parameters=doc.WRITE_HEADERS,
        request=s.MoveInput,
        responses={
            200: s.MoveOutput,
            **doc.write_errors(
                doc.MOVE_PATH,
                doc.invalid(doc.MOVE_PATH, "to_seat"),
                doc.MOVE_NOT_HELD,
                doc.seat_taken(doc.MOVE_PATH),
                doc.MOVE_IN_PROGRESS,
                doc.MOVE_FAILED,
                doc.MOVE_INCOMPLETE,
                e409="The new seat is taken, the move cannot be done, or one is still running (`Retry-After`)",
            ),
        },
        examples=[
            doc.request_example("14A to 15C", doc.MOVE),
            doc.response_example("Moved", doc.MOVE),
        ],
    )
    def post(self, request: Request) -> Response:
        return command_response(request, seat_moves.seat_move_request, **self.validated_input(request))
