"""RFC 7807 problem details for every error the gateway's API returns (application/problem+json).

One handler, set on the gateway's base view (never globally: flights and reservations share the
process in platform mode and keep the book's {"error", "description"} envelope). Domain errors map
to a status by their class; DRF's own exceptions (validation, auth, throttling) are translated.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from gateway.errors import GatewayError, UpstreamUnavailable
from skyway.request_id import current_request_id

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://skyway.example/problems/"

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


class RequestTooLarge(drf.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """DRF's nested error detail as 'field: message' lines."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for field, value in detail.items():
            name = "" if field == "non_field_errors" else f"{prefix}{field}"
            lines.extend(_flatten(value, f"{name}." if name else ""))
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in _flatten(item, prefix)]
    text = str(detail)
    return [f"{prefix.rstrip('.')}: {text}" if prefix else text]


def problem_body(
    *, status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    return {
        "type": f"{PROBLEM_BASE}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": current_request_id(),
        **extra,
    }


def problem_response(request: Any, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or getattr(renderer, "format", "json") == "json":
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_of_gateway_error(exc: GatewayError, instance: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The problem document and headers of a domain error (also stored for idempotent replays)."""
    body = problem_body(
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        instance=instance,
        **exc.extra,
    )
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, UpstreamUnavailable) else {}
    return body, headers


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, GatewayError):
        body, headers = problem_of_gateway_error(exc, instance)
        if exc.status_code >= 500:
            logger.warning("gateway error %s: %s", exc.code, exc.detail)
        return problem_response(request, body, headers)
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(
            f"The request body is larger than the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    elif isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.APIException):
        headers: dict[str, str] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait) + 1)
        extra: dict[str, Any] = {}
        if isinstance(exc, drf.ValidationError):
            lines = _flatten(exc.detail)
            detail = "; ".join(lines) or "Invalid input."
            extra["errors"] = exc.detail
        else:
            detail = str(exc.detail)
        body = problem_body(
            status=exc.status_code,
            code=str(exc.default_code).replace("_", "-"),
            title=_DRF_TITLES.get(exc.status_code, "Error"),
            detail=detail,
            instance=instance,
            **extra,
        )
        return problem_response(request, body, headers)
    logger.exception("unhandled error in the gateway API")
    body = problem_body(
        status=500,
        code="internal-error",
        title="Internal error",
        detail="Something went wrong on our side; it has been logged.",
        instance=instance,
    )
    return problem_response(request, body)
