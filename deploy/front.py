"""The front router of a local run: the ALB's stand-in ahead of the gateway (docs/adr/0147).

On one machine the gateway routes its upstreams by its routes file, so nothing in front of it could
split traffic between two gateways, and the gateway could not be canaried. This WSGI app, served by the
one launcher (skyway.serve) on loopback, forwards every request to a gateway target picked by weight
from the `gateway` entry of the same routes file (skyway.routes, the table the gateway uses itself).
`deploy.routes set --service gateway` and `deploy.control` steer it as they steer the gateway's routes.

- No request is lost on a weight change: the file is re-read within 0.5 s, a request keeps the target it
  picked, and the executor drains the old target before it stops. A connection the target refuses was
  never sent, so it is tried on another target (any method); once sent, a request is never repeated,
  and a failure is a 502 to the client, as an ALB answers.
- One connection per request to the target: no pooled connection can go stale while a gateway stops.
- Bounded: the launcher caps the body and its read time; connect and read timeouts below.
- Its own figures, per target, at /-/front/metrics, in the names the canary analysis reads
  (skyway_gateway_upstream_requests_total{service="gateway",target,outcome} and the latency histogram),
  as an ALB's target-group metrics judge a gateway canary on EKS. /-/front/health answers itself.

    python -m deploy.front --routes-file var/deploy/routes.json --port 8080
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from skyway.routes import RouteTable, Target

ROUTES_ENV = "FRONT_ROUTES_FILE"
SERVICE = "gateway"
PREFIX = "/-/front/"
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 30.0
# Per RFC 9110 §7.6.1 a proxy does not forward these; granian sets its own framing.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
    "trailer", "transfer-encoding", "upgrade",
}  # fmt: skip
LOOPBACK = ("127.", "localhost")

# A registry of its own: the names are the gateway's, and a process may import both (tests do).
REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "skyway_gateway_upstream_requests",
    "Requests the front router forwarded, by service, target and outcome.",
    ["service", "target", "outcome"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "skyway_gateway_upstream_latency_seconds",
    "Latency of the front router's forwarded requests, by service and target.",
    ["service", "target"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)


class Refused(Exception):
    """The target did not take the connection: nothing was sent, another target may have it."""


def loopback(target: Target) -> bool:
    """Only loopback targets: this router exists for one machine."""
    return (urlsplit(target.url or "").hostname or "").startswith(LOOPBACK)


def outcome_of(status: int) -> str:
    return "success" if status < 400 else ("client_error" if status < 500 else "server_error")


def forward(target: Target, environ: dict[str, Any], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request to `target` on a fresh connection; Refused if it never connected."""
    parts = urlsplit(target.url or "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=CONNECT_TIMEOUT)
    try:
        try:
            connection.connect()
        except OSError as exc:
            raise Refused(str(exc)) from exc
        connection.sock.settimeout(READ_TIMEOUT)
        path = request_target(environ)
        connection.putrequest(environ["REQUEST_METHOD"], path, skip_host=True, skip_accept_encoding=True)
        for name, value in request_headers(environ):
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        return response.status, headers, response.read()
    finally:
        connection.close()


def request_target(environ: dict[str, Any]) -> str:
    """The request target to send on: the path WSGI decoded, quoted again, and the query as received
    (the launcher's environ has no raw target since ADR 155)."""
    path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/;=,:@!$&'()*+-._~")
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def request_headers(environ: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """The client's headers as it sent them (less hop-by-hop ones), plus X-Forwarded-For/-Proto."""
    forwarded_for = ""
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in {"CONTENT_TYPE"} and value:
            name = "Content-Type"
        else:
            continue
        lowered = name.lower()
        if lowered in HOP_BY_HOP or lowered == "content-length":
            continue
        if lowered == "x-forwarded-for":
            forwarded_for = value
            continue
        yield name, value
    client = environ.get("REMOTE_ADDR", "")
    yield "X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client
    yield "X-Forwarded-Proto", environ.get("wsgi.url_scheme", "http")


class FrontRouter:
    """The WSGI app: /-/front/* answers itself, every other request goes to a weighted gateway target."""

    def __init__(self, routes_file: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.routes = RouteTable(routes_file)
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == f"{PREFIX}health":
            return self.answer(start_response, 200, b"ok")
        if path == f"{PREFIX}metrics":
            registry = REGISTRY
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # under the launcher: the files of every worker
                from prometheus_client import multiprocess

                registry = CollectorRegistry()
                multiprocess.MultiProcessCollector(registry)
            return self.answer(start_response, 200, generate_latest(registry), "text/plain; version=0.0.4")
        length = environ.get("CONTENT_LENGTH") or "0"
        body = environ["wsgi.input"].read(int(length)) if length.isdigit() and int(length) else b""
        candidates = [t for t in self.routes.targets(SERVICE) if t.weight > 0 and loopback(t)]
        while candidates:
            target = random.choices(candidates, weights=[t.weight for t in candidates])[0]
            started = self.clock()
            try:
                status, headers, content = forward(target, environ, body)
            except Refused:
                REQUESTS.labels(service=SERVICE, target=target.name, outcome="connection_error").inc()
                candidates = [t for t in candidates if t is not target]
                continue
            except TimeoutError:
                self.record(target, "timeout", started)
                return self.answer(start_response, 504, b"the gateway did not answer in time")
            except (OSError, http.client.HTTPException):
                self.record(target, "connection_error", started)
                return self.answer(start_response, 502, b"the gateway dropped the request")
            self.record(target, outcome_of(status), started)
            start_response(f"{status} {http.client.responses.get(status, '')}".strip(), headers)
            return [content]
        return self.answer(start_response, 503, b"no gateway target takes traffic")

    def record(self, target: Target, outcome: str, started: float) -> None:
        REQUESTS.labels(service=SERVICE, target=target.name, outcome=outcome).inc()
        LATENCY.labels(service=SERVICE, target=target.name).observe(self.clock() - started)

    @staticmethod
    def answer(start_response: Callable, status: int, body: bytes, kind: str = "text/plain") -> list[bytes]:
        start_response(f"{status} {http.client.responses[status]}", [("Content-Type", kind)])
        return [body]


def application_factory() -> FrontRouter:
    routes_file = os.environ.get(ROUTES_ENV)
    if not routes_file:
        raise RuntimeError(f"{ROUTES_ENV} must name the routes file (deploy/routes.py writes it)")
    return FrontRouter(routes_file)


class _LazyApp:
    """skyway.serve loads `module:attribute` in each worker: build the router there, from its env."""

    app: FrontRouter | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        if self.app is None:
            self.app = application_factory()
        return self.app(environ, start_response)


application = _LazyApp()


def front_process(*, routes_file: Path, port: int, env: dict[str, str], log_path: Path | None = None):
    """The front router as a launcher process on loopback (skyway.serve.ServerProcess, not yet started)."""
    from skyway.serve import ServerProcess

    return ServerProcess(
        settings_module=None,
        app="deploy.front:application",
        port=port,
        env={**env, ROUTES_ENV: str(routes_file)},
        workers=1,
        threads=16,
        log_path=log_path,
        ready_path=f"{PREFIX}health",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.front", description=__doc__.splitlines()[0])
    parser.add_argument("--routes-file", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    process = front_process(routes_file=args.routes_file.resolve(), port=args.port, env=dict(os.environ))
    os.execvpe(process.command()[0], process.command(), process.env)  # noqa: S606 - our own argv
    return 0


if __name__ == "__main__":
    sys.exit(main())
