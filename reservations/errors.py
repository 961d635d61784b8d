"""Domain errors of the reservations context. Each carries the HTTP status the API maps it to.

The API's one exception handler renders them in the book's envelope
``{"error": <title>, "description": <what happened>}``; nothing else decides a status code.
"""

from __future__ import annotations


class ReservationsError(Exception):
    """Base of every error this context raises on purpose."""

    status_code = 500
    title = "Error"
    default_description = "The reservations service failed."

    def __init__(self, description: str | None = None) -> None:
        self.description = description or self.default_description
        super().__init__(self.description)


class InvalidInput(ReservationsError):
    """A request field is missing or malformed; the description names the field."""

    status_code = 400
    title = "Bad Request"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class SeatAlreadyReserved(ReservationsError):
    status_code = 403  # the book's status for a double booking; the gateway maps it to 409
    title = "Conflict"
    default_description = "Seat already reserved. Cannot double-book"  # the book's exact text


class SeatHeldByAnotherCustomer(ReservationsError):
    status_code = 403
    title = "Forbidden"
    default_description = "Seat is reserved by another customer"


class SeatNotReserved(ReservationsError):
    status_code = 404
    title = "Not Found"
    default_description = "Seat is not reserved"


class StoreUnavailable(ReservationsError):
    """Redis could not be reached or refused the command; the caller may retry later."""

    status_code = 503
    title = "Service Unavailable"
    default_description = "The reservations store is unavailable; retry later."
    retry_after_seconds = 1


class RebuildConflict(ReservationsError):
    """The event log kept changing while the projection was rebuilt; run the rebuild again."""

    status_code = 409
    title = "Conflict"
    default_description = "The event log changed during every rebuild attempt."
