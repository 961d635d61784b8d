"""Domain errors of the gateway. Each class carries its HTTP status and problem type (``default_code``,
kebab-case: it ends the problem's ``type`` URI); skyway.errors renders them as RFC 7807 problem details,
with ``extra`` as extension members (RFC 7807 §3.2).

The status comes from the error's family in skyway.errors (``class SeatTaken(skyway.errors.Conflict,
GatewayError)`` is a 409; a plain GatewayError a 400), the title from the code read aloud
("seat-taken": "Seat taken") where a class words no other.
"""

from __future__ import annotations

import skyway.errors


class GatewayError(skyway.errors.ApplicationError):
    """Base of every error the gateway reports to a customer."""


class InvalidInput(GatewayError):
    default_code = "invalid-input"


class NotFound(skyway.errors.NotFound, GatewayError):
    default_code = "not-found"


class FlightNotFound(NotFound):
    default_code = "flight-not-found"
    default_detail = "No such flight."


class SeatNotFound(NotFound):
    default_code = "seat-not-found"
    default_detail = "No such seat on this flight."


class ReservationNotFound(NotFound):
    default_code = "reservation-not-found"
    default_detail = "You hold no reservation for this seat."


class NotYourReservation(skyway.errors.Forbidden, GatewayError):
    default_code = "not-your-reservation"
    default_detail = "This seat is held by another customer."


class SeatTaken(skyway.errors.Conflict, GatewayError):
    default_code = "seat-taken"
    default_detail = "This seat is already reserved."


class SeatLimitReached(skyway.errors.Conflict, GatewayError):
    """The customer already holds the most seats one customer may hold on the flight."""

    default_code = "seat-limit-reached"
    default_detail = "You already hold the most seats one customer may hold on this flight."


class HoldNotFound(NotFound):
    """No hold of yours has this id (another customer's hold answers the same: no oracle)."""

    default_code = "hold-not-found"
    default_detail = "You have no hold with this id."


class HoldEnded(skyway.errors.Conflict, GatewayError):
    """The hold expired, was released or was confirmed: this operation no longer applies to it."""

    default_code = "hold-ended"
    default_detail = "The hold has ended."


class HoldExpired(HoldEnded):
    default_code = "hold-expired"
    default_detail = "The hold expired and its seats are free again; hold them anew."


class HoldReleased(HoldEnded):
    default_code = "hold-released"
    default_detail = "The hold was released and its seats are free again."


class HoldConfirmed(HoldEnded):
    default_code = "hold-confirmed"
    default_detail = "The hold was confirmed: its seats are your reservations; cancel those instead."


class NoSeatsTogether(skyway.errors.Conflict, GatewayError):
    """No block of free seats fits the party (in the cabin asked for)."""

    default_code = "no-seats-for-party"
    title = "No seats for the party"
    default_detail = "There are not enough free seats for the party."


class FlightClosed(skyway.errors.Conflict, GatewayError):
    """The flight has departed (or is past its booking cut-off): no reserve, cancel or move on it."""

    default_code = "flight-closed"
    default_detail = "This flight has departed; its seats can no longer be reserved, moved or cancelled."


class IdempotencyKeyReused(GatewayError):
    status_code = 422
    default_code = "idempotency-key-reused"
    default_detail = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInFlight(skyway.errors.Conflict, GatewayError):
    """409 + Retry-After: the first request with this key (or its saga) is still running."""

    default_code = "idempotency-key-in-flight"
    title = "Request in progress"
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."

    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **extra: object) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail, **extra)


class SeatMoveInProgress(IdempotencyKeyInFlight):
    """Another move of the same seat by the same customer is still running (409 + Retry-After)."""

    default_code = "seat-move-in-progress"
    default_detail = "Another move of this seat is still running; retry shortly."


class SeatMoveFailed(skyway.errors.Conflict, GatewayError):
    """The move saga could not complete; `extra` says what the customer holds now."""

    default_code = "seat-move-failed"


class UpstreamError(GatewayError):
    """An upstream answered in a way its contract does not allow (a bug, not an outage)."""

    status_code = 502
    default_code = "upstream-error"
    default_detail = "An internal service answered unexpectedly."

    def __init__(self, service: str, detail: str | None = None, **extra: object) -> None:
        self.service = service
        super().__init__(detail, service=service, **extra)


class UpstreamUnavailable(skyway.errors.Unavailable, UpstreamError):
    """An upstream is down, slow, overloaded or behind an open circuit breaker: retry later."""

    default_code = "upstream-unavailable"
    title = "Service unavailable"
    default_detail = "A service this request needs is unavailable; retry later."

    def __init__(
        self, service: str, detail: str | None = None, *, retry_after: int = 5, **extra: object
    ) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(service, detail or f"The {service} service is unavailable; retry later.", **extra)


class CredentialRefused(UpstreamUnavailable):
    """An internal service refused the gateway's service credential (a rotation gone wrong).

    The customer gets a 503 in the gateway's own words; the upstream's message stays in the log.
    """

    default_code = "upstream-credential-refused"
    title = UpstreamUnavailable.title  # to the customer, an outage like any other

    def __init__(self, service: str, detail: str | None = None, *, retry_after: int = 30) -> None:
        super().__init__(
            service,
            detail or f"The {service} service is unavailable to the gateway right now; retry later.",
            retry_after=retry_after,
        )


class CircuitOpen(UpstreamUnavailable):
    default_code = "upstream-circuit-open"
    title = "Service unavailable (circuit open)"


class SeatMoveIncomplete(UpstreamUnavailable):
    """The move saga hit an outage and could not restore a clean state yet."""

    default_code = "seat-move-incomplete"
