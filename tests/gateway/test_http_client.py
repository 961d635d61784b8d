"""The pooled urllib3 HTTP client of the upstream clients, against real loopback HTTP servers."""

from __future__ import annotations

import json
import socket
import threading

import httpx
import pytest

from gateway.clients.base import StatelessClient
from gateway.clients.http import PooledHTTPClient
from tests.gateway.wsgi_servers import wsgi_server

TIMEOUT = httpx.Timeout(connect=0.5, read=0.3, write=0.3, pool=0.5)


def echo(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    answer = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ.get("QUERY_STRING", ""),
        "content_type": environ.get("CONTENT_TYPE", ""),
        "request_id": environ.get("HTTP_X_REQUEST_ID"),
        "body": body.decode(),
    }
    status = "404 Not Found" if environ["PATH_INFO"].endswith("/missing") else "200 OK"
    start_response(
        status, [("Content-Type", "application/json"), ("Set-Cookie", "sessionid=upstream; Path=/")]
    )
    return [json.dumps(answer).encode()]


# Released by the test once its client has given up: until then the upstream holds its answer.
# (The bound only frees the server thread should a test die before releasing it.)
answer_released = threading.Event()
HOLD_BOUND_S = 30.0


def slow(environ, start_response):
    answer_released.wait(HOLD_BOUND_S)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"late"]


def test_get_with_params_headers_and_a_path_prefix():
    with wsgi_server(echo) as url:
        client = PooledHTTPClient(f"{url}/prefix/", timeout=TIMEOUT)
        response = client.request(
            "GET", "/reservations", params={"flight_id": "a b&c"}, headers={"X-Request-ID": "r1"}
        )

    assert isinstance(response, httpx.Response)
    assert response.status_code == 200
    echoed = response.json()
    assert (echoed["method"], echoed["path"], echoed["query"]) == (
        "GET",
        "/prefix/reservations",
        "flight_id=a+b%26c",
    )
    assert (echoed["request_id"], echoed["body"]) == ("r1", "")


def test_json_bodies_and_non_2xx_answers_come_back_as_responses():
    with wsgi_server(echo) as url:
        client = PooledHTTPClient(url, timeout=TIMEOUT)
        put = client.request("PUT", "/reservations", json={"seat_num": "1A", "name": "Zoë"})
        missing = client.get("/missing")

    assert put.json()["content_type"] == "application/json"
    assert json.loads(put.json()["body"]) == {"seat_num": "1A", "name": "Zoë"}
    assert missing.status_code == 404
    assert missing.reason_phrase == "Not Found"


def test_a_refused_connection_is_an_httpx_connect_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        client = PooledHTTPClient(f"http://127.0.0.1:{port}", timeout=TIMEOUT)
        with pytest.raises(httpx.ConnectError):
            client.get("/ping")


def test_a_slow_answer_is_an_httpx_read_timeout():
    answer_released.clear()
    with wsgi_server(slow) as url:
        client = PooledHTTPClient(url, timeout=TIMEOUT)
        try:
            # The upstream holds its answer until released below: only the client's own read timeout
            # can end this call, and a client without one would get "late" instead (no clock involved) ...
            with pytest.raises(httpx.ReadTimeout):
                client.get("/ping")
        finally:
            answer_released.set()
    # ... and the bound it gave up at is the configured read timeout, not urllib3's default.
    assert client._pool.timeout.read_timeout == TIMEOUT.read
    assert client._pool.timeout.connect_timeout == TIMEOUT.connect


def test_only_http_urls_are_accepted():
    with pytest.raises(ValueError, match="upstream URL"):
        PooledHTTPClient("flights:8001", timeout=TIMEOUT)


def test_the_in_process_client_never_replays_an_upstreams_cookie():
    seen = []

    def app(environ, start_response):
        seen.append(environ.get("HTTP_COOKIE"))
        return echo(environ, start_response)

    client = StatelessClient(transport=httpx.WSGITransport(app=app), base_url="http://upstream")
    client.get("/first")
    client.get("/second")

    assert seen == [None, None]
    with pytest.raises(ValueError):
        client.cookies = {"sessionid": "x"}
