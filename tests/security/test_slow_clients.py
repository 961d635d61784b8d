"""Slow clients must not starve the gateway (issue 10): 50 slow-body connections, /ping still answers.

The gateway is started the way the image starts it: through the launcher (skyway.serve) with the
launcher's own sizing for the gateway (1 worker x 16 threads, the k8s Deployment's WEB_* values).
Each slow client sends a token request's headers with Content-Length: 1000 and one byte of the
body, then holds the rest. On a server that gives the socket to a thread when the headers are in
(gunicorn gthread, granian's WSGI interface), those 50 requests hold all 16 threads and /ping
times out; behind the launcher's buffering front they cost a coroutine each.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveService
from tests.support.lone_gateway import lone_gateway
from tests.support.waits import wait_until

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast

SLOW_CLIENTS = 50
# Blank credentials: refused by validation (400) without a password hash, so 50 answers come quickly.
BODY = json.dumps({"username": "", "password": ""}).ljust(1000).encode()


def listen_backlog_and_established(port: int) -> tuple[int | None, int]:
    """From /proc/net/tcp: the listening socket's accept queue length and the established count."""
    backlog, established = None, 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port != port:
            continue
        state, rx_queue = fields[3], int(fields[4].split(":")[1], 16)
        if state == "0A":  # LISTEN: rx_queue is the number of connections not yet accept()ed
            backlog = rx_queue
        elif state == "01":
            established += 1
    return backlog, established


@pytest.fixture
def gateway(tmp_path) -> Iterator[LiveService]:
    # workers/threads None: the launcher's gateway sizing, as in production. The attacker spreads over
    # many addresses; a per-address throttle must not be what saves us.
    with lone_gateway(
        tmp_path, workers=None, threads=None, GATEWAY_AUTH_THROTTLE_RATE="100000/min"
    ) as service:
        yield service


@pytest.fixture
def slow_clients(gateway: LiveService) -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    try:
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=5)
            sock.sendall(
                b"POST /api/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY[:1]
            )
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def test_fifty_slow_body_connections_leave_ping_answering_within_a_second(gateway, slow_clients) -> None:
    # Every slow connection is established and accept()ed by the server before we probe.
    def all_accepted() -> bool:
        backlog, established = listen_backlog_and_established(gateway.port)
        return backlog == 0 and established >= SLOW_CLIENTS

    assert wait_until(all_accepted, timeout=20.0, interval=0.05), listen_backlog_and_established(gateway.port)

    response = httpx.get(f"{gateway.url}/ping", timeout=1.0)

    assert response.status_code == 200
    # The slow requests were held, not dropped: their bodies complete now and each gets an answer
    # from the token endpoint (blank credentials: a 4xx in the API's envelope).
    for sock in slow_clients:
        sock.sendall(BODY[1:])
    for sock in slow_clients:
        sock.settimeout(30)
        status_line = sock.recv(64).split(b"\r\n", 1)[0]
        assert status_line.startswith(b"HTTP/1.1 4"), status_line
