"""One error model for every deployable: a base, a flattener and two renderers (ADR 0071).

- ``ApplicationError`` is the base of every error a context raises on purpose. It carries DRF's
  names: ``status_code``, ``default_code``, ``default_detail`` (plus ``title`` for RFC 7807, by
  default the code read aloud, and ``retry_after`` for a ``Retry-After`` header). Each context
  keeps its own classes on it (flights/errors.py, reservations/errors.py, gateway/errors.py), each
  in a status family of this module (NotFound, Conflict, Unavailable, …); nothing else decides a
  status.
- ``flatten`` turns DRF's nested validation detail into ``field: message`` lines.
- Two renderers, chosen by where the request came in: RFC 7807 problem details under ``/api/``
  (the public gateway), the book's ``{"error": code, "description": detail}`` everywhere else (the
  internal services, ops endpoints, the admin).
- ``exception_handler`` (DRF) and ``handler400/404/500`` (Django, in every URL conf) translate what
  DRF and Django raise themselves — validation, auth, throttling, 404s, request-size guards — into
  ``ApplicationError``s and render them with the same two renderers.

Django's request-size guards (too many fields, too many files, body too large) become precise
4xx answers with a message that names the limit, logged as one WARNING line (ADR 0070).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse

from skyway.request_id import current_request_id

if TYPE_CHECKING:
    from rest_framework.response import Response

# DRF is imported inside the functions that need it, never at module level: settings import
# skyway.service_auth, which imports this module, and DRF read at that moment caches empty
# REST_FRAMEWORK settings (its default exception handler, renderers and auth for the whole process).

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://skyway.example/problems/"
PUBLIC_PREFIX = "/api/"  # the gateway's public API answers in RFC 7807; everything else is internal


def title_of(code: str) -> str:
    """The RFC 7807 title a problem code reads as: ``seat-taken`` and ``seat_taken`` -> ``Seat taken``."""
    return code.replace("-", " ").replace("_", " ").capitalize()


class ApplicationError(Exception):
    """Base of every error Skyway reports on purpose; subclasses set the class attributes."""

    status_code: int = 400
    default_code: str = "invalid"
    default_detail: str = "The request is not valid."
    title: str = "Invalid request"  # RFC 7807's short summary; the internal envelope does not show it
    retry_after: int | None = None  # seconds; sent as Retry-After

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The names before ADR 0071: refuse them loudly instead of rendering a wrong code.
        stale = {"code", "default_description", "retry_after_seconds"} & set(vars(cls))
        if stale:
            raise TypeError(f"{cls.__name__}: use default_code / default_detail / retry_after, not {stale}")
        # A title is nearly always the problem's code read aloud ("seat-taken": "Seat taken"): a class
        # that names its own code gets that title unless it words one itself.
        if "default_code" in vars(cls) and "title" not in vars(cls):
            cls.title = title_of(cls.default_code)

    def __init__(self, detail: str | None = None, *, code: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.default_detail
        self.code = code or self.default_code
        self.extra = extra  # extension members of the body (RFC 7807 §3.2; flights' "fields")
        self.headers: dict[str, str] = {}
        super().__init__(self.detail)


# The plumbing kit's own errors: what Django and DRF refuse before (or around) a context's code.
# They double as the status families of the contexts' errors. A context's error names its family
# first and its context's base second (``class SeatTaken(skyway.errors.Conflict, GatewayError)``),
# so that the family's status wins over the base's default; the error adds its own code and detail.
class BadRequest(ApplicationError):
    status_code = 400  # spelled out, as in every family: it must win over a context base's own
    default_code = "bad_request"
    default_detail = "The request was malformed."


class InvalidInput(ApplicationError):
    default_code = "invalid_input"
    default_detail = "Invalid input."


class TooManyFields(BadRequest):
    default_code = "too_many_fields"


class TooManyFiles(BadRequest):
    default_code = "too_many_files"


class Forbidden(ApplicationError):
    status_code = 403
    default_code = "permission_denied"
    default_detail = "Forbidden."
    title = "Forbidden"


class NotFound(ApplicationError):
    status_code = 404
    default_code = "not_found"
    default_detail = "Not found."


class Conflict(ApplicationError):
    status_code = 409
    default_code = "conflict"
    default_detail = "The request conflicts with existing data."


class Gone(ApplicationError):
    status_code = 410
    default_code = "gone"
    default_detail = "This is no longer available."


class RequestTooLarge(ApplicationError):
    status_code = 413  # the README documents 413: the precise status for this refusal
    default_code = "request_too_large"
    default_detail = "The request body is too large."


class ServerError(ApplicationError):
    status_code = 500
    default_code = "server_error"
    default_detail = "Unexpected error; it has been logged."
    title = "Internal error"


class Unavailable(ApplicationError):
    status_code = 503
    default_code = "unavailable"
    default_detail = "A service this request needs is unavailable; retry later."


# RFC 7807 titles of DRF's own exceptions, by status.
_DRF_TITLES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
}


def flatten(detail: object, prefix: str = "") -> list[str]:
    """DRF's nested error detail as ``field: message`` lines (``a.b: …`` for nested fields)."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            lines.extend(flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in flatten(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def fields_of(detail: object) -> dict[str, list[str]]:
    """Per-field messages of a DRF validation detail (the internal envelope's ``fields`` member)."""
    if not isinstance(detail, dict):
        return {}
    return {
        str(key): [str(message) for message in flatten(value)]
        for key, value in detail.items()
        if key != "non_field_errors"
    }


def is_public_path(path: str) -> bool:
    """True where a request came in through the public API (RFC 7807), not an internal service."""
    return path == PUBLIC_PREFIX.rstrip("/") or path.startswith(PUBLIC_PREFIX)


def request_guard_error(exc: BaseException) -> ApplicationError | None:
    """The client error of one of Django's request-size guards; None for any other exception."""
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return TooManyFields(
            f"Too many fields: the query string and the form may each carry at most {limit}."
        )
    if isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return TooManyFiles(f"Too many files: an upload may carry at most {limit}.")
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return RequestTooLarge(f"The request body is larger than the limit of {limit} bytes.")
    return None


def error_of(exc: BaseException, *, public: bool) -> ApplicationError | None:
    """``exc`` as an ApplicationError (domain errors as they are); None for a bug (a 500)."""
    from rest_framework import exceptions as drf

    if isinstance(exc, ApplicationError):
        return exc
    refused = request_guard_error(exc)
    if refused is not None:
        # The client sent too much; nothing here is broken: one line, no traceback.
        logger.warning("request refused (%s): %s", refused.code, refused.detail)
        return refused
    if isinstance(exc, Http404):
        exc = drf.NotFound() if public else NotFound(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied() if public else Forbidden(str(exc) or None)
    if isinstance(exc, ApplicationError):
        return exc
    if not isinstance(exc, drf.APIException):
        return None
    if isinstance(exc, drf.ValidationError):
        detail = "; ".join(flatten(exc.detail)) or InvalidInput.default_detail
        if public:  # RFC 7807: DRF's own code ("invalid") and the raw detail as the `errors` member
            error = InvalidInput(detail, code=exc.default_code, errors=exc.detail)
        else:
            fields = fields_of(exc.detail)
            error = InvalidInput(detail, **({"fields": fields} if fields else {}))
    else:
        codes = exc.get_codes()
        error = ApplicationError(
            "; ".join(flatten(exc.detail)), code=codes if isinstance(codes, str) else exc.default_code
        )
        error.status_code = exc.status_code
        error.title = _DRF_TITLES.get(exc.status_code, "Error")
    if getattr(exc, "auth_header", None):
        error.headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        error.retry_after = int(exc.wait) + 1  # int() rounds down; never tell a client 0
    return error


def http_phrase(status: int) -> str:
    """The reason phrase the book's reservations service puts in ``error`` (RFC 9110's for 413)."""
    return "Payload Too Large" if status == 413 else HTTPStatus(status).phrase


# ---- the two renderers ------------------------------------------------------------------------------


def error_headers(error: ApplicationError) -> dict[str, str]:
    headers = dict(error.headers)
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return headers


def internal_body(error: ApplicationError) -> dict[str, Any]:
    """The book's envelope: ``{"error": <code>, "description": <detail>}`` (+ extension members)."""
    return {"error": error.code, "description": error.detail, **error.extra}


def problem_body(
    *, status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    """An RFC 7807 problem document; ``code`` names the problem type."""
    return {
        "type": f"{PROBLEM_BASE}{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": current_request_id(),
        **extra,
    }


def problem_document(error: ApplicationError, instance: str) -> dict[str, Any]:
    """RFC 7807 problem details of ``error`` (also what the gateway stores for idempotent replays)."""
    return problem_body(
        status=error.status_code,
        code=error.code,
        title=error.title,
        detail=error.detail,
        instance=instance,
        **error.extra,
    )


def problem_response(request: Any, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A DRF response of a problem document: problem+json, unless the browsable API was negotiated."""
    from rest_framework.response import Response

    response = Response(body, status=body["status"], headers=headers)
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or getattr(renderer, "format", "json") == "json":
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def error_response(error: ApplicationError, request: Any) -> Response:
    """``error`` as a DRF response in the envelope of the door ``request`` came in by."""
    from rest_framework.response import Response

    headers = error_headers(error)
    if is_public_path(request.path_info if request is not None else ""):
        return problem_response(request, problem_document(error, request.path), headers)
    return Response(internal_body(error), status=error.status_code, headers=headers)


def error_http_response(error: ApplicationError, request: HttpRequest) -> HttpResponse:
    """``error`` as a plain Django response (handlers, middleware), in its door's envelope."""
    if is_public_path(request.path_info):
        body, content_type = problem_document(error, request.path), PROBLEM_CONTENT_TYPE
    else:
        body, content_type = internal_body(error), "application/json"
    return HttpResponse(
        json.dumps(body), status=error.status_code, content_type=content_type, headers=error_headers(error)
    )


# ---- the handlers -----------------------------------------------------------------------------------


def exception_handler(
    exc: Exception, context: dict[str, Any], *, phrase_codes: bool = False
) -> Response | None:
    """DRF's exception handler for every API view (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

    ``phrase_codes``: name DRF's and Django's own errors by their HTTP phrase ("Bad Request"), the
    vocabulary of the book's reservations service, instead of a machine code ("invalid_input").
    """
    from rest_framework.views import set_rollback

    request = context.get("request")
    public = request is not None and is_public_path(request.path_info)
    error = error_of(exc, public=public)
    if error is None:
        if not public:
            return None  # a bug: Django logs the traceback and handler500 answers
        logger.exception("unhandled error in the public API")
        error = ServerError("Something went wrong on our side; it has been logged.", code="internal_error")
    elif phrase_codes and error is not exc:
        error.code = http_phrase(error.status_code)
    if error.status_code >= 500:
        logger.warning("error %s: %s", error.code, error.detail)
    set_rollback()
    return error_response(error, request)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (a SuspiciousOperation outside DRF: request-size guards in plain views, …)."""
    refused = request_guard_error(exception) if exception is not None else None
    return error_http_response(refused or BadRequest(), request)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Paths no view owns: JSON in the door's envelope, never Django's HTML page."""
    return error_http_response(NotFound(f"No resource at {request.path[:200]}"), request)


def handler500(request: HttpRequest) -> HttpResponse:
    """Unhandled errors (DEBUG off): JSON without a traceback; Django has logged it."""
    return error_http_response(ServerError(), request)


class RequestGuardLogFilter(logging.Filter):
    """Turns Django's ERROR-with-traceback for a tripped request guard into one WARNING line.

    Django logs every SuspiciousOperation on ``django.security.<Name>`` before it calls handler400;
    attached to the three guards' loggers only (settings.LOGGING), so real security events keep ERROR.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info, record.exc_text = None, None
        return True
