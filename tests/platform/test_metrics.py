"""/metrics is the deployable instance's totals, however many workers serve it (issue 12, ADR 0123).

Without Prometheus multiprocess mode each worker answers /metrics from its own registry: successive
scrapes of one service read 2, 1, 3, 4 for one counter, and the canary analysis reads a random worker.
The live tests start the gateway through the shipped launcher with two workers, make sure both serve
(which worker holds a connection is read from /proc, independently of the metrics), and scrape.
"""

from __future__ import annotations

import ast
import http.client
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from skyway import metrics
from tests.support.live import ROOT, SERVICE_HEADERS, LiveService, base_env
from tests.support.lone_gateway import lone_gateway
from tests.support.waits import wait_until

REQUESTS_BY_VIEW = "django_http_requests_total_by_view_transport_method_total"
# The page the tests request: any view works but /ping, which the launcher's readiness probe also calls.
PAGE, PAGE_VIEW = "/schema/redoc/", "redoc"
MAX_REQUESTS = 400  # a kernel that gives every fresh connection to one worker fails the test here
PROJECT_PACKAGES = ("skyway", "gateway", "reservations", "flights", "settings", "deploy")


# ---- the launcher's directory and the dead workers' files (no process started) -------------------------


def test_the_launcher_gives_each_instance_a_fresh_directory_and_removes_dead_instances(tmp_path):
    var = tmp_path / "var"
    own_old = var / "metrics" / f"serve-{os.getpid()}"  # a previous instance with this pid: wiped
    own_old.mkdir(parents=True)
    (own_old / "counter_1.db").write_bytes(b"old")
    dead = var / "metrics" / "serve-999999999"
    dead.mkdir()
    running = var / "metrics" / f"serve-{os.getppid()}"
    running.mkdir()
    env = {"SKYWAY_VAR_DIR": str(var)}

    path = metrics.multiproc_dir_prepare(env, root=tmp_path, pid=os.getpid())

    assert path == own_old.resolve()
    assert env[metrics.ENV] == str(path)
    assert list(path.iterdir()) == []
    assert not dead.exists()
    assert running.exists()  # another instance that still runs keeps its files


def test_an_operator_set_directory_is_used_and_emptied_of_metric_files(tmp_path):
    configured = tmp_path / "prom"
    configured.mkdir()
    (configured / "counter_12.db").write_bytes(b"old")
    (configured / "README").write_text("kept")
    env = {metrics.ENV: str(configured)}

    assert metrics.multiproc_dir_prepare(env, root=tmp_path, pid=1) == configured
    assert sorted(p.name for p in configured.iterdir()) == ["README"]


def test_dead_workers_lose_their_live_gauges_and_keep_their_counts(tmp_path):
    dead_pid, live_pid = 999999999, os.getppid()
    for name in (
        f"counter_{dead_pid}.db",
        f"histogram_{dead_pid}.db",
        f"gauge_livesum_{dead_pid}.db",
        f"gauge_max_{dead_pid}.db",
        f"gauge_livesum_{live_pid}.db",
    ):
        (tmp_path / name).write_bytes(b"")

    assert metrics.dead_workers_sweep(tmp_path) == [dead_pid]

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            f"counter_{dead_pid}.db",
            f"histogram_{dead_pid}.db",
            f"gauge_max_{dead_pid}.db",
            f"gauge_livesum_{live_pid}.db",
        ]
    )


def test_every_gauge_of_the_project_names_its_multiprocess_mode():
    """prometheus_client's default mode ("all") exports one series per worker pid, dead ones included."""
    unnamed = []
    for package in PROJECT_PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(), str(source))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Gauge"
                    and not any(k.arg == "multiprocess_mode" for k in node.keywords)
                ):
                    unnamed.append(f"{source.relative_to(ROOT)}:{node.lineno}")
    assert unnamed == []


@pytest.mark.live
def test_the_canary_analysis_reads_the_same_figures_from_a_multiprocess_gateway(tmp_path):
    """Two processes record upstream calls and reserves; the analysis parses their merged exposition."""
    script = """
import os, sys
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from gateway.clients import metrics
pid = os.fork()
metrics.record("flights", "canary", "success", 0.004)
metrics.record("flights", "canary", "server_error", 0.2)
metrics.reserve_record("canary", "refused_free")
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
registry = CollectorRegistry()
multiprocess.MultiProcessCollector(registry)
sys.stdout.write(generate_latest(registry).decode())
"""
    env = {**base_env(), metrics.ENV: str(tmp_path)}
    text = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    from deploy import analysis

    figures = analysis.figures(
        analysis.target_delta(None, analysis.snapshot_parse(text)["flights"]["canary"])
    )
    reserves = analysis.snapshot_parse(text)["reservations"]["canary"]["reserves"]

    assert (figures.requests, figures.errors, figures.error_rate) == (4, 2, 0.5)
    assert figures.p95_ms is not None
    assert figures.p95_ms > 100
    assert reserves == {"refused_free": 2.0}


# ---- a live two-worker gateway -----------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _server_socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server side of one loopback connection, from /proc/net/tcp."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server_port and remote_port == client_port and fields[3] == "01":
            return fields[9]
    return None


def worker_of(connection: http.client.HTTPConnection, service: LiveService) -> int | None:
    """The pid of the worker holding this (open) connection: the one with its socket among its fds."""
    inode = _server_socket_inode(service.port, connection.sock.getsockname()[1])
    if inode is None:
        return None
    for pid in _children(service.process.pid):
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def fresh_get(service: LiveService, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, int]:
    """One GET on a new connection: (status, body, pid of the worker that answered)."""
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read().decode()
        worker = worker_of(connection, service)  # keep-alive: the worker still holds the socket
        assert worker is not None, "no worker holds the connection"
        return response.status, body, worker
    finally:
        connection.close()


def page_total(exposition: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == REQUESTS_BY_VIEW and sample.labels.get("view") == PAGE_VIEW
    )


@pytest.fixture
def gateway(tmp_path) -> Iterator[LiveService]:
    """The gateway deployable, two workers of one thread each, through the launcher."""
    with lone_gateway(tmp_path, workers=2, threads=1, drop=(metrics.ENV,)) as service:
        yield service


def pages_until_both_workers_served(service: LiveService, at_least: int) -> Counter[int]:
    """GET PAGE on fresh connections until each of the two workers has answered some (and at_least sent)."""
    served: Counter[int] = Counter()
    while sum(served.values()) < at_least or len(served) < 2:
        assert sum(served.values()) < MAX_REQUESTS, f"one worker answered every request: {dict(served)}"
        status, _, worker = fresh_get(service, PAGE)
        assert status == 200
        served[worker] += 1
    return served


def scrapes_until_both_workers_answered(service: LiveService, at_least: int) -> list[tuple[int, float]]:
    """Scrape /metrics on fresh connections until both workers have answered one: (worker, page total)."""
    scrapes: list[tuple[int, float]] = []
    while len(scrapes) < at_least or len({worker for worker, _ in scrapes}) < 2:
        assert len(scrapes) < MAX_REQUESTS, "one worker answered every scrape"
        status, body, worker = fresh_get(service, "/metrics", SERVICE_HEADERS)
        assert status == 200, body
        scrapes.append((worker, page_total(body)))
    return scrapes


@pytest.mark.live
def test_every_scrape_of_a_two_worker_deployable_reads_the_instance_total(gateway):
    served = pages_until_both_workers_served(gateway, at_least=40)
    sent = sum(served.values())

    scrapes = scrapes_until_both_workers_answered(gateway, at_least=5)

    # Each worker answered some scrapes, and every one of them read every worker's answers, not its own.
    assert [total for _, total in scrapes] == [sent] * len(scrapes), (dict(served), scrapes)


@pytest.mark.live
def test_each_worker_writes_its_own_files_and_the_scrape_adds_them_up(gateway):
    """Pid-separated evidence: the instance's directory holds one counter file per worker, whose page
    count is what that worker answered (seen from /proc), and the scrape is their sum."""
    from prometheus_client.multiprocess import MultiProcessCollector

    served = pages_until_both_workers_served(gateway, at_least=20)
    directory = metrics.default_dir(gateway.env, ROOT, gateway.process.pid)

    per_worker = {}
    for pid in served:
        families = MultiProcessCollector.merge([str(directory / f"counter_{pid}.db")])
        per_worker[pid] = sum(
            s.value
            for f in families
            for s in f.samples
            if s.name == REQUESTS_BY_VIEW and s.labels["view"] == PAGE_VIEW
        )
    status, body, _ = fresh_get(gateway, "/metrics", SERVICE_HEADERS)

    assert status == 200
    assert per_worker == dict(served)
    assert page_total(body) == sum(served.values())


@pytest.mark.live
def test_a_reload_keeps_what_the_replaced_workers_counted(gateway):
    """SIGHUP replaces every worker; the instance's counters carry on (the canary analysis reads a
    counter that goes down as a restart, and would count the step from zero)."""
    served = pages_until_both_workers_served(gateway, at_least=10)
    old_workers = _children(gateway.process.pid)

    gateway.reload()

    def replaced() -> bool:
        workers = _children(gateway.process.pid)
        return len(workers) == 2 and not workers & old_workers

    assert wait_until(replaced, timeout=60.0, interval=0.1), (old_workers, _children(gateway.process.pid))
    status, body, worker = fresh_get(gateway, "/metrics", SERVICE_HEADERS)
    assert status == 200
    assert worker not in old_workers
    assert page_total(body) == sum(served.values())
