"""Client of the legacy upstream the gateway strangles (settings.LEGACY_UPSTREAM_URL; off when unset).

Requests the gateway does not own are forwarded byte for byte (minus hop-by-hop headers) and the
legacy answer is passed back as it is, 5xx included: the gateway does not reinterpret another system.
The forward runs on the same urllib3 pool as every network upstream (gateway.clients.http), not on
httpx, which adds Accept-Encoding/Accept/User-Agent, rebuilds the query and decodes bodies (ADR 81).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import urllib3

from gateway.clients import metrics
from gateway.clients.base import UpstreamClient
from gateway.clients.http import PooledHTTPClient
from gateway.errors import UpstreamUnavailable
from skyway import deadline

# RFC 9110 §7.6.1 hop-by-hop headers, plus Host (the legacy system's own is sent) and Transfer-Encoding
# (each hop frames its own body). Content-Length stays: the body is forwarded unchanged.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)


def end_to_end_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop hop-by-hop headers, including any the Connection header names; order and repeats kept."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP | named]


class LegacyClient(UpstreamClient):
    service = "legacy"
    url_setting = "LEGACY_UPSTREAM_URL"

    def forward(
        self,
        *,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: Any,
        timeout: urllib3.Timeout | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """Send the request as received; the answer comes back unread (stream it, then close it)."""
        route = self.default_target
        breaker = self.breaker_for(route)
        if breaker.open_for() > 0:
            metrics.record(self.service, route.name, "breaker_open")
            raise UpstreamUnavailable(self.service, "The legacy system is failing; retry later.")
        left = deadline.remaining()
        if left is not None and left <= 0:
            raise UpstreamUnavailable(
                self.service, "The legacy system did not answer within the time budget."
            )
        if timeout is None and left is not None:  # bounded by the request's budget (ADR 80)
            within = self._timeout_within(left)
            timeout = urllib3.Timeout(connect=within.connect, read=within.read)
        pool = self.http_for(route)
        assert isinstance(pool, PooledHTTPClient)  # the legacy system is always a network upstream
        started = time.perf_counter()
        try:
            answer = pool.forward(method, target, headers=headers, body=body, timeout=timeout)
        except httpx.TimeoutException as exc:
            self._failed(route, breaker, "timeout", started, exc)
            raise UpstreamUnavailable(self.service, "The legacy system timed out.") from exc
        except httpx.TransportError as exc:
            self._failed(route, breaker, "connection_error", started, exc)
            raise UpstreamUnavailable(self.service, "The legacy system is unreachable.") from exc
        outcome = "success" if answer.status < 400 else "client_error"
        if answer.status >= 500:
            outcome = "server_error"
            breaker.record_failure(UpstreamUnavailable(self.service))
        else:
            breaker.record_success()
        metrics.record(self.service, route.name, outcome, time.perf_counter() - started)
        return answer
