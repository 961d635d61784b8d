"""The front router ahead of the gateway on one machine (deploy/front.py, ADR 147), against real sockets."""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deploy.analysis import snapshot_parse
from deploy.front import FrontRouter
from deploy.routes import routes_set
from tests.support.live import free_port


class Backend(ThreadingHTTPServer):
    """A loopback HTTP server that answers with its name and counts what it received."""

    daemon_threads = True

    def __init__(self, name: str, *, drop: bool = False) -> None:
        self.name, self.drop, self.seen = name, drop, Counter()
        super().__init__(("127.0.0.1", free_port()), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def answer(self, body: bytes = b"") -> None:
        server: Backend = self.server  # type: ignore[assignment]
        server.seen[self.command] += 1
        if server.drop:  # read the request, then hang up without an answer
            self.close_connection = True
            self.connection.close()
            return
        payload = json.dumps({"name": server.name, "body": body.decode(), "xff": self.headers["X-Forwarded-For"],
                              "host": self.headers["Host"], "target": self.path}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backends() -> Iterator[dict[str, Backend]]:
    servers = {name: Backend(name, drop=name == "dropping") for name in ("blue", "green", "dropping")}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


def call(
    front: FrontRouter, method: str = "GET", path: str = "/api/x", body: bytes = b"", query: str = ""
) -> tuple[str, bytes]:
    """One request as the launcher hands it over: the path decoded, the query as received, no raw target."""
    answer: dict[str, str] = {}
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json", "HTTP_HOST": "127.0.0.1:8080",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
    }  # fmt: skip
    content = b"".join(front(environ, lambda status, headers: answer.update(status=status)))
    return answer["status"], content


def front_on(routes: Path, targets: list[dict]) -> FrontRouter:
    """A front router reading the routes file `routes`, written with `targets` as the gateway's route."""
    routes_set(path=routes, service="gateway", targets=targets)
    return FrontRouter(str(routes))


def figures(front: FrontRouter) -> dict:
    return snapshot_parse(call(front, path="/-/front/metrics")[1].decode()).get("gateway", {})


def test_requests_follow_the_weights_of_the_routes_file_and_a_switch_within_its_reread(
    tmp_path: Path, backends: dict[str, Backend]
) -> None:
    routes = tmp_path / "routes.json"
    blue, green = backends["blue"], backends["green"]
    front = front_on(routes, [{"name": "stable", "url": blue.url, "weight": 100}])
    status, body = call(front, "POST", body=b'{"seat": "1A"}')
    answer = json.loads(body)
    assert status == "200 OK"
    assert (answer["name"], answer["body"], answer["host"]) == ("blue", '{"seat": "1A"}', "127.0.0.1:8080")
    assert answer["xff"] == "127.0.0.1"
    routes_set(path=routes, service="gateway", targets=[{"name": "stable", "url": green.url, "weight": 100}])
    front.routes._next_check = 0  # the table's re-read is due (it checks every 0.5 s)
    assert {json.loads(call(front)[1])["name"] for _ in range(20)} == {"green"}


def test_the_request_target_reaches_the_gateway_with_its_query(
    tmp_path: Path, backends: dict[str, Backend]
) -> None:
    """The launcher's environ carries no raw target: the lockstep stack's flight lookups arrived without
    their query (`?date=` lost, the gateway's 400)."""
    front = front_on(
        tmp_path / "routes.json", [{"name": "stable", "url": backends["blue"].url, "weight": 100}]
    )

    _status, body = call(front, path="/api/flights/a b", query="date=2026-12-02&flight_no=AA%2012")

    assert json.loads(body)["target"] == "/api/flights/a%20b?date=2026-12-02&flight_no=AA%2012"


def test_a_refused_connection_goes_to_another_target_and_a_sent_request_is_never_repeated(
    tmp_path: Path, backends: dict[str, Backend]
) -> None:
    routes = tmp_path / "routes.json"
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    front = front_on(routes, [
        {"name": "stable", "url": backends["blue"].url, "weight": 1}, {"name": "canary", "url": closed, "weight": 99},
    ])  # fmt: skip
    answers = [call(front, "POST", body=b"{}") for _ in range(10)]
    assert {status for status, _ in answers} == {"200 OK"}, "a refused connection was never sent: retried"
    assert backends["blue"].seen["POST"] == 10
    refused = figures(front)["canary"]["outcomes"]
    assert refused.get("connection_error", 0) > 0
    routes_set(path=routes, service="gateway", targets=[{"name": "canary", "url": backends["dropping"].url, "weight": 1},
                                                         {"name": "stable", "url": closed, "weight": 0}])  # fmt: skip
    front.routes._next_check = 0
    status, _ = call(front, "POST", body=b"{}")
    assert status == "502 Bad Gateway"
    assert backends["dropping"].seen["POST"] == 1, "a request the target received is not sent again"


def test_its_figures_are_per_target_in_the_names_the_canary_analysis_reads(
    tmp_path: Path, backends: dict[str, Backend]
) -> None:
    front = front_on(
        tmp_path / "routes.json", [{"name": "canary", "url": backends["green"].url, "weight": 1}]
    )
    before = figures(front).get("canary", {}).get("outcomes", {}).get("success", 0)
    for _ in range(3):
        call(front)
    after = figures(front)["canary"]
    assert after["outcomes"]["success"] - before == 3
    assert after["latency_count"] >= 3
    assert call(front, path="/-/front/health") == ("200 OK", b"ok")


def test_no_target_and_non_loopback_targets_answer_503(tmp_path: Path) -> None:
    front = front_on(tmp_path / "routes.json", [{"name": "far", "url": "http://10.0.0.1:80", "weight": 1}])
    assert call(front)[0] == "503 Service Unavailable"
