"""Pooled keep-alive HTTP to a separately deployed upstream, on urllib3.

The typed clients speak the small part of httpx's API they need (`request`, `get`, `close`, answers
as `httpx.Response`, failures as httpx's exception classes), so one code path serves this client,
the in-process httpx WSGI transport and the tests' httpx.MockTransport. Underneath, a urllib3
connection pool does the network work at about half of httpx's CPU per call: on the seat chart,
httpx's request building, URL parsing and h11 state machine were the gateway's largest cost
(docs/adr/0038).

- Timeouts: httpx.Timeout's connect and read apply; waiting for a free pooled connection is bounded
  by the connect timeout (httpx's pool timeout), the pool holds `maxsize` connections.
- No retries, no redirects here: retries are the caller's decision (tenacity, reads only).
- urllib3 errors become the httpx errors the callers already handle (TimeoutException, TransportError).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

_DEFAULT = urllib3.util.Timeout.DEFAULT_TIMEOUT  # "the pool's own timeouts"


def _as_httpx_error(exc: Exception) -> httpx.TransportError:
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    message = str(exc) or type(exc).__name__
    if isinstance(exc, NewConnectionError):  # before ConnectTimeoutError: urllib3 2 subclasses it
        return httpx.ConnectError(message)
    if isinstance(exc, ConnectTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(exc, ReadTimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(exc, EmptyPoolError):
        return httpx.PoolTimeout(message)
    if isinstance(exc, ProtocolError):
        return httpx.RemoteProtocolError(message)
    return httpx.TransportError(message)


class PooledHTTPClient:
    """Keep-alive connections to one upstream base URL (thread-safe; one per client and target)."""

    def __init__(self, base_url: str, *, timeout: httpx.Timeout, maxsize: int = 64) -> None:
        parsed = urllib3.util.parse_url(base_url)
        if parsed.scheme not in {"http", "https"} or not parsed.host:
            raise ValueError(f"upstream URL must be http(s)://host[:port][/prefix], got {base_url!r}")
        self.base_url = base_url
        self._prefix = (parsed.path or "").rstrip("/")
        self._pool_timeout = timeout.pool if timeout.pool is not None else timeout.connect
        self._pool = urllib3.connection_from_url(
            base_url,
            maxsize=maxsize,
            block=True,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout.connect, read=timeout.read),
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """One call; `timeout` (connect and read) replaces the client's own for this call only."""
        url = f"{self._prefix}{path}"
        if params:
            url = f"{url}?{urlencode(params)}"
        send_headers = dict(headers or {})
        body = None
        if json is not None:
            body = orjson.dumps(json)
            send_headers["Content-Type"] = "application/json"
        try:
            answer = self._pool.urlopen(
                method,
                url,
                body=body,
                headers=send_headers,
                redirect=False,
                assert_same_host=False,
                pool_timeout=self._pool_timeout if timeout is None else timeout.pool,
                timeout=_DEFAULT
                if timeout is None
                else urllib3.Timeout(connect=timeout.connect, read=timeout.read),
                preload_content=True,
                decode_content=False,  # httpx.Response decodes any Content-Encoding itself
            )
        except urllib3.exceptions.HTTPError as exc:
            raise _as_httpx_error(exc) from exc
        return httpx.Response(answer.status, headers=list(answer.headers.items()), content=answer.data)

    def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return self.request("GET", path, headers=headers)

    def close(self) -> None:
        self._pool.close()
