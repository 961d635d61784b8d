"""Domain errors of the flights context. Each maps to an HTTP status by class, not by if-chains in views.

Rendered by skyway.errors in the book's envelope ``{"error": default_code, "description": detail}``;
``error`` is a snake_case machine code (ADR 0071). An error's status comes from its family in
skyway.errors (NotFound, Conflict, Unavailable); a plain FlightsError is a 400.
"""

from __future__ import annotations

import skyway.errors


class FlightsError(skyway.errors.ApplicationError):
    """Base of every error the flights context reports to a caller."""

    def __init__(self, detail: str | None = None, *, fields: dict[str, list[str]] | None = None) -> None:
        self.fields = fields or {}
        super().__init__(detail, **({"fields": self.fields} if self.fields else {}))


class InvalidInput(FlightsError):
    default_code = "invalid_input"
    default_detail = "The request's parameters are not valid."


class SeatMapInvalid(InvalidInput):
    """A seat map that is not in the book's Cabin/Row/Seat shape; `errors` names each offending path."""

    default_code = "invalid_seat_map"
    default_detail = "The seat map is not valid."

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        shown = "; ".join(self.errors[:10])
        more = f" (and {len(self.errors) - 10} more)" if len(self.errors) > 10 else ""
        super().__init__(f"Invalid seat map: {shown}{more}")


class NotFound(skyway.errors.NotFound, FlightsError):
    """Base of the flights context's 404s (``not_found`` itself when nothing more precise applies)."""


class FlightNotFound(NotFound):
    default_code = "flight_not_found"
    default_detail = "No such flight."


class AircraftLayoutNotFound(NotFound):
    default_code = "aircraft_layout_not_found"
    default_detail = "No such aircraft layout."


class Conflict(skyway.errors.Conflict, FlightsError):
    """A write that would break a uniqueness rule (a layout code, a flight's number and departure)."""


class DatabaseUnavailable(skyway.errors.Unavailable, FlightsError):
    """The database is down or unreachable: a clear, retryable 503 instead of a traceback."""

    default_detail = "The flights database is unavailable; try again shortly."
    retry_after = 5
