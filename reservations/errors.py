"""Domain errors of the reservations context. Each carries the HTTP status the API maps it to.

Rendered by skyway.errors in the book's envelope ``{"error": default_code, "description": detail}``.
This context's codes are the book's ms-reservations vocabulary, HTTP reason phrases ("Conflict",
"Bad Request"), because the book's 403 body is a contract byte for byte (ADR 0071). An error's
status comes from its family in skyway.errors (``class SeatNotReserved(skyway.errors.NotFound, …)``
is a 404); the code stays spelled out on each class, as the contract spells it.
"""

from __future__ import annotations

import skyway.errors


class ReservationsError(skyway.errors.ApplicationError):
    """Base of every error this context raises on purpose."""

    status_code = 500
    default_code = "Error"
    default_detail = "The reservations service failed."


class InvalidInput(skyway.errors.BadRequest, ReservationsError):
    """A request field is missing or malformed; the detail names the field."""

    default_code = "Bad Request"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class SeatAlreadyReserved(skyway.errors.Forbidden, ReservationsError):
    """A double booking: 403 is the book's status for it (the gateway maps it to 409)."""

    default_code = "Conflict"
    default_detail = "Seat already reserved. Cannot double-book"  # the book's exact text


class SeatLimitReached(skyway.errors.Conflict, ReservationsError):
    """The customer already holds as many seats on the flight as one customer may (an extension).

    A 409, not the book's 403: that one means "this seat is taken", and stays as it is.
    """

    default_code = "Seat Limit Reached"
    default_detail = "The customer already holds the most seats one customer may hold on this flight"


class SeatHeldByAnotherCustomer(skyway.errors.Forbidden, ReservationsError):
    default_code = "Forbidden"
    default_detail = "Seat is reserved by another customer"


class SeatHeldOtherwise(skyway.errors.Conflict, ReservationsError):
    """The customer holds the seat, but not through the operation the request named (docs/adr/0055)."""

    default_code = "Conflict"
    default_detail = "Seat is reserved by this customer, but not through this operation"


class SeatNotReserved(skyway.errors.NotFound, ReservationsError):
    default_code = "Not Found"
    default_detail = "Seat is not reserved"


class SeatsUnavailable(skyway.errors.Conflict, ReservationsError):
    """A hold named seats someone has reserved or holds: nothing was held; ``seats`` lists them."""

    default_code = "Seats Unavailable"
    default_detail = "Some of the seats are reserved or held; nothing was held"


class HoldNotFound(skyway.errors.NotFound, ReservationsError):
    """No hold of this id belongs to this customer (another customer's hold reads the same: 404)."""

    default_code = "Not Found"
    default_detail = "No such hold of this customer"


class HoldEnded(skyway.errors.Conflict, ReservationsError):
    """The hold has ended otherwise (expired, released or confirmed): the operation cannot apply."""

    default_code = "Hold Ended"
    default_detail = "The hold has ended"


class HoldExpired(HoldEnded):
    default_code = "Hold Expired"
    default_detail = "The hold expired; its seats are free again"


class HoldReleased(HoldEnded):
    default_code = "Hold Released"
    default_detail = "The hold was released; its seats are free again"


class HoldConfirmed(HoldEnded):
    default_code = "Hold Confirmed"
    default_detail = "The hold was confirmed; its seats are reservations now (cancel those instead)"


class HoldDamaged(HoldEnded):
    default_code = "Conflict"
    default_detail = "A seat of the hold is no longer the hold's; nothing was confirmed"


class StoreUnavailable(skyway.errors.Unavailable, ReservationsError):
    """Redis could not be reached or refused the command; the caller may retry later."""

    default_code = "Service Unavailable"
    default_detail = "The reservations store is unavailable; retry later."
    retry_after = 1


class RebuildConflict(skyway.errors.Conflict, ReservationsError):
    """The event log kept changing while the projection was rebuilt; run the rebuild again."""

    default_code = "Conflict"
    default_detail = "The event log changed during every rebuild attempt."


class LayoutMismatch(StoreUnavailable):
    """The data in Redis is laid out otherwise than this process's settings say (docs/adr/0115)."""

    default_detail = "The reservations store's key layout does not match RESERVATIONS_PARTITIONS."


class HistoryTrimmed(skyway.errors.Gone, ReservationsError):
    """A temporal query before the oldest instant retention kept (docs/adr/0121)."""

    default_code = "Gone"

    def __init__(self, earliest: str) -> None:
        self.earliest = earliest
        super().__init__(
            "The events before this instant were trimmed by the event retention "
            f"(RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS); the earliest answerable instant of this flight is {earliest}"
        )


class InstantInTheFuture(skyway.errors.BadRequest, ReservationsError):
    """A temporal query past the store's clock: history answers only instants that have happened."""

    default_code = "Bad Request"

    def __init__(self, now: str) -> None:
        self.now = now
        super().__init__(
            f"at: is in the future (the store's clock reads {now}); history answers past instants only, "
            "and GET /reservations?flight_id= gives the seats now"
        )
