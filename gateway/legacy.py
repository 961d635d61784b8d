"""Strangler fig: forward what the gateway does not own to settings.LEGACY_UPSTREAM_URL, byte for byte.

The request goes out with its method, raw path and query exactly as received (no `?` added, no
re-encoding), its header lines in order with repeated names as separate lines, minus hop-by-hop
ones, plus the proxy's X-Forwarded-* and X-Request-ID; its body is streamed. The legacy answer comes
back with its status line, header lines (Set-Cookie included, never re-serialised; only Date and
Server are the serving layer's own) and body bytes unchanged (Content-Encoding untouched), streamed.
See ADR 81.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import urllib3
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.encoding import escape_uri_path
from django.views.decorators.csrf import csrf_exempt

from gateway import clients
from gateway.clients.legacy import end_to_end_headers
from gateway.errors import UpstreamUnavailable
from skyway import raw_headers
from skyway.errors import PROBLEM_CONTENT_TYPE, error_headers, problem_document
from skyway.request_id import HEADER as REQUEST_ID_HEADER
from skyway.request_id import current_request_id

_CHUNK = 64 * 1024
# The serving layer (granian, ADR 60) writes its own Date and Server on every response: the legacy system's
# would make a second Date line, which RFC 9110 §6.6.1 forbids. Those two are the only lines dropped.
_SERVER_WRITTEN = frozenset({"date", "server"})
_REPLACED = frozenset({"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-request-id"})


def _request_target(request: HttpRequest) -> str:
    """The path and query as the client sent them (RAW_URI, set by skyway.serve), else rebuilt from the environ."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return raw
    if raw and "://" in raw:  # absolute-form (RFC 9112 §3.2.2): keep only path and query
        rest = raw.split("://", 1)[1]
        return rest[rest.index("/") :] if "/" in rest else "/"
    query = request.META.get("QUERY_STRING", "")
    return escape_uri_path(request.path) + (f"?{query}" if query else "")


def _header_name(name: str) -> str:
    # skyway.serve hands names over upper-cased; send the conventional capitalisation (names are case-insensitive).
    return "-".join(part.capitalize() for part in name.split("-")) if name.isupper() else name


def _incoming_headers(request: HttpRequest) -> list[tuple[str, str]]:
    lines = raw_headers.lines(request.META)
    if lines is None:  # not under skyway.serve: Django's view of the environ (repeats already merged)
        lines = list(request.headers.items())
    headers = [(_header_name(name), value) for name, value in lines]
    forwarded_for = request.META.get("REMOTE_ADDR", "")
    if request.headers.get("X-Forwarded-For"):
        forwarded_for = f"{request.headers['X-Forwarded-For']}, {forwarded_for}"
    headers = [h for h in end_to_end_headers(headers) if h[0].lower() not in _REPLACED]
    headers += [
        (REQUEST_ID_HEADER, current_request_id() or ""),
        ("X-Forwarded-For", forwarded_for),
        ("X-Forwarded-Host", request.get_host()),
        ("X-Forwarded-Proto", request.scheme),
    ]
    return headers


def _has_body(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return False


def _answer_lines(answer: urllib3.BaseHTTPResponse) -> list[tuple[str, str]]:
    # http.client's message keeps every line in order; urllib3's HTTPHeaderDict groups repeats by name.
    message = getattr(getattr(answer, "_original_response", None), "msg", None)
    lines = list(message.items()) if message is not None else list(answer.headers.items())
    return [(name, value) for name, value in end_to_end_headers(lines) if name.lower() not in _SERVER_WRITTEN]


class ForwardedResponse(StreamingHttpResponse):
    """The legacy answer as the client gets it: its header lines first and unchanged, then any the
    gateway's middleware adds under names the legacy system did not send (request id, security)."""

    def __init__(self, answer: urllib3.BaseHTTPResponse) -> None:
        super().__init__(self._body(answer), status=answer.status, reason=answer.reason or None)
        del self.headers["Content-Type"]  # Django's default; the legacy system's own (if any) follows
        self.forwarded = _answer_lines(answer)
        self._forwarded_names = {name.lower() for name, _ in self.forwarded}
        for name, value in self.forwarded:
            self.headers[name] = value  # so middleware's has_header()/setdefault() see them
        self._resource_closers.append(lambda: _close(answer))

    @staticmethod
    def _body(answer: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
        yield from answer.stream(_CHUNK, decode_content=False)

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        added = [(n, v) for n, v in self.headers.items() if n.lower() not in self._forwarded_names]
        return [*self.forwarded, *added]


def _close(answer: urllib3.BaseHTTPResponse) -> None:
    # A body read to the end has given its connection back already; a cut-short one must not be reused.
    answer.close()
    answer.release_conn()


@csrf_exempt  # the legacy system keeps its own CSRF rules; the gateway is a pass-through here
def legacy_forward(request: HttpRequest, path: str = "") -> HttpResponse | StreamingHttpResponse:
    if not settings.LEGACY_UPSTREAM_URL:
        raise Http404("No legacy upstream is configured.")  # never forward to ourselves
    body: Any = request if _has_body(request) else None  # streamed from the client's body
    try:
        answer = clients.legacy().forward(
            method=request.method or "GET",
            target=_request_target(request),
            headers=_incoming_headers(request),
            body=body,
        )
    except UpstreamUnavailable as exc:
        # Legacy paths are public but not under /api/: they answer in RFC 7807 explicitly.
        problem = problem_document(exc, request.path)
        return HttpResponse(
            json.dumps(problem), status=503, content_type=PROBLEM_CONTENT_TYPE, headers=error_headers(exc)
        )
    return ForwardedResponse(answer)
