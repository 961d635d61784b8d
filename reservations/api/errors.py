"""The reservations API's exception handler: skyway.errors with the book's HTTP-phrase vocabulary.

Domain errors keep their own codes ("Conflict"); DRF's and Django's own errors (parse, method, media
type, request-size guards) are named by their HTTP phrase ("Method Not Allowed"), as the book's
service does. 503s carry Retry-After.
"""

from __future__ import annotations

from rest_framework.response import Response

from skyway.errors import exception_handler


def reservations_exception_handler(exc: Exception, context: dict) -> Response | None:
    return exception_handler(exc, context, phrase_codes=True)
