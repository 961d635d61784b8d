"""Strangler fig: forward what the gateway does not own to settings.LEGACY_UPSTREAM_URL."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from gateway import clients
from gateway.clients.legacy import end_to_end_headers
from gateway.errors import UpstreamUnavailable
from skyway.errors import PROBLEM_CONTENT_TYPE, error_headers, problem_document
from skyway.request_id import HEADER as REQUEST_ID_HEADER
from skyway.request_id import current_request_id


def _incoming_headers(request: HttpRequest) -> list[tuple[str, str]]:
    headers = [(name, value) for name, value in request.headers.items()]
    forwarded_for = request.META.get("REMOTE_ADDR", "")
    if request.headers.get("X-Forwarded-For"):
        forwarded_for = f"{request.headers['X-Forwarded-For']}, {forwarded_for}"
    replaced = {"x-forwarded-for", "x-request-id"}
    headers = [h for h in end_to_end_headers(headers) if h[0].lower() not in replaced]
    headers += [
        (REQUEST_ID_HEADER, current_request_id() or ""),
        ("X-Forwarded-For", forwarded_for),
        ("X-Forwarded-Host", request.get_host()),
        ("X-Forwarded-Proto", request.scheme),
    ]
    return headers


@csrf_exempt  # the legacy system keeps its own CSRF rules; the gateway is a pass-through here
def legacy_forward(request: HttpRequest, path: str = "") -> HttpResponse:
    if not settings.LEGACY_UPSTREAM_URL:
        raise Http404("No legacy upstream is configured.")  # never forward to ourselves
    try:
        upstream = clients.legacy().forward(
            method=request.method or "GET",
            path=request.path,
            query=request.META.get("QUERY_STRING", ""),
            headers=_incoming_headers(request),
            body=request.body,
        )
    except UpstreamUnavailable as exc:
        # Legacy paths are public but not under /api/: they answer in RFC 7807 explicitly.
        body = problem_document(exc, request.path)
        return HttpResponse(
            json.dumps(body), status=503, content_type=PROBLEM_CONTENT_TYPE, headers=error_headers(exc)
        )
    response = HttpResponse(upstream.content, status=upstream.status_code)
    for name, value in end_to_end_headers(list(upstream.headers.multi_items())):
        if name.lower() in {"content-encoding", "set-cookie"}:
            continue  # httpx already decoded the body; cookies are copied one by one below
        response.headers[name] = value
    for cookie in upstream.headers.get_list("set-cookie"):
        response.cookies.load(cookie)
    return response
