"""One way to start a deployable: granian in front, the request body buffered before a thread runs Django.

    python -m skyway.serve --settings settings.gateway [--host 0.0.0.0] [--port 8000]
                           [--workers N] [--threads N] [--graceful-timeout S] [-- granian flags…]

The Dockerfile's CMD, `make serve-*` and `make run-split` (the Procfile), the local rollout executor
(deploy/localproc.py), the benches and the test fixtures all start a deployable through this module;
every server flag lives here (docs/adr/0060). Environment: PORT, WEB_WORKERS, WEB_THREADS,
WEB_GRACEFUL_TIMEOUT; flags given on the command line win. PROMETHEUS_MULTIPROC_DIR, when set, is
the instance's private metrics directory (emptied at start; by default one under SKYWAY_VAR_DIR, see
skyway.metrics and docs/adr/0123). Everything else in the environment (DJANGO_SETTINGS_MODULE,
SERVICE_TOKENS, database URLs…) passes through to the app untouched.

Why an ASGI front for a WSGI app: a WSGI server hands the socket to a thread as soon as the headers
are in, and the thread then waits for the body; N slow-body clients hold N threads, and a 17th
request (a /ping) waits behind them. Here granian's event loop reads the whole body (bounded in
size and time) while costing one coroutine, and only a complete request takes one of the `threads`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import io
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skyway import metrics

ROOT = Path(__file__).resolve().parent.parent
LOG_CONFIG = Path(__file__).resolve().parent / "granian-logging.json"
DEFAULT_APP = "settings.wsgi:application"
# Per-deployable sizing when neither a flag nor WEB_WORKERS/WEB_THREADS says otherwise. /metrics adds
# up every worker (multiprocess mode, docs/adr/0123), so any deployable may run several; the gateway's
# default stays one worker with threads (its circuit breakers and caches are per process, ADR 123).
SIZING = {"settings.gateway": (1, 16)}
DEFAULT_SIZING = (2, 4)
GRACEFUL_TIMEOUT = 20  # seconds a stopping/reloading worker gets before it is killed
HEADER_READ_TIMEOUT_MS = 10_000  # a client that has not sent its headers by then is dropped (Rust side)
BODY_READ_TIMEOUT = 30.0  # seconds to receive a whole body; then 408 (a coroutine, not a thread, waits)
MAX_BODY_BYTES = 1024 * 1024  # bodies over this get 413 unread; Django's own limit is lower still
# The request line and headers share hyper's read buffer: over this size the server answers 431/414
# before any Python runs (gunicorn's 4094-byte request-line limit is gone; see docs/adr/0060).
HTTP1_BUFFER_SIZE = 16384
DUPLICATE_HEADER_LIMIT = 100  # lines of one header name; more → 400 (asgiref's limit, kept)
# Env names the app side of the launcher reads (set by the launcher for granian's workers).
_APP_ENV = "SKYWAY_WSGI_APP"
_THREADS_ENV = "WEB_THREADS"


# ---- the app side: a WSGI app behind a buffering ASGI front -----------------------------------------


def _environ_name(raw_name: bytes) -> str:
    name = raw_name.decode("latin1")
    if name == "content-length":
        return "CONTENT_LENGTH"
    if name == "content-type":
        return "CONTENT_TYPE"
    return "HTTP_" + name.upper().replace("-", "_")


# The names the callers send on every request, translated once (granian hands names over lower-cased).
_ENVIRON_NAMES = {
    name: _environ_name(name)
    for name in (b"host", b"user-agent", b"accept", b"accept-encoding", b"connection", b"content-length",
                 b"content-type", b"x-service-token", b"x-request-id", b"x-request-budget-ms",
                 b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"traceparent")
}  # fmt: skip


class _Pool:
    """`threads` threads running WSGI calls for one event loop: a queue in, the result set on the loop.

    What loop.run_in_executor does with a ThreadPoolExecutor, without its two futures per call chained
    through callbacks (docs/adr/0150). The threads are daemons: a stopping server has already waited
    for every request it accepted (each one awaits its future), so none is cut short.
    """

    def __init__(self, threads: int) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        for n in range(max(1, threads)):
            threading.Thread(target=self._work, name=f"wsgi_{n}", daemon=True).start()

    def run(self, loop: asyncio.AbstractEventLoop, function: Callable, *args: Any) -> asyncio.Future:
        future = loop.create_future()
        self.queue.put((loop, future, function, args))
        return future

    def _work(self) -> None:
        while True:
            loop, future, function, args = self.queue.get()
            try:
                result = function(*args)
            except BaseException as exc:  # handed to the awaiting coroutine, as an executor does
                loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)


def _settle(future: asyncio.Future, result: Any, exc: BaseException | None) -> None:
    if future.done():  # the request's coroutine was cancelled (the client went away)
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


class _Pusher:
    """Sends one message from a pool thread on the loop and waits for it (streaming responses only)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, send: Callable) -> None:
        self.loop = loop
        self.send = send

    async def _send(self, message: dict) -> None:  # granian's send is an awaitable, not a coroutine
        await self.send(message)

    def __call__(self, message: dict) -> None:
        asyncio.run_coroutine_threadsafe(self._send(message), self.loop).result()


def _plain(status: int, text: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return status, [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")], text.encode()


class BufferedWsgi:
    """An ASGI app (granian's asginl interface) serving `wsgi_app` on a pool of `threads` threads.

    The event loop receives the whole body (at most MAX_BODY_BYTES, within BODY_READ_TIMEOUT); a
    thread then runs the WSGI app and collects its response, which the loop sends: these APIs answer
    small JSON documents, and one hand-over costs less than a thread hop per chunk. Streaming
    responses are pushed from the thread as they are produced.
    """

    def __init__(self, wsgi_app: Callable, threads: int) -> None:
        self.wsgi_app = wsgi_app
        self.pool = _Pool(threads)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        received = await self._receive_body(scope, receive)
        if received is None:
            return  # the client went away before its body was in: nothing to run, no one to answer
        if isinstance(received, tuple):
            collected = received
        else:
            loop = asyncio.get_running_loop()
            collected = await self.pool.run(loop, self.run, scope, received, _Pusher(loop, send))
            if collected is None:
                return  # a streaming response: the thread has sent it all
        status, headers, body = collected
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _receive_body(scope: dict, receive: Callable) -> io.BytesIO | tuple | None:
        declared = next(
            (value for name, value in scope.get("headers") or () if name == b"content-length"), b"0"
        )
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return _plain(413, f"Request body over {MAX_BODY_BYTES} bytes.")
        body = io.BytesIO()
        try:
            async with asyncio.timeout(BODY_READ_TIMEOUT):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return None
                    body.write(message.get("body", b""))
                    if body.tell() > MAX_BODY_BYTES:
                        return _plain(413, f"Request body over {MAX_BODY_BYTES} bytes.")
                    if not message.get("more_body"):
                        break
        except TimeoutError:
            return _plain(408, f"Request body not received within {BODY_READ_TIMEOUT:.0f}s.")
        body.seek(0)
        return body

    def run(
        self, scope: dict, body: io.BytesIO, push: Callable[[dict], None]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """In a pool thread: the WSGI call and its response, then close() (Django's request_finished).

        A response Django marks as streaming (a FileResponse, say) is pushed chunk by
        chunk from this thread as it is produced (None is returned); any other is collected and
        returned for the loop to send in one piece.
        """
        try:
            environ = self.environ(scope, body)
        except ValueError:
            return _plain(400, "Bad Request: too many duplicate headers.")
        response: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            if exc_info is not None and response:
                raise exc_info[1].with_traceback(exc_info[2])
            response["status"] = int(status.split(" ", 1)[0])
            response["headers"] = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            return chunks.append  # the legacy write() callable

        result = self.wsgi_app(environ, start_response)
        try:
            if not getattr(result, "streaming", False):
                chunks.extend(result)
                return response["status"], response["headers"], b"".join(chunks)
            push(
                {"type": "http.response.start", "status": response["status"], "headers": response["headers"]}
            )
            for chunk in result:
                if chunk:
                    push({"type": "http.response.body", "body": chunk, "more_body": True})
            push({"type": "http.response.body", "body": b""})
            return None
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    @staticmethod
    def environ(scope: dict, body: io.BytesIO) -> dict[str, Any]:
        """ASGI scope → WSGI environ (PEP 3333), built as asgiref's WsgiToAsgi builds it.

        Hand-written rather than asgiref's per-request WsgiToAsgiInstance (docs/adr/0150): the same
        keys and values, without an instance, a defaultdict and a join per header. A header name sent
        more than DUPLICATE_HEADER_LIMIT times is refused with ValueError, as asgiref refuses it.
        """
        script_name = scope.get("root_path", "").encode("utf8").decode("latin1")
        path_info = scope["path"].encode("utf8").decode("latin1")
        if script_name and path_info.startswith(script_name):
            path_info = path_info[len(script_name) :]
        query = scope.get("query_string") or b""
        server = scope.get("server")
        headers = scope.get("headers") or ()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": script_name,
            "PATH_INFO": path_info,
            "QUERY_STRING": query.decode("ascii"),
            "SERVER_PROTOCOL": "HTTP/" + scope["http_version"],
            "SERVER_NAME": server[0] if server else "localhost",
            "SERVER_PORT": (str(server[1] if server[1] is not None else 0)) if server else "80",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.input": body,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        client = scope.get("client")
        if client is not None:
            environ["REMOTE_ADDR"] = client[0]
        repeated: dict[str, int] | None = None
        for raw_name, raw_value in headers:
            name = _ENVIRON_NAMES.get(raw_name)
            if name is None:
                name = _environ_name(raw_name)
            value = raw_value.decode("latin1")
            if name in environ:
                repeated = repeated if repeated is not None else {}
                repeated[name] = count = repeated.get(name, 1) + 1
                if count > DUPLICATE_HEADER_LIMIT:
                    raise ValueError(f"Too many duplicate headers: {name} exceeds {DUPLICATE_HEADER_LIMIT}")
                environ[name] += "," + value
            else:
                environ[name] = value
        return environ


def load(target: str) -> Any:
    """'package.module:attribute' → the object."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute or "application")


def asgi_application() -> BufferedWsgi:
    """granian's factory (run in every worker): the WSGI app the launcher named, behind the buffer."""
    metrics.worker_started()
    return BufferedWsgi(load(os.environ.get(_APP_ENV, DEFAULT_APP)), int(os.environ.get(_THREADS_ENV, "4")))


# ---- the launcher -----------------------------------------------------------------------------------


def sizing(settings_module: str | None, env: dict[str, str]) -> tuple[int, int]:
    """(workers, threads): WEB_WORKERS/WEB_THREADS, else the deployable's default."""
    workers, threads = SIZING.get(settings_module or "", DEFAULT_SIZING)
    return int(env.get("WEB_WORKERS") or workers), int(env.get("WEB_THREADS") or threads)


def server_command(*, host: str, port: int, workers: int, graceful_timeout: float,
                   extra_args: list[str] | None = None) -> list[str]:  # fmt: skip
    """granian's argv: every server flag of every deployable is here."""
    return [
        sys.executable, "-m", "granian",
        "--interface", "asginl",  # ASGI without lifespan: BufferedWsgi has no startup work
        "--factory", "skyway.serve:asgi_application",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--http", "1",
        "--no-ws",
        "--http1-keep-alive",  # the gateway's urllib3 pool and load balancers reuse connections
        "--http1-header-read-timeout", str(HEADER_READ_TIMEOUT_MS),
        "--http1-buffer-size", str(HTTP1_BUFFER_SIZE),
        "--workers-kill-timeout", str(max(1, round(graceful_timeout))),
        "--respawn-interval", "1",  # SIGHUP: a new worker serves for 1 s before the old one drains
        "--log-level", "info",
        # No --access-log: the application writes the one access line, with its request id; granian's
        # own lines go through the same formatter (ADR 111).
        "--log-config", str(LOG_CONFIG),
        *(extra_args or []),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Parse, export what the workers need and exec granian (same pid: signals reach the server).

    What the workers need: the WSGI app, their threads, and a fresh Prometheus multiprocess directory
    (skyway.metrics), set before granian starts so every worker imports prometheus_client with it.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    parser = argparse.ArgumentParser(prog="python -m skyway.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--settings", help="DJANGO_SETTINGS_MODULE of the deployable (default: the env's)")
    parser.add_argument("--app", default=DEFAULT_APP, help="the WSGI app, module:attribute")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--graceful-timeout", type=float,
                        default=float(os.environ.get("WEB_GRACEFUL_TIMEOUT") or GRACEFUL_TIMEOUT))  # fmt: skip
    parser.add_argument(
        "--print",
        action="store_true",
        help="print the workers' app and threads and granian's command line, then exit",
    )
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.settings:
        env["DJANGO_SETTINGS_MODULE"] = args.settings
    workers, threads = sizing(env.get("DJANGO_SETTINGS_MODULE"), env)
    workers, threads = args.workers or workers, args.threads or threads
    env[_APP_ENV] = args.app
    env[_THREADS_ENV] = str(threads)
    command = server_command(
        host=args.host,
        port=args.port,
        workers=workers,
        graceful_timeout=args.graceful_timeout,
        extra_args=extra,
    )
    if args.print:
        print(f"{_APP_ENV}={args.app} {_THREADS_ENV}={threads}", " ".join(command))
        return
    os.chdir(ROOT)
    metrics.multiproc_dir_prepare(env, root=ROOT, pid=os.getpid())  # the pid granian keeps after exec
    os.execve(command[0], command, env)  # noqa: S606 - our own argv, no shell


# ---- processes for tools: rollouts, benches, tests ---------------------------------------------------


def port_range(spec: str | None = None) -> range | None:
    """SKYWAY_TEST_PORTS ("20000-29999") as a range, or None: the kernel picks (port 0)."""
    spec = os.environ.get("SKYWAY_TEST_PORTS", "") if spec is None else spec
    if not spec.strip():
        return None
    low, sep, high = spec.partition("-")
    if (
        not sep
        or not low.strip().isdigit()
        or not high.strip().isdigit()
        or not 0 < int(low) <= int(high) < 65536
    ):
        raise ValueError(f"SKYWAY_TEST_PORTS must be LOW-HIGH, e.g. 20000-29999, not {spec!r}")
    return range(int(low), int(high) + 1)


def free_port() -> int:
    """A loopback port nothing listens on now: the kernel's pick, or one of SKYWAY_TEST_PORTS.

    Machines whose firewall or neighbours reserve port ranges keep a test run, a bench or a local
    rollout inside one range; the pick is random so parallel runs (pytest-xdist workers) rarely try
    the same port.
    """
    ports = port_range()
    candidates = [0] if ports is None else random.sample(ports, min(len(ports), 200))
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free loopback port in SKYWAY_TEST_PORTS={os.environ.get('SKYWAY_TEST_PORTS')}")


def _pin_to(cpus: frozenset[int]) -> Callable[[], None]:
    """A preexec_fn pinning the child (and so every worker it starts) to `cpus`."""

    def pin() -> None:
        os.sched_setaffinity(0, cpus)

    return pin


@dataclass
class ServerProcess:
    """One launcher process on loopback. `settings_module` None serves a plain WSGI `app` (no Django)."""

    settings_module: str | None
    port: int
    env: dict[str, str]
    workers: int | None = 2  # None: the launcher's sizing for the deployable (as in the image)
    threads: int | None = 1
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)  # granian flags (after the launcher's own)
    process: subprocess.Popen | None = None
    app: str = DEFAULT_APP
    ready_path: str = "/ping"
    cpus: frozenset[int] | None = None  # pin master and workers to these CPUs (Linux; benches)
    host: str = "127.0.0.1"
    graceful_timeout: float = 5.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "skyway.serve", "--app", self.app, "--host", self.host,
                   "--port", str(self.port), "--graceful-timeout", str(self.graceful_timeout)]  # fmt: skip
        if self.workers is not None:
            command += ["--workers", str(self.workers)]
        if self.threads is not None:
            command += ["--threads", str(self.threads)]
        if self.settings_module:
            command += ["--settings", self.settings_module]
        return [*command, "--", *self.extra_args] if self.extra_args else command

    def start(self, timeout: float = 30.0) -> ServerProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # stopped as a group: the master and every worker
                preexec_fn=_pin_to(self.cpus) if self.cpus else None,
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.settings_module or self.app} exited with {self.process.returncode}; log: {self.log_path}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(
            f"{self.settings_module or self.app} on :{self.port} not ready after {timeout}s; log: {self.log_path}"
        )

    def reload(self) -> None:
        """SIGHUP: new workers start on the same socket, then the old ones drain and stop."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGHUP)

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master), SIGKILL to the group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=self.graceful_timeout + 10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """kill -9 of the master and every worker: a crash, not a shutdown."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def restart(self, timeout: float = 30.0) -> ServerProcess:
        self.stop()
        return self.start(timeout)


if __name__ == "__main__":
    main()
