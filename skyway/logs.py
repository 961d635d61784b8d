"""One logging setup for every deployable (docs/adr/0111): every line goes through one formatter.

- ``formatter()`` is the only formatter in settings.LOGGING: structlog's ProcessorFormatter over the
  standard library's records (Django's, ours, the libraries'). ``console`` renders one colored human
  line per record (development), ``json`` one JSON object per line (production, log collectors).
- ``AccessLogMiddleware`` writes the one line per request (method, path, status, ms, request id) at
  the application level, so it reads the same under any server (runserver, gunicorn, granian): the
  server's own access log stays off. A 4xx is logged once, by this line; django.request keeps only
  the tracebacks of unhandled exceptions (``TracebackOnlyFilter``).
- ``server_formatter()`` is the same formatter for the server's own lines (granian's lifecycle
  messages, skyway/granian-logging.json), so its process writes one format too.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import orjson
import structlog
from django.http import HttpRequest, HttpResponse

from skyway.env import env_bool, env_str
from skyway.request_id import HEADER as REQUEST_ID_HEADER

ACCESS_LOGGER = "skyway.access"
RENDERERS = ("console", "json")
# Fields the access line carries for machines; the console line already says them in its message.
_ACCESS_FIELDS = ("method", "path", "status", "duration_ms")
# Extras Django attaches to its records that are objects, not data (the request, the socket).
_OBJECT_EXTRAS = ("request", "server_time")

_access = logging.getLogger(ACCESS_LOGGER)


def _drop_object_extras(_logger: object, _name: str, event_dict: dict) -> dict:
    for key in _OBJECT_EXTRAS:
        event_dict.pop(key, None)
    return event_dict


def _drop_access_fields(_logger: object, _name: str, event_dict: dict) -> dict:
    if event_dict.get("logger") == ACCESS_LOGGER:
        for key in _ACCESS_FIELDS:
            event_dict.pop(key, None)
    return event_dict


def _json_line(event_dict: dict, default: Callable | None = None, **_kw: object) -> str:
    """One log line's JSON by orjson, cheaper than json.dumps on every access line (issue 17, ADR 160).

    Compact, UTF-8 (the lines were json.dumps' spaced, ASCII-escaped form before; any JSON reader
    reads both). What orjson refuses (an integer past 64 bits) is written by json.dumps instead.
    """
    try:
        return orjson.dumps(event_dict, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(event_dict, default=default)


def log_format_from_env() -> str:
    """LOG_FORMAT, else ``console`` with DEBUG on and ``json`` without (settings and the launcher agree)."""
    return env_str("LOG_FORMAT", "console" if env_bool("DEBUG") else "json")


def server_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The formatter of the server's own loggers (no Django settings in the launcher's process)."""
    return formatter(renderer=log_format_from_env())


def formatter(*, renderer: str = "json") -> structlog.stdlib.ProcessorFormatter:
    """The formatter of settings.LOGGING's one handler (``"()": "skyway.logs.formatter"``)."""
    if renderer not in RENDERERS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(RENDERERS)}, not {renderer!r}")
    pre_chain = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_object_extras,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if renderer == "console":
        final = [
            _drop_access_fields,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=True, pad_event_to=40),
        ]
    else:
        final = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_json_line),
        ]
    return structlog.stdlib.ProcessorFormatter(foreign_pre_chain=pre_chain, processors=final)


class TracebackOnlyFilter(logging.Filter):
    """django.request's filter: only the records with a traceback (an unhandled exception).

    Its other records repeat the access line ("Not Found: /x", "Service Unavailable: /x"); the domain
    reason of a handled 5xx is logged by the code that knew it (skyway.errors, the gateway's clients).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is not None


class AccessLogMiddleware:
    """Outermost middleware: one access line per request, its level by status (4xx warning, 5xx error)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        status = response.status_code
        level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        if _access.isEnabledFor(level):
            # The request id middleware runs inside this one: the id is on the request (or the
            # response, or absent when an earlier middleware refused the request).
            request_id = getattr(request, "request_id", None) or response.get(REQUEST_ID_HEADER) or "-"
            _access.log(
                level,
                "%s %s %s %.0fms",
                request.method,
                request.path,
                status,
                elapsed_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round(elapsed_ms, 1),
                    "request_id": request_id,
                },
            )
        return response
