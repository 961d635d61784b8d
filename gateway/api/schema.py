"""What the gateway's OpenAPI document says beyond the serializers: tags, headers, errors, examples.

The views' ``extend_schema`` decorations are assembled from here, so a client developer reads the
whole contract in Swagger UI or Redoc (docs/adr/0112): one tag per resource, a request and a
response example per operation, every header the API reads or sends, and a problem+json schema with
an example for every error status.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework.serializers import Serializer

from gateway.api import serializers as s
from skyway.errors import PROBLEM_BASE, PROBLEM_CONTENT_TYPE

# One tag per resource (Swagger UI and Redoc group operations by tag).
AUTH = ["auth"]
FLIGHTS = ["flights"]
SEATS = ["seats"]
RESERVATIONS = ["reservations"]

BOOK_FLIGHT_ID = "a5b34aed-8f32-5790-921b-fd2d595e536a"  # the book's AA2532 of 2020-05-17, as seeded
OTHER_FLIGHT_ID = "0b6f8f53-2f8e-5d6c-9a3b-8f5d7c1e2a40"
REQUEST_ID = "4f1c2a9e8b7d4c3a9e1f0a2b3c4d5e6f"

# ---- headers ---------------------------------------------------------------------------------------

REQUEST_HEADERS = [
    OpenApiParameter(
        "X-Request-ID",
        str,
        OpenApiParameter.HEADER,
        required=False,
        # No `pattern`: a malformed id is not refused, it is replaced by a new one (skyway.request_id).
        description=(
            "Your id for this request (1-128 of `A-Za-z0-9._:-`), echoed on the response, in the problem "
            "document and on every log line. Replaced by a new one when missing or malformed."
        ),
    ),
    OpenApiParameter(
        "X-Request-ID",
        str,
        OpenApiParameter.HEADER,
        response=True,
        description="This request's id: yours when valid, else a new one. Quote it when reporting a problem.",
    ),
]
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[409, 429, 503],
    description="Seconds to wait before retrying (on a 409 in-flight key or move, a 429 and every 503).",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes the call safe to retry (1-255 printable characters, per customer, kept "
        "IDEMPOTENCY_KEY_TTL_HOURS, 24 h by default). The same key with the same body replays the first "
        "response with `Idempotent-Replayed: true`; with another body → 422; while the first request "
        "still runs → 409 with `Retry-After`. An outage (503) does not use the key up: retry with it."
    ),
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 204, 403, 404, 409],  # the outcomes a key stores (never a 401, 422 or 503)
    enum=["true"],
    description="Present (`true`) when this response is the replay of an earlier one with the same key.",
)
IDEMPOTENT = [IDEMPOTENCY_KEY, REPLAYED]
# The headers of every call that reaches a service (or the login brake): a 503 or 429 says when to retry.
HEADERS = [*REQUEST_HEADERS, RETRY_AFTER]
WRITE_HEADERS = [*IDEMPOTENT, *HEADERS]  # ... and of a customer's idempotent write


def flight_id_path(
    description: str = "The flight's id (`flight_id` of a search result).",
) -> OpenApiParameter:
    return OpenApiParameter(
        "flight_id",
        str,
        OpenApiParameter.PATH,
        description=description,
        examples=[OpenApiExample("The book's AA2532", value=BOOK_FLIGHT_ID)],
    )


def seat_path() -> OpenApiParameter:
    return OpenApiParameter(
        "seat",
        str,
        OpenApiParameter.PATH,
        description=s.SEAT_HELP,
        examples=[OpenApiExample("14A", value="14A")],
    )


# ---- errors ----------------------------------------------------------------------------------------


def problem(
    name: str, status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> OpenApiExample:
    """An example problem document, as skyway.errors.problem_body writes it."""
    body = {
        "type": f"{PROBLEM_BASE}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": REQUEST_ID,
        **extra,
    }
    return OpenApiExample(name, value=body, response_only=True, media_type=PROBLEM_CONTENT_TYPE)


def invalid(instance: str, field: str) -> OpenApiExample:
    return problem(
        "Invalid input",
        400,
        "invalid",
        "Invalid input",
        f"{field}: This field is required.",
        instance,
        errors={field: ["This field is required."]},
    )


def not_authenticated(instance: str) -> OpenApiExample:
    return problem(
        "Not authenticated",
        401,
        "not-authenticated",
        "Not authenticated",
        "Authentication credentials were not provided.",
        instance,
    )


def unavailable(instance: str, service: str) -> OpenApiExample:
    return problem(
        "Service unavailable",
        503,
        "upstream-unavailable",
        "Service unavailable",
        f"The {service} service is unavailable; retry later.",
        instance,
        service=service,
    )


def key_in_flight(instance: str) -> OpenApiExample:
    return problem(
        "Same Idempotency-Key still running",
        409,
        "idempotency-key-in-flight",
        "Request in progress",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        instance,
    )


def key_reused(instance: str) -> OpenApiExample:
    return problem(
        "Idempotency-Key reused",
        422,
        "idempotency-key-reused",
        "Idempotency key reused",
        "This Idempotency-Key was already used with a different request.",
        instance,
    )


_WHEN = {
    400: "Invalid input: `detail` says what, `errors` per field",
    401: "Not logged in: send `Authorization: Token <token>` or the session cookie",
    403: "Refused",
    404: "Not found",
    409: "Conflict",
    422: "The Idempotency-Key was used with a different request",
    429: "Too many attempts: retry after `Retry-After` seconds",
    503: "A service this request needs is unavailable, or the time budget is spent: retry after `Retry-After`",
}


def errors(*examples: OpenApiExample, **descriptions: str) -> dict:
    """One problem+json response per status among ``examples`` (``e409="…"`` overrides a description)."""
    by_status: dict[int, list[OpenApiExample]] = {}
    for example in examples:
        by_status.setdefault(example.value["status"], []).append(example)
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            s.ProblemOutput,
            description=descriptions.get(f"e{status}", _WHEN[status]) + " (RFC 7807 problem details).",
            examples=found,
        )
        for status, found in sorted(by_status.items())
    }


def call_errors(instance: str, service: str, *examples: OpenApiExample, **descriptions: str) -> dict:
    """``errors`` of a logged-in customer's call to ``service``: not logged in, the operation's own
    ``examples``, then the service being unavailable."""
    return errors(not_authenticated(instance), *examples, unavailable(instance, service), **descriptions)


def write_errors(instance: str, *examples: OpenApiExample, **descriptions: str) -> dict:
    """``call_errors`` of a customer's idempotent write to reservations: a reused key can be refused too."""
    return call_errors(instance, "reservations", *examples, key_reused(instance), **descriptions)


def bad_credentials(instance: str) -> OpenApiExample:
    return problem(
        "Bad credentials",
        400,
        "bad-credentials",
        "Bad credentials",
        "Unable to log in with these credentials.",
        instance,
    )


def throttled(instance: str) -> OpenApiExample:
    return problem(
        "Throttled",
        429,
        "throttled",
        "Too many requests",
        "Request was throttled. Expected available in 42 seconds.",
        instance,
    )


def csrf_failed(instance: str) -> OpenApiExample:
    return problem(
        "No CSRF token", 403, "permission-denied", "Forbidden", "CSRF Failed: CSRF cookie not set.", instance
    )


def login(
    instance: str, output: type[Serializer], answer: OpenApiExample, *problems: OpenApiExample
) -> dict[str, Any]:
    """``extend_schema`` arguments of the two ways to log in (token, session): the same credentials in,
    no authentication, the same login brake; ``output`` and its example ``answer`` out."""
    return {
        "tags": AUTH,
        "parameters": HEADERS,
        "request": s.CredentialsInput,
        "responses": {200: output, **errors(bad_credentials(instance), *problems, throttled(instance))},
        "examples": [CREDENTIALS, answer],
        "auth": [],
    }


def flight_not_found(instance: str) -> OpenApiExample:
    return problem(
        "No such flight",
        404,
        "flight-not-found",
        "Flight not found",
        f"No flight with id {OTHER_FLIGHT_ID}.",
        instance.replace(BOOK_FLIGHT_ID, OTHER_FLIGHT_ID),
    )


def seat_not_found(instance: str) -> OpenApiExample:
    return problem(
        "No such seat",
        404,
        "seat-not-found",
        "Seat not found",
        "Seat 60A does not exist on this flight.",
        instance,
    )


def seat_taken(instance: str) -> OpenApiExample:
    return problem("Seat taken", 409, "seat-taken", "Seat taken", "Seat 14A is already reserved.", instance)


def not_your_reservation(instance: str) -> OpenApiExample:
    return problem(
        "Someone else's seat",
        403,
        "not-your-reservation",
        "Not your reservation",
        "Seat 14A is held by another customer.",
        instance,
    )


def reservation_not_found(instance: str) -> OpenApiExample:
    return problem(
        "Not your seat",
        404,
        "reservation-not-found",
        "Reservation not found",
        "You hold no reservation for seat 14A on this flight.",
        instance,
    )


# ---- paths and bodies of the examples --------------------------------------------------------------

SEATS_PATH = f"/api/flights/{BOOK_FLIGHT_ID}/seats"
RESERVE_PATH = f"/api/flights/{BOOK_FLIGHT_ID}/reservations"
CANCEL_PATH = f"/api/flights/{BOOK_FLIGHT_ID}/reservations/14A"
MOVE_PATH = "/api/reservations/move"

TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # noqa: S105 - an example value in the docs
SESSION = {"username": "alice", "customer_id": "1"}
RESERVATION = {"flight_id": BOOK_FLIGHT_ID, "seat": "14A", "status": "yours"}
MOVE = {
    "from_flight_id": BOOK_FLIGHT_ID,
    "from_seat": "14A",
    "to_flight_id": BOOK_FLIGHT_ID,
    "to_seat": "15C",
}
RELEASED = OpenApiResponse(
    description="Released. Also sent as a replay, with the header `Idempotent-Replayed: true`."
)

SEARCH_INVALID = problem(
    "No filter",
    400,
    "invalid",
    "Invalid input",
    "Give flight_no, date, origin_code or destination_code.",
    "/api/flights",
    errors={"non_field_errors": ["Give flight_no, date, origin_code or destination_code."]},
)
MOVE_NOT_HELD = problem(
    "You do not hold the seat",
    404,
    "reservation-not-found",
    "Reservation not found",
    f"You hold no reservation for seat 14A on flight {BOOK_FLIGHT_ID}.",
    MOVE_PATH,
)
MOVE_IN_PROGRESS = problem(
    "A move of this seat is running",
    409,
    "seat-move-in-progress",
    "Seat move in progress",
    "Another move of this seat is still running; retry shortly.",
    MOVE_PATH,
)
_HOLDS = [{"flight_id": BOOK_FLIGHT_ID, "seat": "14A"}, {"flight_id": BOOK_FLIGHT_ID, "seat": "15C"}]
MOVE_FAILED = problem(
    "Already holding the new seat",
    409,
    "seat-move-failed",
    "Seat move failed",
    "You already hold seat 15C; cancel 14A instead.",
    MOVE_PATH,
    holds=_HOLDS,
)
MOVE_INCOMPLETE = problem(
    "Move not confirmed yet",
    503,
    "seat-move-incomplete",
    "Seat move incomplete",
    "The move could not be confirmed: you hold 14A and may also hold 15C; retry with the same "
    "Idempotency-Key to finish it.",
    MOVE_PATH,
    service="reservations",
)
CREDENTIALS = OpenApiExample(
    "The demo customer", value={"username": "alice", "password": "skyway-demo"}, request_only=True
)

FLIGHT = {
    "flight_id": BOOK_FLIGHT_ID,
    "flight_no": "AA2532",
    "departure": "2020-05-17T13:20:00Z",
    "origin_code": "JFK",
    "destination_code": "LAX",
    "aircraft": "Airbus A321",
}
MY_RESERVATION = {"flight_id": BOOK_FLIGHT_ID, "seat": "14A", "flight": FLIGHT}
SEAT_CHART = {
    "flight_id": BOOK_FLIGHT_ID,
    "degraded": False,
    "cabins": [
        {
            "cabin_class": "Economy",
            "first_row": 14,
            "last_row": 15,
            "wing": {"first_row": 14, "last_row": 15},
            "columns": [
                {"letter": "A", "aisle_after": False},
                {"letter": "B", "aisle_after": False},
                {"letter": "C", "aisle_after": True},
            ],
            "rows": [
                {
                    "number": 14,
                    "exit": False,
                    "wing": True,
                    "seats": [
                        {
                            "seat": "14A",
                            "column": "A",
                            "status": "yours",
                            "characteristics": ["window", "wing"],
                            "facilities": [],
                        },
                        {
                            "seat": "14B",
                            "column": "B",
                            "status": "taken",
                            "characteristics": ["middle", "wing"],
                            "facilities": [],
                        },
                        {
                            "seat": "14C",
                            "column": "C",
                            "status": "free",
                            "characteristics": ["aisle", "wing"],
                            "facilities": [],
                        },
                    ],
                }
            ],
        }
    ],
}


def request_example(name: str, value: dict) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def response_example(name: str, value: Any, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


# ---- seat holds (docs/adr/0142, 0145) ----------------------------------------------------------------

HOLDS = ["holds"]
HOLD_ID = f"{BOOK_FLIGHT_ID}.3b9e0c7a51d24f68a0c2e9d1"
HOLDS_PATH = f"/api/flights/{BOOK_FLIGHT_ID}/holds"
HOLD_PATH = f"/api/holds/{HOLD_ID}"
HOLD_CONFIRM_PATH = f"{HOLD_PATH}/confirm"
HOLD = {
    "hold_id": HOLD_ID,
    "flight_id": BOOK_FLIGHT_ID,
    "seats": ["14A", "14B", "14C"],
    "status": "held",
    "created_at": "2026-12-01T10:00:00.000Z",
    "expires_at": "2026-12-01T10:10:00.000Z",
}
PARTY_HOLD = {**HOLD, "arrangement": "row"}
HOLD_HELD = OpenApiResponse(
    description="Released (also when it had expired or was released already: the seats are free). "
    "Also sent as a replay, with the header `Idempotent-Replayed: true`."
)


def hold_id_path() -> OpenApiParameter:
    return OpenApiParameter(
        "hold_id",
        str,
        OpenApiParameter.PATH,
        description="The hold's id (`hold_id` of the hold's answer).",
        examples=[OpenApiExample("A hold on AA2532", value=HOLD_ID)],
    )


def invalid_key(instance: str) -> OpenApiExample:
    return problem(
        "Bad Idempotency-Key",
        400,
        "invalid-input",
        "Invalid input",
        "Idempotency-Key: must be 1-255 printable characters.",
        instance,
    )


def hold_not_found(instance: str) -> OpenApiExample:
    return problem(
        "Not your hold",
        404,
        "hold-not-found",
        "Hold not found",
        "You have no hold with this id.",
        instance,
    )


def hold_write_errors(instance: str, *examples: OpenApiExample) -> dict:
    """``write_errors`` of a write to one of the customer's holds: a bad key, a hold not theirs (or none)."""
    return write_errors(instance, invalid_key(instance), hold_not_found(instance), *examples)


def hold_ended(instance: str) -> list[OpenApiExample]:
    return [
        problem(
            "Expired",
            409,
            "hold-expired",
            "Hold expired",
            "The hold expired and its seats are free again; hold them anew.",
            instance,
        ),
        problem(
            "Released",
            409,
            "hold-released",
            "Hold released",
            "The hold was released and its seats are free again.",
            instance,
        ),
    ]


HOLD_CONFIRMED = problem(
    "Confirmed already",
    409,
    "hold-confirmed",
    "Hold confirmed",
    "The hold was confirmed: its seats are your reservations; cancel those instead.",
    HOLD_PATH,
)
SEATS_HELD_TAKEN = problem(
    "Seats taken",
    409,
    "seat-taken",
    "Seat taken",
    "Seats 14B, 14C are already reserved or held; nothing was held.",
    HOLDS_PATH,
    seats=["14B", "14C"],
)
NO_SEATS_FOR_PARTY = problem(
    "No room for the party",
    409,
    "no-seats-for-party",
    "No seats for the party",
    "There are not 6 free seats on this flight in the cabin asked for.",
    HOLDS_PATH,
)
HOLD_LIMIT = problem(
    "Seat limit reached",
    409,
    "seat-limit-reached",
    "Seat limit reached",
    "The seats were not held: A customer may hold at most 9 seats on one flight; cancel one to reserve "
    "another (held seats count too): you have 8, so these 3 were not held.",
    HOLDS_PATH,
)
