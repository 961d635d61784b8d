"""Client of the legacy upstream the gateway strangles (settings.LEGACY_UPSTREAM_URL; off when unset).

Requests the gateway does not own are forwarded verbatim (minus hop-by-hop headers) and the legacy
answer is passed back as it is, 5xx included: the gateway does not reinterpret another system.
"""

from __future__ import annotations

import time

import httpx

from gateway.clients import metrics
from gateway.clients.base import StatelessClient, UpstreamClient
from gateway.errors import UpstreamUnavailable

_LEGACY_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=30)

# RFC 9110 §7.6.1 hop-by-hop headers, plus what the transport recomputes.
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
        "content-length",
    }
)


def end_to_end_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop hop-by-hop headers, including any the Connection header names."""
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

    def _http_build(self, url: str | None) -> httpx.Client:
        """httpx's full client: the forward passes raw query strings, repeated headers and bytes."""
        if url is None:
            return super()._http_build(url)  # type: ignore[return-value]
        return StatelessClient(base_url=url, timeout=self.timeout, limits=_LEGACY_LIMITS)

    def forward(
        self, *, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> httpx.Response:
        target = self.default_target
        breaker = self.breaker_for(target)
        if breaker.open_for() > 0:
            metrics.record(self.service, target.name, "breaker_open")
            raise UpstreamUnavailable(self.service, "The legacy system is failing; retry later.")
        url = httpx.URL(path=path, query=query.encode("latin-1"))
        started = time.perf_counter()
        try:
            response = self.http_for(target).request(method, url, headers=headers, content=body)
        except httpx.TimeoutException as exc:
            self._failed(target, breaker, "timeout", started, exc)
            raise UpstreamUnavailable(self.service, "The legacy system timed out.") from exc
        except httpx.TransportError as exc:
            self._failed(target, breaker, "connection_error", started, exc)
            raise UpstreamUnavailable(self.service, "The legacy system is unreachable.") from exc
        outcome = "success" if response.status_code < 400 else "client_error"
        if response.status_code >= 500:
            outcome = "server_error"
            breaker.record_failure(UpstreamUnavailable(self.service))
        else:
            breaker.record_success()
        metrics.record(self.service, target.name, outcome, time.perf_counter() - started)
        return response
