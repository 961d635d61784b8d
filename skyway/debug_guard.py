"""DEBUG serves this machine only (ADR 54).

`make run` and `make run-split` run with DEBUG on: Django's debug pages (URL lists, tracebacks with
local variables, settings) and, without SERVICE_TOKENS, open internal paths. That is fine on a laptop
and must never reach anyone else — a `HOST=0.0.0.0`, a container port published by mistake, an image
started with DEBUG=1. So with DEBUG on, a request whose peer address is not loopback is refused with
403 before anything else runs. The peer is REMOTE_ADDR, never a forwarded header: a proxy in front of a
DEBUG process is exactly the exposure this prevents. Outside DEBUG the middleware removes itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

from skyway.errors import Forbidden, error_http_response


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback; anything unparsable is not loopback."""
    try:
        ip = ipaddress.ip_address(address.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


class DebugServesThisMachineOnly(Forbidden):
    default_code = "debug_local_only"
    default_detail = (
        "This Skyway process runs with DEBUG on and serves this machine only; deploy it with DEBUG off "
        "(docs/adr/0054)."
    )


class LoopbackOnlyInDebugMiddleware:
    """403 for every request from another machine while DEBUG is on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.DEBUG:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_loopback(request.META.get("REMOTE_ADDR", "")):
            return error_http_response(DebugServesThisMachineOnly(), request)  # in the door's envelope
        return self.get_response(request)
