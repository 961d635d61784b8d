"""The strangler edge: the public listener of a deployable that strangles a legacy system (ADR 155).

    python -m skyway.strangler --settings settings.gateway --gateway http://127.0.0.1:8010 \
                               [--host 0.0.0.0] [--port 8000] [--legacy URL] [--routes]

Requests for paths the deployable owns (what its ROOT_URLCONF routes, plus its static files: see
owned_routes) go to it; everything else goes to LEGACY_UPSTREAM_URL. Both are forwarded the same
way, on h11 (python-hyper's HTTP/1.1 state machine, which keeps a message's bytes): the request
line's target exactly as received, the header lines as received (case, order, repeats) minus
hop-by-hop ones, plus X-Forwarded-For/-Host/-Proto and X-Request-ID; the body streamed as it
arrives. The answer comes back with its status code and reason, its header lines in order (every
Set-Cookie as sent) minus hop-by-hop ones, and its body bytes, streamed. Legacy requests get the
legacy system's own Host (the client's is in X-Forwarded-Host); the deployable gets the client's.

Why a process of its own and not a Django view: behind the launcher (granian behind an ASGI front,
ADR 60) a view never sees the request as sent — the ASGI scope cannot tell `/x?` from `/x`, granian
joins repeated header lines, hyper regroups response lines by name. Why asyncio: a slow client
costs a coroutine here, never a thread, so one slow body blocks no other connection (ADR 60's
guarantee, kept at the edge). Every wait is bounded (Limits).

Django is set up once at start, to read the settings and derive the owned routes; no request runs
Django code in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import h11

logger = logging.getLogger("skyway.strangler")

# RFC 9110 §7.6.1 hop-by-hop fields (and the names a Connection header lists): each hop has its own.
# Transfer-Encoding too: each hop frames its own body (h11 re-chunks when a length is unknown).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# What the edge sets itself on the way in (one request id across both systems, the client's address).
_REPLACED = frozenset({b"x-request-id", b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto"})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Every wait and size the edge allows (seconds, bytes, connections)."""

    idle_timeout: float = 75.0  # a keep-alive client with no new request; above an ALB's 60 s idle timeout
    head_timeout: float = 10.0  # request line + headers, from their first byte (as granian, ADR 60)
    body_timeout: float = 30.0  # the longest pause inside a request body, or a client not reading its answer
    connect_timeout: float = 2.0  # to an upstream
    read_timeout: float = 30.0  # an upstream's answer head, and the longest pause inside its body
    max_head_bytes: int = 16 * 1024  # request line + headers (431 beyond, as the launcher)
    max_answer_head_bytes: int = 64 * 1024  # an upstream's status line + headers (cookies can be long)
    max_connections: int = 1000  # open client connections; the next is answered 503 and closed
    max_idle_per_upstream: int = 32  # keep-alive connections kept for reuse per upstream
    upstream_idle: float = (
        4.0  # an idle upstream connection older than this is not reused (servers time out at 5 s)
    )


@dataclass(frozen=True)
class Route:
    """A path the deployable owns: exactly `path`, or (prefix) every path starting with it."""

    path: str
    prefix: bool

    def matches(self, path: str) -> bool:
        return path.startswith(self.path) if self.prefix else path == self.path

    def __str__(self) -> str:
        return f"{'PathPrefix' if self.prefix else 'Exact'} {self.path}"


_REGEX_SPECIAL = set(".^$*+?{}[]\\|()")


def _literal(pattern: object) -> tuple[str, bool]:
    """A URL pattern's leading literal text, and whether that is all of it (no converter, no regex)."""
    from django.urls.resolvers import RegexPattern, RoutePattern

    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)
        literal = route.split("<", 1)[0]
        return literal, literal == route
    if isinstance(pattern, RegexPattern):
        regex = str(pattern._regex).removeprefix("^")
        literal = ""
        for index, char in enumerate(regex):
            if char in _REGEX_SPECIAL:
                return literal, regex[index:] in ("$", r"\Z")
            literal += char
        return literal, False  # an unanchored regex matches longer paths too
    raise ValueError(f"cannot tell which paths {pattern!r} owns")


def owned_routes(urlconf: str | None = None) -> tuple[Route, ...]:
    """The paths the deployable of `urlconf` (default: settings.ROOT_URLCONF) owns, the one source of truth.

    Each URL pattern owns its path exactly when it is all literal, else every path that starts with
    its literal text (`api/flights/<str:flight_id>/seats` → PathPrefix /api/flights/); an include owns
    what its patterns own under its prefix. STATIC_URL is owned as a prefix when static files are
    served (WhiteNoise). A pattern that would own every path is refused: then nothing is left to strangle.
    """
    from django.conf import settings
    from django.urls import URLResolver, get_resolver

    routes: set[Route] = set()

    def walk(patterns: Iterable, base: str) -> None:
        for entry in patterns:
            literal, whole = _literal(entry.pattern)
            if isinstance(entry, URLResolver):
                if whole:
                    walk(entry.url_patterns, base + literal)
                elif (base + literal).strip("/"):
                    routes.add(Route(base + literal, True))
                else:
                    raise ValueError(f"an include at {base!r} with no literal prefix owns every path")
                continue
            if not whole and not (base + literal).strip("/"):
                raise ValueError(
                    f"{entry!r} at {base!r} owns every path: nothing would reach the legacy system"
                )
            routes.add(Route(base + literal, not whole))

    walk(get_resolver(urlconf).url_patterns, "/")
    if "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE and settings.STATIC_URL:
        routes.add(Route("/" + settings.STATIC_URL.lstrip("/"), True))
    prefixes = [route for route in routes if route.prefix]
    kept = {
        route
        for route in routes
        if not any(
            other != route and other.path != route.path and route.path.startswith(other.path)
            for other in prefixes
        )
        and not (not route.prefix and Route(route.path, True) in routes)
    }
    return tuple(sorted(kept, key=lambda route: (route.path, route.prefix)))


def path_of(target: bytes) -> str:
    """The decoded path of a request target (origin- or absolute-form), as Django would resolve it."""
    raw = target.decode("latin-1")
    if "://" in raw:  # absolute-form (RFC 9112 §3.2.2)
        raw = urlsplit(raw).path or "/"
    return unquote(raw.split("?", 1)[0])


def is_owned(routes: Iterable[Route], target: bytes) -> bool:
    path = path_of(target)
    return any(route.matches(path) for route in routes)


@dataclass(frozen=True)
class Upstream:
    name: str  # "gateway" or "legacy": in logs and problem documents
    host: str
    port: int
    host_header: bytes

    @classmethod
    def from_url(cls, name: str, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{name} upstream must be an http:// URL, not {url!r}")
        port = parts.port or 80
        return cls(name, parts.hostname, port, parts.netloc.encode("latin-1"))


@dataclass
class _Link:
    """One keep-alive connection to an upstream, with its own h11 client state."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    conn: h11.Connection
    reused: bool = False
    idle_since: float = 0.0

    def close(self) -> None:
        self.writer.close()


class _Pool:
    def __init__(self, upstream: Upstream, limits: Limits) -> None:
        self.upstream, self.limits = upstream, limits
        self.idle: list[_Link] = []

    async def acquire(self, *, fresh: bool = False) -> _Link:
        now = time.monotonic()
        while self.idle and not fresh:
            link = self.idle.pop()
            if now - link.idle_since < self.limits.upstream_idle and not link.reader.at_eof():
                link.reused = True
                return link
            link.close()
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.upstream.host, self.upstream.port, limit=_CHUNK),
            self.limits.connect_timeout,
        )
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=self.limits.max_answer_head_bytes)
        return _Link(reader, writer, conn)

    def release(self, link: _Link) -> None:
        if link.conn.our_state is h11.DONE and link.conn.their_state is h11.DONE:
            link.conn.start_next_cycle()
            if len(self.idle) < self.limits.max_idle_per_upstream:
                link.idle_since = time.monotonic()
                self.idle.append(link)
                return
        link.close()


class UpstreamFailed(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class _ClientGone(Exception):
    pass


def end_to_end(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Drop hop-by-hop lines, those a Connection header names included; order, case and repeats kept."""
    lines = list(headers)
    named = {
        token.strip().lower()
        for name, value in lines
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    return [(name, value) for name, value in lines if name.lower() not in HOP_BY_HOP | named]


@dataclass
class Edge:
    routes: tuple[Route, ...]
    gateway: Upstream
    legacy: Upstream
    limits: Limits = field(default_factory=Limits)
    trusted_front: bool = False  # a trusted proxy before the edge: keep its X-Forwarded-Host/-Proto
    local_only: bool = False  # DEBUG: non-loopback peers get 403 (ADR 54; the deployable sees only the edge)
    open_connections: int = 0

    def __post_init__(self) -> None:
        self._pools = {
            self.gateway.name: _Pool(self.gateway, self.limits),
            self.legacy.name: _Pool(self.legacy, self.limits),
        }
        self._tasks: set[asyncio.Task] = set()

    async def start(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(self._connection, host, port, limit=_CHUNK, backlog=1024)

    async def drain(self, timeout: float) -> None:
        """Wait for open connections to finish (a graceful stop), then cancel what is left."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()

    # ---- one client connection ------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.open_connections += 1
        try:
            if self.open_connections > self.limits.max_connections:
                writer.write(
                    _canned(503, b"The edge is at its connection limit; retry later.", retry_after=1)
                )
                with contextlib.suppress(OSError, asyncio.TimeoutError):
                    await asyncio.wait_for(writer.drain(), 1.0)
                return
            peer = (writer.get_extra_info("peername") or ("",))[0]
            client = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_head_bytes)
            while True:
                request = await self._next_request(client, reader, writer)
                if request is None:
                    return
                if not await self._exchange(client, reader, writer, request, peer):
                    return
                if client.our_state is not h11.DONE or client.their_state is not h11.DONE:
                    return
                client.start_next_cycle()
        except (TimeoutError, _ClientGone, OSError, h11.ProtocolError):
            return
        finally:
            self.open_connections -= 1
            self._tasks.discard(task)
            writer.close()

    async def _next_request(
        self, client: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> h11.Request | None:
        started: float | None = None
        fed = len(client.trailing_data[0])  # bytes of this request head so far (pipelined ones included)
        while True:
            try:
                event = client.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                writer.write(_canned(status, f"Bad request: {exc}".encode()))
                await asyncio.wait_for(writer.drain(), self.limits.body_timeout)
                return None
            if isinstance(event, h11.Request):
                # h11 bounds only an incomplete head: one that arrived whole in one read is measured here.
                if fed - len(client.trailing_data[0]) > self.limits.max_head_bytes:
                    writer.write(_canned(431, b"The request line and headers are too large."))
                    await asyncio.wait_for(writer.drain(), self.limits.body_timeout)
                    return None
                return event
            if event is not h11.NEED_DATA:
                return None  # ConnectionClosed, or PAUSED after a connection that must close
            if started is None and client.trailing_data[0]:
                started = time.monotonic()
            wait = (
                self.limits.idle_timeout
                if started is None
                else self.limits.head_timeout - (time.monotonic() - started)
            )
            try:
                data = await asyncio.wait_for(reader.read(_CHUNK), max(wait, 0.001))
            except TimeoutError:
                if started is not None:
                    writer.write(_canned(408, b"The request head did not arrive in time."))
                    with contextlib.suppress(OSError, asyncio.TimeoutError):
                        await asyncio.wait_for(writer.drain(), 1.0)
                return None
            if data and started is None:
                started = time.monotonic()
            fed += len(data)
            client.receive_data(data)

    def _outgoing(
        self, request: h11.Request, peer: str, request_id: bytes, upstream: Upstream
    ) -> list[tuple[bytes, bytes]]:
        received = list(request.headers.raw_items())
        fields = {name.lower(): value for name, value in received}
        host = fields.get(b"host", upstream.host_header)
        forwarded_for = (
            fields[b"x-forwarded-for"] + b", " if b"x-forwarded-for" in fields else b""
        ) + peer.encode()
        front_host = fields.get(b"x-forwarded-host") if self.trusted_front else None
        front_proto = fields.get(b"x-forwarded-proto") if self.trusted_front else None
        lines = [(n, v) for n, v in end_to_end(received) if n.lower() not in _REPLACED]
        if upstream is self.legacy or b"host" not in fields:
            lines = [(n, v) for n, v in lines if n.lower() != b"host"]
            lines.insert(0, (b"Host", upstream.host_header if upstream is self.legacy else host))
        if (
            b"chunked" in fields.get(b"transfer-encoding", b"").lower()
        ):  # chunked wins over a length (RFC 9112 §6.3)
            lines = [(n, v) for n, v in lines if n.lower() != b"content-length"]
            lines.append((b"Transfer-Encoding", b"chunked"))
        lines += [
            (b"X-Request-ID", request_id),
            (b"X-Forwarded-For", forwarded_for),
            (b"X-Forwarded-Host", front_host or host),
            (b"X-Forwarded-Proto", front_proto or b"http"),
        ]
        return lines

    async def _exchange(
        self,
        client: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        peer: str,
    ) -> bool:
        """Forward one request and its answer; False when the client connection must close."""
        started = time.perf_counter()
        request_id = _request_id(request)
        if self.local_only and not _is_loopback(peer):
            await self._send_problem(
                client,
                writer,
                request,
                request_id,
                403,
                "debug-remote-refused",
                "Forbidden",
                "DEBUG serves this machine only.",
            )
            return False
        upstream = self.gateway if is_owned(self.routes, request.target) else self.legacy
        pool = self._pools[upstream.name]
        headers = self._outgoing(request, peer, request_id, upstream)
        fields = {name.lower(): value for name, value in request.headers.raw_items()}
        has_body = b"chunked" in fields.get(b"transfer-encoding", b"").lower() or fields.get(
            b"content-length", b"0"
        ).strip() not in (b"", b"0")
        if not has_body and not isinstance(client.next_event(), h11.EndOfMessage):
            raise h11.RemoteProtocolError("a request without a length sent a body")
        outgoing = h11.Request(method=request.method, target=request.target, headers=headers)
        link: _Link | None = None
        pump: asyncio.Task | None = None
        answered = False
        try:
            for attempt in (1, 2):
                try:
                    link = await pool.acquire(fresh=attempt == 2)
                except (TimeoutError, OSError) as exc:
                    raise UpstreamFailed(503, f"The {upstream.name} system is unreachable.") from exc
                try:
                    await _send(link, outgoing, self.limits.read_timeout)
                    if not has_body:
                        await _send(link, h11.EndOfMessage(), self.limits.read_timeout)
                    else:
                        pump = asyncio.create_task(self._pump_body(client, reader, link))
                        # A client that stops sending: end the upstream exchange now, not at its read timeout.
                        pump.add_done_callback(
                            lambda task, link=link: task.cancelled() or (task.exception() and link.close())
                        )
                    event = await self._next_answer_event(link, client, writer)
                    break
                except (OSError, h11.RemoteProtocolError, _UpstreamClosed) as exc:
                    link.close()
                    # A kept-alive connection the upstream had just closed: once more on a new one,
                    # only when nothing of the request body has left (it cannot be sent twice).
                    if attempt == 1 and link.reused and not has_body:
                        continue
                    raise UpstreamFailed(502, f"The {upstream.name} system closed the connection.") from exc
                except TimeoutError as exc:
                    link.close()
                    raise UpstreamFailed(504, f"The {upstream.name} system did not answer in time.") from exc
            assert link is not None
            assert isinstance(event, h11.Response)
            status = event.status_code
            answer_lines = end_to_end(event.headers.raw_items())
            if not any(name.lower() == b"x-request-id" for name, _ in answer_lines):
                answer_lines.append((b"X-Request-ID", request_id))
            if pump is not None and not pump.done():
                # The body is still coming: close after this answer rather than reuse a half-read connection.
                answer_lines.append((b"Connection", b"close"))
            await _write(
                client,
                writer,
                h11.Response(status_code=event.status_code, headers=answer_lines, reason=event.reason),
                self.limits.body_timeout,
            )
            answered = True
            while True:
                try:
                    event = await _receive(link, self.limits.read_timeout)
                except (TimeoutError, OSError, h11.RemoteProtocolError, _UpstreamClosed):
                    link.close()
                    return False  # cut short: the client sees a truncated body, as from the upstream itself
                if isinstance(event, h11.Data):
                    await _write(client, writer, h11.Data(data=event.data), self.limits.body_timeout)
                elif isinstance(event, h11.EndOfMessage):
                    await _write(client, writer, h11.EndOfMessage(), self.limits.body_timeout)
                    break
            if pump is not None:
                if not pump.done():
                    pump.cancel()
                    link.close()
                    return False
                pump.result()
            pool.release(link)
            if upstream is self.legacy:  # the deployable logs its own requests (same request id)
                logger.info(
                    "%s %s -> legacy %s %.0fms request_id=%s",
                    request.method.decode(),
                    path_of(request.target),
                    status,
                    (time.perf_counter() - started) * 1000,
                    request_id.decode(),
                )
            return True
        except UpstreamFailed as raised:
            failure = raised
            if pump is not None and pump.done() and not pump.cancelled() and pump.exception() is not None:
                if not isinstance(pump.exception(), asyncio.TimeoutError):
                    return False  # the client went away mid-body: nobody to answer
                failure = UpstreamFailed(408, "The request body stopped arriving.")
            elif pump is not None:
                pump.cancel()
            logger.warning(
                "%s %s -> %s failed: %s request_id=%s",
                request.method.decode(),
                path_of(request.target),
                upstream.name,
                failure.detail,
                request_id.decode(),
            )
            if answered:
                return False
            timed_out = failure.status == 408
            await self._send_problem(
                client,
                writer,
                request,
                request_id,
                failure.status,
                "request-timeout" if timed_out else "upstream-unavailable",
                "Request timeout" if timed_out else "Service unavailable",
                failure.detail,
                retry_after=None if timed_out else 1,
            )
            return False
        except BaseException:
            if pump is not None:
                pump.cancel()
            if link is not None:
                link.close()
            raise

    async def _next_answer_event(
        self, link: _Link, client: h11.Connection, writer: asyncio.StreamWriter
    ) -> h11.Event:
        """The upstream's final answer head; 1xx answers (100 Continue) are passed on to the client."""
        deadline = time.monotonic() + self.limits.read_timeout
        while True:
            event = await _receive(link, max(deadline - time.monotonic(), 0.001))
            if isinstance(event, h11.InformationalResponse):
                if event.status_code != 101:
                    await _write(
                        client,
                        writer,
                        h11.InformationalResponse(
                            status_code=event.status_code,
                            headers=end_to_end(event.headers.raw_items()),
                            reason=event.reason,
                        ),
                        self.limits.body_timeout,
                    )
                continue
            return event

    async def _pump_body(self, client: h11.Connection, reader: asyncio.StreamReader, link: _Link) -> None:
        """The client's body to the upstream as it arrives (a slow client costs this coroutine only)."""
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(reader.read(_CHUNK), self.limits.body_timeout)
                if not data:
                    raise _ClientGone()
                client.receive_data(data)
                continue
            if isinstance(event, h11.Data):
                await _send(link, h11.Data(data=event.data), self.limits.read_timeout)
            elif isinstance(event, h11.EndOfMessage):
                await _send(link, h11.EndOfMessage(), self.limits.read_timeout)
                return
            else:
                raise _ClientGone()

    async def _send_problem(
        self,
        client: h11.Connection,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        request_id: bytes,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        retry_after: int | None = None,
    ) -> None:
        from skyway.errors import PROBLEM_CONTENT_TYPE, http_phrase, problem_body

        body = json.dumps(
            problem_body(
                status=status,
                code=code,
                title=title,
                detail=detail,
                instance=path_of(request.target),
                request_id=request_id.decode(),
            )
        ).encode()
        headers = [
            (b"Content-Type", PROBLEM_CONTENT_TYPE.encode()),
            (b"Content-Length", str(len(body)).encode()),
            (b"X-Request-ID", request_id),
            (b"Connection", b"close"),
        ]
        if retry_after is not None:
            headers.append((b"Retry-After", str(retry_after).encode()))
        if client.our_state is not h11.SEND_RESPONSE:
            return
        response = h11.Response(status_code=status, headers=headers, reason=http_phrase(status).encode())
        await _write(client, writer, response, self.limits.body_timeout)
        if request.method != b"HEAD":
            await _write(client, writer, h11.Data(data=body), self.limits.body_timeout)
        await _write(client, writer, h11.EndOfMessage(), self.limits.body_timeout)


class _UpstreamClosed(Exception):
    pass


async def _send(link: _Link, event: h11.Event, timeout: float) -> None:
    data = link.conn.send(event)
    if data:
        link.writer.write(data)
        await asyncio.wait_for(link.writer.drain(), timeout)


async def _receive(link: _Link, timeout: float) -> h11.Event:
    while True:
        event = link.conn.next_event()
        if event is h11.NEED_DATA:
            data = await asyncio.wait_for(link.reader.read(_CHUNK), timeout)
            link.conn.receive_data(data)
            continue
        if isinstance(event, h11.ConnectionClosed):
            raise _UpstreamClosed()
        return event


async def _write(
    client: h11.Connection, writer: asyncio.StreamWriter, event: h11.Event, timeout: float
) -> None:
    data = client.send(event)
    if data:
        writer.write(data)
        try:
            await asyncio.wait_for(writer.drain(), timeout)
        except (TimeoutError, OSError) as exc:
            raise _ClientGone() from exc


def _request_id(request: h11.Request) -> bytes:
    from skyway.request_id import request_id_accept

    incoming = next((v for n, v in request.headers.raw_items() if n.lower() == b"x-request-id"), b"")
    return request_id_accept(incoming.decode("latin-1")).encode()


def _is_loopback(peer: str) -> bool:
    from skyway.debug_guard import is_loopback

    return is_loopback(peer)


def _canned(status: int, text: bytes, *, retry_after: int | None = None) -> bytes:
    """A whole answer for a connection the edge closes before any request could be forwarded."""
    from skyway.errors import http_phrase

    extra = f"Retry-After: {retry_after}\r\n" if retry_after is not None else ""
    head = (
        f"HTTP/1.1 {status} {http_phrase(status)}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(text)}\r\n{extra}Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + text


# ---- the process ---------------------------------------------------------------------------------


def build(*, gateway_url: str, legacy_url: str | None) -> Edge:
    """The edge for the running settings (django.setup() done): refuses what cannot work, with the reason."""
    from django.conf import settings

    legacy_url = legacy_url or settings.LEGACY_UPSTREAM_URL
    if not legacy_url:
        raise SystemExit(
            "skyway.strangler: LEGACY_UPSTREAM_URL is not set. Without a legacy upstream the deployable "
            "is the public listener itself; start the edge only in front of a legacy system."
        )
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if not settings.DEBUG and trusted < 1:
        raise SystemExit(
            "skyway.strangler: set TRUSTED_PROXY_COUNT to count the edge (1, plus any proxy in front of it): "
            "behind the edge every request comes from its address, so the login brake (ADR 65) would "
            "share one budget between all clients."
        )
    return Edge(
        routes=owned_routes(),
        gateway=Upstream.from_url("gateway", gateway_url),
        legacy=Upstream.from_url("legacy", legacy_url),
        trusted_front=trusted > 1,
        local_only=bool(settings.DEBUG),
    )


async def _serve(edge: Edge, host: str, port: int, graceful: float) -> None:
    server = await edge.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    logger.info(
        "strangler edge on %s:%s: owned -> %s:%s, the rest -> %s:%s",
        host,
        port,
        edge.gateway.host,
        edge.gateway.port,
        edge.legacy.host,
        edge.legacy.port,
    )
    await stop.wait()
    server.close()
    await edge.drain(graceful)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m skyway.strangler", description=__doc__.split("\n")[0])
    parser.add_argument("--settings", default=os.environ.get("DJANGO_SETTINGS_MODULE", "settings.gateway"))
    parser.add_argument(
        "--gateway",
        default=os.environ.get("STRANGLER_GATEWAY_URL"),
        help="the deployable behind the edge, e.g. http://127.0.0.1:8010",
    )
    parser.add_argument("--legacy", default=None, help="default: settings.LEGACY_UPSTREAM_URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--graceful-timeout", type=float, default=float(os.environ.get("WEB_GRACEFUL_TIMEOUT", "20"))
    )
    parser.add_argument("--routes", action="store_true", help="print the owned routes and exit")
    args = parser.parse_args(argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    import django

    django.setup()
    if args.routes:
        for route in owned_routes():
            print(route)
        return
    if not args.gateway:
        raise SystemExit(
            "skyway.strangler: --gateway (or STRANGLER_GATEWAY_URL) names the deployable behind the edge"
        )
    edge = build(gateway_url=args.gateway, legacy_url=args.legacy)
    asyncio.run(_serve(edge, args.host, args.port, args.graceful_timeout))


@dataclass
class EdgeProcess:
    """`python -m skyway.strangler` on loopback in front of `gateway_url`, for tests and benches."""

    settings_module: str
    gateway_url: str
    port: int
    env: dict[str, str]
    log_path: object = None
    graceful_timeout: float = 5.0

    def __post_init__(self) -> None:
        from skyway.serve import ServerProcess

        self._server = ServerProcess(
            self.settings_module,
            self.port,
            self.env,
            log_path=self.log_path,
            graceful_timeout=self.graceful_timeout,
        )
        self._server.command = self.command  # type: ignore[method-assign]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "skyway.strangler",
            "--settings",
            self.settings_module,
            "--gateway",
            self.gateway_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--graceful-timeout",
            str(self.graceful_timeout),
        ]

    def start(self, timeout: float = 30.0) -> EdgeProcess:
        self._server.start(timeout)  # ready when /ping answers through the edge
        return self

    def stop(self) -> None:
        self._server.stop()


if __name__ == "__main__":
    sys.exit(main())
