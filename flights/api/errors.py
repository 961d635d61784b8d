"""The flights API's exception handler: database outages as a retryable 503, the rest to skyway.errors.

Errors render in the book's envelope ``{"error": code, "description": message}`` (internal service);
set per view (FlightsApiView) because only flights knows its database's failure modes.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework.response import Response

from flights.errors import DatabaseUnavailable
from skyway.errors import exception_handler

logger = logging.getLogger(__name__)


def flights_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Map database errors, then domain, DRF and Django errors; anything else stays a 500 (a bug)."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("flights database unavailable: %s", exc)
        exc = DatabaseUnavailable()
    elif isinstance(exc, DatabaseError):
        logger.exception("flights database error")
        return None
    return exception_handler(exc, context)
