"""Errors every deployable shares: Django's request-size guards as precise client errors.

Django refuses a query string or form with more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields
(TooManyFieldsSent), an upload with more than DATA_UPLOAD_MAX_NUMBER_FILES files (TooManyFilesSent)
and a body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes (RequestDataTooBig). Left alone, inside a DRF
view these surface as a 500, and in a plain view as a generic 400 after an ERROR log line with a
traceback. Here each becomes a 4xx with a message that names the limit (ADR 0070).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

from skyway.request_id import current_request_id

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://skyway.example/problems/"
PUBLIC_PREFIX = "/api/"  # the gateway's public API answers in RFC 7807; everything else is internal


def is_public_path(path: str) -> bool:
    """True where a request came in through the public API (RFC 7807), not an internal service."""
    return path == PUBLIC_PREFIX.rstrip("/") or path.startswith(PUBLIC_PREFIX)


def problem_body(
    *, status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    """An RFC 7807 problem document; ``code`` names the problem type (kebab-case by convention)."""
    return {
        "type": f"{PROBLEM_BASE}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": current_request_id(),
        **extra,
    }


@dataclass(frozen=True)
class RequestRefused:
    """A request-size guard that tripped: its status, machine code, title and message."""

    status_code: int
    code: str
    title: str
    detail: str


def request_guard_error(exc: BaseException) -> RequestRefused | None:
    """The client error of one of Django's request-size guards; None for any other exception."""
    if isinstance(exc, TooManyFieldsSent):
        return RequestRefused(
            400,
            "too_many_fields",
            "Too many fields",
            f"Too many fields: the query string and the form may each carry at most "
            f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}.",
        )
    if isinstance(exc, TooManyFilesSent):
        return RequestRefused(
            400,
            "too_many_files",
            "Too many files",
            f"Too many files: an upload may carry at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES}.",
        )
    if isinstance(exc, RequestDataTooBig):
        # 413, not 400: the README documents it, and it is the precise status for this refusal.
        return RequestRefused(
            413,
            "request_too_large",
            "Request too large",
            f"The request body is larger than the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
        )
    return None


def request_refused_log(refused: RequestRefused, path: str) -> None:
    """One WARNING line, no traceback: the client sent too much, nothing here is broken."""
    logger.warning("request refused (%s) on %s: %s", refused.code, path[:200], refused.detail)


class RequestGuardLogFilter(logging.Filter):
    """Turns Django's ERROR-with-traceback for a tripped request guard into one WARNING line.

    Django logs every SuspiciousOperation on ``django.security.<Name>`` before it calls handler400;
    attached to the three guards' loggers only (settings.LOGGING), so real security events keep ERROR.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info, record.exc_text = None, None
        return True
