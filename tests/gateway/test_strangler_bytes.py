"""The strangler forward is byte-faithful (issue 18, ADR 155): the strangler edge in front of a live
gateway, between a raw client and a raw 'legacy' server, comparing what each side sent with what the
other side received.

Both ends are plain sockets, so nothing in the test normalises what the edge did: the legacy server
records the request bytes it receives and answers with canned bytes; the client sends canned bytes
and records the response bytes. Everything is compared byte for byte, header names included (the
edge keeps their case), except the lines the edge adds (PROXY_ADDED) and hop-by-hop ones.
"""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from skyway.strangler import EdgeProcess
from tests.faults.deployment import private_env
from tests.gateway.raw_http import Message, RawLegacy
from tests.gateway.raw_http import http as _http
from tests.gateway.raw_http import parse as _parse
from tests.gateway.raw_http import read_message as _read_message
from tests.support.live import LiveService, free_port, start_service

pytestmark = pytest.mark.e2e

# Lines only the proxy adds or replaces on the way in, and the serving layer's own on the way out.
PROXY_ADDED = {"host", "x-request-id", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}
SERVER_WRITTEN = {"connection", "transfer-encoding"}
# What the edge adds to an answer (only when the legacy system sent none).
EDGE_ADDED = {"x-request-id"}

BINARY = bytes(range(256)) * 33  # every byte value, larger than one 8 KiB read
GZIPPED = gzip.compress(b'{"legacy": "compressed page"}', mtime=0)


@dataclass(frozen=True)
class Case:
    name: str
    request: bytes  # what the client sends (without the Host line, added per port)
    response: bytes  # what the legacy system answers


CASES = [
    Case(
        "no query string",
        _http("GET /old/booking/42 HTTP/1.1\nAccept: */*\n"),
        _http("HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 2\n", b"ok"),
    ),
    Case(
        "empty query string",
        _http("GET /old/search? HTTP/1.1\n"),
        _http("HTTP/1.1 200 OK\nContent-Length: 0\n"),
    ),
    Case(
        "repeated query keys, encoded characters",
        _http("GET /old/search?a=1&a=2&b=%2F%20x&c HTTP/1.1\nUser-Agent: legacy-test/1\n"),
        _http("HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 2\n", b"[]"),
    ),
    Case(
        "repeated headers both ways",
        _http(
            "GET /old/feed HTTP/1.1\nX-Tag: a\nAccept: text/html\nX-Tag: b, c\n"
            "Accept-Language: en\nAccept-Language: fr;q=0.5\n"
        ),
        _http(
            "HTTP/1.1 200 OK\nX-Multi: 1\nLink: </a>; rel=preload\nX-Multi: 2\nLink: </b>; rel=preload\n"
            "Vary: Accept\nVary: Accept-Language\nContent-Length: 4\n",
            b"feed",
        ),
    ),
    Case(
        "binary body both ways, encoded answer untouched",
        _http(
            f"POST /old/upload HTTP/1.1\nContent-Type: application/octet-stream\n"
            f"Content-Length: {len(BINARY)}\nAccept-Encoding: gzip\n",
            BINARY,
        ),
        _http(
            f"HTTP/1.1 201 Created\nContent-Type: application/json\nContent-Encoding: gzip\n"
            f"Content-Length: {len(GZIPPED)}\n",
            GZIPPED,
        ),
    ),
    Case(
        "cookies both ways",
        _http("GET /old/account HTTP/1.1\nCookie: legacy_session=abc; theme=dark\n"),
        _http(
            "HTTP/1.1 200 OK\nSet-Cookie: legacy_session=xyz; Path=/; HttpOnly; SameSite=Lax\n"
            'Set-Cookie: prefs="a,b"; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/old\n'
            "Content-Length: 0\n"
        ),
    ),
    Case(
        "3xx redirect",
        _http("GET /old/login?next=/old/account HTTP/1.1\n"),
        _http("HTTP/1.1 302 Found\nLocation: /old/sso?from=legacy\nContent-Length: 0\n"),
    ),
    Case(
        "4xx",
        _http("DELETE /old/booking/7 HTTP/1.1\n"),
        _http("HTTP/1.1 404 Not Found\nContent-Type: text/html\nContent-Length: 9\n", b"not found"),
    ),
    Case(
        "5xx",
        _http("PUT /old/checkin HTTP/1.1\nContent-Type: text/plain\nContent-Length: 3\n", b"pnr"),
        _http("HTTP/1.1 503 Service Unavailable\nRetry-After: 7\nContent-Length: 4\n", b"down"),
    ),
]


def _exchange(port: int, request: bytes) -> Message:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        with sock.makefile("rb") as stream:
            return _read_message(stream)


def _with_host(request: bytes, port: int) -> bytes:
    line, rest = request.split(b"\r\n", 1)
    return line + f"\r\nHost: 127.0.0.1:{port}\r\nConnection: close".encode() + b"\r\n" + rest


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[RawLegacy, LiveService, EdgeProcess]]:
    legacy = RawLegacy()
    var = tmp_path_factory.mktemp("strangler")
    env = private_env(
        var,
        LEGACY_UPSTREAM_URL=legacy.url,
        FLIGHTS_URL="http://127.0.0.1:9",
        RESERVATIONS_URL="http://127.0.0.1:9",
        TRUSTED_PROXY_COUNT="1",  # the edge is the gateway's one trusted proxy
    )
    gateway = start_service("settings.gateway", env=env, workers=1, threads=2, log_dir=var)
    edge = EdgeProcess("settings.gateway", gateway.url, free_port(), env, log_path=var / "edge.log")
    try:
        edge.start()
        yield legacy, gateway, edge
    finally:
        edge.stop()
        gateway.stop()
        legacy.close()


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
def test_the_legacy_system_and_the_client_each_get_the_other_sides_bytes(stack, case):
    legacy, _, edge = stack
    legacy.answer = case.response
    legacy.received.clear()
    sent = _parse(case.request)

    got = _exchange(edge.port, _with_host(case.request, edge.port))

    assert len(legacy.received) == 1
    arrived = legacy.received[0]
    # The request: same request line, same header lines in order (names' case, repeats as separate
    # lines), same body.
    assert arrived.start == sent.start
    assert [h for h in arrived.lines if h[0].lower() not in PROXY_ADDED] == [
        h for h in sent.lines if h[0].lower() not in HOP_BY_HOP
    ]
    assert arrived.body == sent.body
    assert {name for name, _ in arrived.headers} >= {"x-request-id", "x-forwarded-for", "host"}
    assert dict(arrived.headers)["host"] == legacy.url.removeprefix("http://").encode()
    # The answer: same status line, the legacy lines first and unchanged, the same body bytes.
    answer = _parse(case.response)
    assert got.start == answer.start
    app_lines = [h for h in got.lines if h[0].lower() not in SERVER_WRITTEN]
    assert app_lines[: len(answer.lines)] == answer.lines
    assert {name.lower() for name, _ in app_lines[len(answer.lines) :]} <= EDGE_ADDED
    assert got.body == answer.body


def test_the_gateways_own_paths_reach_the_gateway_through_the_edge(stack):
    legacy, gateway, edge = stack
    legacy.received.clear()

    ping = _exchange(
        edge.port, _with_host(_http("GET /ping HTTP/1.1\nX-Request-ID: edge-test-1\n"), edge.port)
    )
    flights = _exchange(
        edge.port, _with_host(_http("GET /api/flights?flight_no=AA2532 HTTP/1.1\n"), edge.port)
    )
    direct = _exchange(
        gateway.port, _with_host(_http("GET /api/flights?flight_no=AA2532 HTTP/1.1\n"), gateway.port)
    )

    assert legacy.received == []
    assert ping.start == b"HTTP/1.1 200 OK"
    assert b'"serviceId":"gateway"' in ping.body.replace(b" ", b"")
    assert dict(ping.headers)["x-request-id"] == b"edge-test-1"  # one id: the edge's is the gateway's
    assert flights.start == direct.start  # the gateway's own answer (no token: its problem document)
    assert dict(flights.headers)["content-type"] == b"application/problem+json"
    assert flights.body.split(b'"request_id"')[0] == direct.body.split(b'"request_id"')[0]
