"""The strangler edge in process (ADR 155): which paths are the gateway's, and the edge's bounds.

The edge runs on an event loop in a thread of the test process, in front of two loopback servers;
the byte-for-byte table against a live gateway is tests/gateway/test_strangler_bytes.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import Resolver404, URLResolver, get_resolver, re_path

from skyway import strangler
from skyway.serve import free_port
from skyway.strangler import Edge, Limits, Route, Upstream, is_owned, owned_routes
from tests.gateway.raw_http import Message, RawLegacy, http, read_message

GATEWAY_URLCONF = "settings.urls.gateway"
UNOWNED = ["/old/booking/42", "/pingx", "/api", "/apix/y", "/health/deep", "/schema/other", "/admin"]


def _samples(patterns, base: str = "/") -> Iterator[str]:
    """One concrete path per URL pattern of the URLconf (converters filled in, regex parts skipped)."""
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if "<" not in route and not route.startswith("^"):
                yield from _samples(entry.url_patterns, base + route)
            continue
        if route.startswith("^"):
            continue
        parts = route.split("<")
        yield base + parts[0] + "".join("x" + part.split(">", 1)[1] for part in parts[1:])


def test_every_path_of_the_gateways_urlconf_is_owned_and_the_rest_is_not():
    routes = owned_routes(GATEWAY_URLCONF)
    resolver = get_resolver(GATEWAY_URLCONF)
    samples = list(_samples(resolver.url_patterns))

    assert len(samples) > 15  # the walk found the API, the ops paths, the admin and the browsable API
    for path in samples:
        resolver.resolve(path)  # a real gateway path …
        assert is_owned(routes, path.encode()), path  # … goes to the gateway
    for path in UNOWNED:
        with pytest.raises(Resolver404):
            resolver.resolve(path)
        assert not is_owned(routes, path.encode()), path
    assert is_owned(routes, b"/static/gateway/seat_chart.js")  # WhiteNoise serves these
    assert is_owned(routes, b"/api/flights?flight_no=AA2532")  # the query does not take part
    assert is_owned(routes, b"/api/%66lights")  # decoded as Django decodes the path


def test_the_owned_routes_are_the_gateways_own_few_prefixes():
    routes = owned_routes(GATEWAY_URLCONF)

    assert Route("/api/flights/", prefix=True) in routes
    assert Route("/admin/", prefix=True) in routes
    assert Route("/", prefix=False) in routes  # the seat-chart page, exactly
    assert not any(route.path.startswith("/admin/") and route.path != "/admin/" for route in routes)


def test_a_urlconf_that_owns_every_path_is_refused():
    class CatchAll:  # a URLconf module's shape (hashable: get_resolver caches by it)
        urlpatterns = [re_path(r"^(?P<path>.*)$", lambda request, path: HttpResponse())]

    with pytest.raises(ValueError, match="owns every path"):
        owned_routes(CatchAll)


def test_outside_debug_the_edge_needs_a_legacy_upstream_and_a_trusted_proxy_count():
    no_legacy = override_settings(DEBUG=False, LEGACY_UPSTREAM_URL="", TRUSTED_PROXY_COUNT=1)
    no_proxy = override_settings(DEBUG=False, LEGACY_UPSTREAM_URL="http://127.0.0.1:9", TRUSTED_PROXY_COUNT=0)

    with no_legacy, pytest.raises(SystemExit, match="LEGACY_UPSTREAM_URL is not set"):
        strangler.build(gateway_url="http://127.0.0.1:9", legacy_url=None)
    with no_proxy, pytest.raises(SystemExit, match="TRUSTED_PROXY_COUNT"):
        strangler.build(gateway_url="http://127.0.0.1:9", legacy_url=None)


# ---- a running edge --------------------------------------------------------------------------------


@contextmanager
def running_edge(gateway_url: str, legacy_url: str, **limits: float) -> Iterator[Edge]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    edge = Edge(
        routes=owned_routes(GATEWAY_URLCONF),
        gateway=Upstream.from_url("gateway", gateway_url),
        legacy=Upstream.from_url("legacy", legacy_url),
        limits=Limits(**limits),
    )
    edge.port = free_port()  # type: ignore[attr-defined]
    server = asyncio.run_coroutine_threadsafe(edge.start("127.0.0.1", edge.port), loop).result(10)  # type: ignore[attr-defined]
    try:
        yield edge
    finally:
        loop.call_soon_threadsafe(server.close)
        asyncio.run_coroutine_threadsafe(edge.drain(1.0), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def _wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def _request(port: int, raw: bytes, timeout: float = 10) -> Message:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        with sock.makefile("rb") as stream:
            return read_message(stream)


GATEWAY_ANSWER = http(
    "HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 23\n", b'{"serviceId":"gateway"}'
)
LEGACY_ANSWER = http("HTTP/1.1 200 OK\nContent-Length: 6\n", b"legacy")


@pytest.fixture
def upstreams() -> Iterator[tuple[RawLegacy, RawLegacy]]:
    gateway, legacy = RawLegacy(), RawLegacy()
    gateway.answer, legacy.answer = GATEWAY_ANSWER, LEGACY_ANSWER
    yield gateway, legacy
    gateway.close()
    legacy.close()


def test_owned_paths_go_to_the_gateway_with_the_clients_host_the_rest_to_legacy(upstreams):
    gateway, legacy = upstreams
    with running_edge(gateway.url, legacy.url) as edge:
        ping = _request(edge.port, http("GET /ping HTTP/1.1\nHost: skyway.example\nConnection: close\n"))
        old = _request(edge.port, http("GET /old/x HTTP/1.1\nHost: skyway.example\nConnection: close\n"))

    assert (ping.body, old.body) == (b'{"serviceId":"gateway"}', b"legacy")
    assert [m.start for m in gateway.received] == [b"GET /ping HTTP/1.1"]
    assert [m.start for m in legacy.received] == [b"GET /old/x HTTP/1.1"]
    assert dict(gateway.received[0].headers)["host"] == b"skyway.example"
    assert dict(legacy.received[0].headers)["x-forwarded-host"] == b"skyway.example"


def test_the_forwarded_for_chain_grows_and_an_untrusted_proto_is_replaced(upstreams):
    _, legacy = upstreams
    with running_edge(legacy.url, legacy.url) as edge:
        _request(edge.port, http("GET /old/x HTTP/1.1\nHost: h\nX-Forwarded-For: 203.0.113.9\n"
                                 "X-Forwarded-Proto: https\nConnection: close\n"))  # fmt: skip

    fields = dict(legacy.received[0].headers)
    assert fields["x-forwarded-for"] == b"203.0.113.9, 127.0.0.1"
    assert fields["x-forwarded-proto"] == b"http"  # no trusted proxy before the edge: what it saw


def test_a_kept_alive_client_and_upstream_connection_serve_several_requests(upstreams):
    _, legacy = upstreams
    answers = []
    with (
        running_edge(legacy.url, legacy.url) as edge,
        socket.create_connection(("127.0.0.1", edge.port), timeout=10) as sock,
        sock.makefile("rb") as stream,
    ):
        for n in range(3):
            sock.sendall(http(f"GET /old/{n} HTTP/1.1\nHost: h\n"))
            answers.append(read_message(stream).body)

    assert answers == [b"legacy"] * 3
    assert legacy.connections == 1  # one upstream connection, reused


def test_a_chunked_request_body_is_forwarded_chunked(upstreams):
    _, legacy = upstreams
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    with running_edge(legacy.url, legacy.url) as edge:
        answer = _request(edge.port, http("POST /old/upload HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n"
                                          "Connection: close\n", body))  # fmt: skip

    assert answer.body == b"legacy"
    assert legacy.received[0].body == b"hello world"
    assert dict(legacy.received[0].headers)["transfer-encoding"] == b"chunked"


def test_a_legacy_system_down_is_a_503_problem_naming_it(upstreams):
    gateway, _ = upstreams
    with running_edge(gateway.url, f"http://127.0.0.1:{free_port()}") as edge:
        answer = _request(edge.port, http("GET /old/x HTTP/1.1\nHost: h\n"))

    fields = dict(answer.headers)
    assert answer.start == b"HTTP/1.1 503 Service Unavailable"
    assert fields["content-type"] == b"application/problem+json"
    assert fields["retry-after"] == b"1"
    problem = json.loads(answer.body)
    assert (problem["status"], problem["detail"]) == (503, "The legacy system is unreachable.")
    assert problem["request_id"] == fields["x-request-id"].decode()


def test_a_head_over_the_limit_is_431_without_reaching_an_upstream(upstreams):
    gateway, legacy = upstreams
    with running_edge(gateway.url, legacy.url) as edge:
        answer = _request(edge.port, http("GET /old/x HTTP/1.1\nHost: h\nX-Big: " + "a" * 20_000 + "\n"))

    assert answer.start.startswith(b"HTTP/1.1 431")
    assert legacy.received == gateway.received == []


def test_a_head_that_stops_arriving_is_408(upstreams):
    gateway, legacy = upstreams
    with running_edge(gateway.url, legacy.url, head_timeout=0.2) as edge:
        answer = _request(edge.port, b"GET /old/x HTTP/1.1\r\nHost: h\r\n")  # the blank line never comes

    assert answer.start.startswith(b"HTTP/1.1 408")


def test_connections_over_the_limit_get_503_and_the_others_are_served(upstreams):
    gateway, legacy = upstreams
    with running_edge(gateway.url, legacy.url, max_connections=2) as edge, ExitStack() as held:
        for _ in range(2):
            held.enter_context(socket.create_connection(("127.0.0.1", edge.port), timeout=10))
        _wait_until(lambda: edge.open_connections == 2)

        refused = _request(edge.port, http("GET /ping HTTP/1.1\nHost: h\n"))

    assert refused.start == b"HTTP/1.1 503 Service Unavailable"
    assert dict(refused.headers)["retry-after"] == b"1"


def test_slow_request_bodies_do_not_hold_up_other_connections(upstreams):
    """ADR 60's guarantee at the edge: 50 clients withholding their bodies, /ping still answers at once."""
    gateway, legacy = upstreams
    slow_head = http("POST /old/upload HTTP/1.1\nHost: h\nContent-Length: 10\n")
    with running_edge(gateway.url, legacy.url) as edge, ExitStack() as held:
        slow = [
            held.enter_context(socket.create_connection(("127.0.0.1", edge.port), timeout=10))
            for _ in range(50)
        ]
        for sock in slow:
            sock.sendall(slow_head)
        _wait_until(lambda: len(legacy.pending) == 50)  # every head forwarded, every body still awaited

        ping = _request(edge.port, http("GET /ping HTTP/1.1\nHost: h\nConnection: close\n"), timeout=1)
        for sock in slow:
            sock.sendall(b"0123456789")
        answers = [read_message(sock.makefile("rb")) for sock in slow]

    assert ping.body == b'{"serviceId":"gateway"}'
    assert {answer.body for answer in answers} == {b"legacy"}
    assert {message.body for message in legacy.received} == {b"0123456789"}
