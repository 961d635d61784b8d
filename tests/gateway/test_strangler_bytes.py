"""The strangler forward is byte-faithful (issue 18, ADR 81): a live gateway between a raw
client and a raw 'legacy' server, comparing what each side sent with what the other side received.

Both ends are plain sockets, so nothing in the test normalises what the gateway did: the legacy
server records the request bytes it receives and answers with canned bytes; the client sends canned
bytes and records the response bytes. Header names are compared case-insensitively (RFC 9110 §5.1;
gunicorn upper-cases them on parsing), everything else byte for byte.
"""

from __future__ import annotations

import gzip
import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.faults.deployment import private_env
from tests.support.live import LiveService, start_service

pytestmark = pytest.mark.e2e

# Lines only the proxy adds or replaces on the way in, and the serving layer's own on the way out.
PROXY_ADDED = {"host", "x-request-id", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}
SERVER_WRITTEN = {"server", "date", "connection", "transfer-encoding"}
# What the gateway's own middleware adds to every answer (never under a name the legacy system sent).
GATEWAY_ADDED = {
    "x-request-id",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "x-frame-options",
}

BINARY = bytes(range(256)) * 33  # every byte value, larger than one 8 KiB read
GZIPPED = gzip.compress(b'{"legacy": "compressed page"}', mtime=0)


@dataclass(frozen=True)
class Case:
    name: str
    request: bytes  # what the client sends (without the Host line, added per port)
    response: bytes  # what the legacy system answers


def _http(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body


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


@dataclass
class Message:
    start: bytes
    headers: list[tuple[str, bytes]]  # (lower-cased name, raw value)
    body: bytes


def _read_message(stream) -> Message:
    start = stream.readline().rstrip(b"\r\n")
    headers = []
    while (line := stream.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.rstrip(b"\r\n").partition(b":")
        headers.append((name.decode("latin-1").lower(), value.strip(b" \t")))
    fields = dict(headers)
    if b"chunked" in fields.get("transfer-encoding", b""):
        body = b""
        while size := int(stream.readline().split(b";")[0], 16):
            body += stream.read(size)
            stream.readline()
        stream.readline()
    else:
        body = stream.read(int(fields.get("content-length", b"0")))
    return Message(start, headers, body)


def _parse(raw: bytes) -> Message:
    return _read_message(io.BytesIO(raw))


class RawLegacy:
    """A legacy system on a raw socket: records each request's bytes, answers the next canned response."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.received: list[Message] = []
        self.answer = b""
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as stream:
            while True:  # keep-alive: the gateway's pool reuses connections
                message = _read_message(stream)
                if not message.start:
                    return
                self.received.append(message)
                conn.sendall(self.answer)

    def close(self) -> None:
        self.sock.close()


def _exchange(port: int, request: bytes) -> Message:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        with sock.makefile("rb") as stream:
            return _read_message(stream)


def _with_host(request: bytes, port: int) -> bytes:
    line, rest = request.split(b"\r\n", 1)
    return line + f"\r\nHost: 127.0.0.1:{port}\r\nConnection: close".encode() + b"\r\n" + rest


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[RawLegacy, LiveService]]:
    legacy = RawLegacy()
    var = tmp_path_factory.mktemp("strangler")
    env = private_env(
        var,
        LEGACY_UPSTREAM_URL=legacy.url,
        FLIGHTS_URL="http://127.0.0.1:9",
        RESERVATIONS_URL="http://127.0.0.1:9",
    )
    gateway = start_service("settings.gateway", env=env, workers=1, threads=2, log_dir=var)
    try:
        yield legacy, gateway
    finally:
        gateway.stop()
        legacy.close()


# Behind skyway.serve (granian, ADR 60) these four lose what ADR 81 promises: the ASGI scope cannot
# tell "?" from no query, granian joins repeated request header lines, and hyper regroups response
# header lines by name. Strict: when the serving layer keeps them again, these must pass.
LOST_BEHIND_GRANIAN = {
    "empty query string",
    "repeated headers both ways",
    "cookies both ways",
    "3xx redirect",
}
_LOST = pytest.mark.xfail(strict=True, reason="not byte-faithful behind granian (ADR 60 vs ADR 81)")


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, id=case.name, marks=_LOST if case.name in LOST_BEHIND_GRANIAN else ())
        for case in CASES
    ],
)
def test_the_legacy_system_and_the_client_each_get_the_other_sides_bytes(stack, case):
    legacy, gateway = stack
    legacy.answer = case.response
    legacy.received.clear()
    sent = _parse(case.request)

    got = _exchange(gateway.port, _with_host(case.request, gateway.port))

    assert len(legacy.received) == 1
    arrived = legacy.received[0]
    # The request: same request line, same header lines in order (repeats as separate lines), same body.
    assert arrived.start == sent.start
    assert [h for h in arrived.headers if h[0] not in PROXY_ADDED] == [
        h for h in sent.headers if h[0] not in HOP_BY_HOP
    ]
    assert arrived.body == sent.body
    assert {name for name, _ in arrived.headers} >= {"x-request-id", "x-forwarded-for", "host"}
    # The answer: same status line, the legacy lines first and unchanged, the same body bytes.
    answer = _parse(case.response)
    assert got.start == answer.start
    app_lines = [h for h in got.headers if h[0] not in SERVER_WRITTEN]
    assert app_lines[: len(answer.headers)] == answer.headers
    assert {name for name, _ in app_lines[len(answer.headers) :]} <= GATEWAY_ADDED
    assert got.body == answer.body
