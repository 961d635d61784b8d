"""Domain errors of the gateway. Each class carries its HTTP status and problem type (``default_code``,
kebab-case: it ends the problem's ``type`` URI); skyway.errors renders them as RFC 7807 problem details,
with ``extra`` as extension members (RFC 7807 §3.2)."""

from __future__ import annotations

from skyway.errors import ApplicationError


class GatewayError(ApplicationError):
    """Base of every error the gateway reports to a customer."""

    status_code = 400
    default_code = "invalid"
    title = "Invalid request"
    default_detail = "The request is not valid."


class InvalidInput(GatewayError):
    status_code = 400
    default_code = "invalid-input"
    title = "Invalid input"


class NotFound(GatewayError):
    status_code = 404
    default_code = "not-found"
    title = "Not found"
    default_detail = "Not found."


class FlightNotFound(NotFound):
    default_code = "flight-not-found"
    title = "Flight not found"
    default_detail = "No such flight."


class SeatNotFound(NotFound):
    default_code = "seat-not-found"
    title = "Seat not found"
    default_detail = "No such seat on this flight."


class ReservationNotFound(NotFound):
    default_code = "reservation-not-found"
    title = "Reservation not found"
    default_detail = "You hold no reservation for this seat."


class NotYourReservation(GatewayError):
    status_code = 403
    default_code = "not-your-reservation"
    title = "Not your reservation"
    default_detail = "This seat is held by another customer."


class SeatTaken(GatewayError):
    status_code = 409
    default_code = "seat-taken"
    title = "Seat taken"
    default_detail = "This seat is already reserved."


class SeatLimitReached(GatewayError):
    """The customer already holds the most seats one customer may hold on the flight."""

    status_code = 409
    default_code = "seat-limit-reached"
    title = "Seat limit reached"
    default_detail = "You already hold the most seats one customer may hold on this flight."


class HoldNotFound(NotFound):
    """No hold of yours has this id (another customer's hold answers the same: no oracle)."""

    default_code = "hold-not-found"
    title = "Hold not found"
    default_detail = "You have no hold with this id."


class HoldEnded(GatewayError):
    """The hold expired, was released or was confirmed: this operation no longer applies to it."""

    status_code = 409
    default_code = "hold-ended"
    title = "Hold ended"
    default_detail = "The hold has ended."


class HoldExpired(HoldEnded):
    default_code = "hold-expired"
    title = "Hold expired"
    default_detail = "The hold expired and its seats are free again; hold them anew."


class HoldReleased(HoldEnded):
    default_code = "hold-released"
    title = "Hold released"
    default_detail = "The hold was released and its seats are free again."


class HoldConfirmed(HoldEnded):
    default_code = "hold-confirmed"
    title = "Hold confirmed"
    default_detail = "The hold was confirmed: its seats are your reservations; cancel those instead."


class NoSeatsTogether(GatewayError):
    """No block of free seats fits the party (in the cabin asked for)."""

    status_code = 409
    default_code = "no-seats-for-party"
    title = "No seats for the party"
    default_detail = "There are not enough free seats for the party."


class FlightClosed(GatewayError):
    """The flight has departed (or is past its booking cut-off): no reserve, cancel or move on it."""

    status_code = 409
    default_code = "flight-closed"
    title = "Flight closed"
    default_detail = "This flight has departed; its seats can no longer be reserved, moved or cancelled."


class IdempotencyKeyReused(GatewayError):
    status_code = 422
    default_code = "idempotency-key-reused"
    title = "Idempotency key reused"
    default_detail = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInFlight(GatewayError):
    """409 + Retry-After: the first request with this key (or its saga) is still running."""

    status_code = 409
    default_code = "idempotency-key-in-flight"
    title = "Request in progress"
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."

    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **extra: object) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail, **extra)


class SeatMoveInProgress(IdempotencyKeyInFlight):
    """Another move of the same seat by the same customer is still running (409 + Retry-After)."""

    default_code = "seat-move-in-progress"
    title = "Seat move in progress"
    default_detail = "Another move of this seat is still running; retry shortly."


class SeatMoveFailed(GatewayError):
    """The move saga could not complete; `extra` says what the customer holds now."""

    status_code = 409
    default_code = "seat-move-failed"
    title = "Seat move failed"


class UpstreamError(GatewayError):
    """An upstream answered in a way its contract does not allow (a bug, not an outage)."""

    status_code = 502
    default_code = "upstream-error"
    title = "Upstream error"
    default_detail = "An internal service answered unexpectedly."

    def __init__(self, service: str, detail: str | None = None, **extra: object) -> None:
        self.service = service
        super().__init__(detail, service=service, **extra)


class UpstreamUnavailable(UpstreamError):
    """An upstream is down, slow, overloaded or behind an open circuit breaker: retry later."""

    status_code = 503
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
    title = "Seat move incomplete"
