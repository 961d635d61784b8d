"""Real rollouts on this machine (pytest -m rollout): the same `python -m deploy …` users run, against
server processes — a gateway routing by its routes file, flights versions beside each other — while a
steady client load goes through the gateway and every response is counted.

The scenarios build on each other in file order, as releases do: v1 live → canary v2 promoted → canary
v3 (bad build: 30 % errors) rolled back → blue-green v4 → rollback to v2 → canary v5 (slow build) rolled
back.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from deploy.localproc import pid_alive
from tests.release.rollout_files import k8s_with_rollout
from tests.support.live import ROOT, LiveService, base_env, free_port, run_manage

pytestmark = [pytest.mark.rollout, pytest.mark.timeout(240)]

logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per load request otherwise
FLIGHT_QUERY = "/api/flights?flight_no=AA2532&date=2020-05-17"
FAULT_RATE = 0.3


@dataclass
class Load:
    """Client threads hammering the gateway's flight lookup; every answer is counted with its time."""

    url: str
    token: str
    threads: int = 2
    pause: float = 0.02
    results: list[tuple[float, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(self) -> None:
        with httpx.Client(
            base_url=self.url, headers={"Authorization": f"Token {self.token}"}, timeout=10
        ) as client:
            while not self._stop.is_set():
                try:
                    status = client.get(FLIGHT_QUERY).status_code
                    kind = "ok" if status < 400 else ("5xx" if status >= 500 else f"{status}")
                except httpx.TransportError as exc:
                    kind = f"conn:{type(exc).__name__}"
                with self._lock:
                    self.results.append((time.monotonic(), kind))
                time.sleep(self.pause)

    def start(self) -> Load:
        self._stop.clear()
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=15)

    def counts(self, since: float = 0.0, until: float = math.inf) -> Counter:
        with self._lock:
            return Counter(kind for at, kind in self.results if since <= at <= until)


@dataclass
class Stack:
    state_dir: Path
    env: dict[str, str]
    gateway: LiveService
    load: Load

    def deploy(self, *args: str, timeout: float = 150) -> subprocess.CompletedProcess:
        """`python -m deploy …` exactly as a user runs it (inventory local)."""
        result = subprocess.run(
            [sys.executable, "-m", "deploy", *args, "--state-dir", str(self.state_dir),
             "--gateway-url", self.gateway.url],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        print(result.stdout[-6000:], result.stderr[-3000:])
        return result

    def watch(self) -> subprocess.Popen:
        """`python -m deploy status --watch` in the background, as an operator runs it beside a rollout."""
        return subprocess.Popen(
            [sys.executable, "-m", "deploy", "status", "--service", "flights", "--watch", "--timeout", "150",
             "--state-dir", str(self.state_dir)],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def flights_state(self) -> dict:
        return json.loads((self.state_dir / "state.json").read_text())["services"]["flights"]

    def routes(self) -> dict:
        return json.loads((self.state_dir / "routes.json").read_text())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    var_dir = tmp_path_factory.mktemp("rollout")
    state_dir = var_dir / "deploy"
    env = base_env(SKYWAY_VAR_DIR=str(var_dir), SKYWAY_ENV="local", UPSTREAM_READ_TIMEOUT="5")
    run_manage("settings.flights", "migrate_contexts", env=env)
    run_manage("settings.flights", "seed_flights", env=env)
    run_manage("settings.gateway", "migrate_contexts", env=env)
    run_manage("settings.gateway", "seed_demo_customers", env={**env, "DEBUG": "1"})

    stack = Stack(state_dir=state_dir, env=env, gateway=None, load=None)  # type: ignore[arg-type]
    gateway = LiveService(
        settings_module="settings.gateway",
        port=free_port(),
        env={
            **env,
            "GATEWAY_ROUTES_FILE": str(state_dir / "routes.json"),
            "FLIGHTS_URL": f"http://127.0.0.1:{free_port()}",
        },
        workers=1,
        threads=16,
        log_path=var_dir / "gateway.log",
    )
    stack.gateway = gateway
    first = stack.deploy("deploy", "--service", "flights", "--image", "skyway:v1")
    assert first.returncode == 0, first.stdout
    gateway.start()
    token = httpx.post(
        f"{gateway.url}/api/auth/token", json={"username": "alice", "password": "skyway-demo"}, timeout=10
    ).json()["token"]
    stack.load = Load(url=gateway.url, token=token)
    assert (
        httpx.get(
            f"{gateway.url}{FLIGHT_QUERY}", headers={"Authorization": f"Token {token}"}, timeout=10
        ).status_code
        == 200
    )
    try:
        yield stack
    finally:
        gateway.stop()
        state = json.loads((state_dir / "state.json").read_text())
        for service, current in state["services"].items():
            for release, record in current["releases"].items():
                if record.get("running"):
                    subprocess.run(
                        [sys.executable, "-m", "deploy.localproc", "stop", "--state-dir", str(state_dir),
                         "--service", service, "--release", release],
                        cwd=ROOT, env=env, capture_output=True, check=False,
                    )  # fmt: skip


def live_release_of(stack: Stack) -> str:
    state = stack.flights_state()
    url = state["releases"][state["live"]]["url"]
    return httpx.get(f"{url}/health", timeout=5).json()["releaseId"]


def test_a_canary_of_a_healthy_version_is_promoted_to_all_traffic(stack: Stack, tmp_path: Path) -> None:
    # Driven by the Kubernetes files: steps, pause and min-requests come from the Rollout and its
    # AnalysisTemplate (a copy with short pauses), not from command-line options.
    k8s = k8s_with_rollout(
        tmp_path, "flights", weights=[25, 50], pause="3s", analysis_args={"min-requests": "10"}
    )
    watch = stack.watch()
    stack.load.start()
    try:
        result = stack.deploy("canary", "--service", "flights", "--image", "skyway:v2", "--k8s-dir", str(k8s))
    finally:
        stack.load.stop()
    counts = stack.load.counts()
    print("canary v2 client counts:", dict(counts))
    assert result.returncode == 0, result.stdout
    # `python -m deploy status --watch` followed it step by step, and ended with the decision.
    watched, _ = watch.communicate(timeout=60)
    print(watched)
    assert watch.returncode == 0
    assert "flights: live v1, candidate v2; traffic: v1 75 %, v2 25 %" in watched
    assert "flights: live v1, candidate v2; traffic: v1 50 %, v2 50 %" in watched
    for weight in (25, 50, 100):
        assert f"  step {weight} %: pass — canary " in watched, weight
    assert watched.rstrip().endswith("decision: PROMOTED v2")
    assert "PROMOTED" in result.stdout
    state = stack.flights_state()
    assert state["live"] == "v2"
    assert state["previous"] == "v1"
    assert not state["releases"]["v1"]["running"]
    assert [t["url"] for t in stack.routes()["flights"]] == [state["releases"]["v2"]["url"]]
    assert live_release_of(stack) == "v2"
    report = json.loads((stack.state_dir / "reports" / "flights-v2-canary.json").read_text())
    assert [step["weight"] for step in report["steps"]] == [25, 50, 100]
    assert all(step["canary_figures"]["requests"] >= 10 for step in report["steps"])
    assert counts["ok"] > 100
    assert counts["5xx"] == 0
    assert not [kind for kind in counts if kind.startswith("conn:")]


def test_b_canary_of_a_bad_build_is_rolled_back_at_the_first_step(stack: Stack, tmp_path: Path) -> None:
    k8s = k8s_with_rollout(
        tmp_path, "flights", weights=[10, 50], pause="5s", analysis_args={"min-requests": "10"}
    )
    stack.load.results.clear()
    stack.load.start()
    started = time.monotonic()
    try:
        result = stack.deploy(
            "canary", "--service", "flights", "--image", "skyway:v3", "--env", f"FAULT_ERROR_RATE={FAULT_RATE}",
            "--k8s-dir", str(k8s),
        )  # fmt: skip
    finally:
        stack.load.stop()
    counts = stack.load.counts()
    print("canary v3 (bad) client counts:", dict(counts))
    assert result.returncode != 0
    assert "ROLLED BACK" in result.stdout
    state = stack.flights_state()
    assert state["live"] == "v2"
    assert state["candidate"] is None
    assert not state["releases"]["v3"]["running"]
    assert [t["url"] for t in stack.routes()["flights"]] == [state["releases"]["v2"]["url"]]
    report = json.loads((stack.state_dir / "reports" / "flights-v3-canary.json").read_text())
    assert report["outcome"] == "rolled_back"
    assert report["failed_at"] == 10
    canary = report["steps"][-1]["canary_figures"]
    assert canary["errors"] > 0
    assert report["steps"][-1]["status"] == "breach"

    # What clients saw. A request fails only if the gateway's first pick is the canary (share = weight) and
    # that attempt fails (share = fault rate): stable never fails, and a 5xx is retried on a fresh weighted
    # pick, so retries only lower the share (to about weight x f^3). Bound: weight x f plus three binomial
    # standard deviations over the requests of the whole run.
    total = sum(counts.values())
    errors = total - counts["ok"]
    exposure = report["failed_at"] / 100 * FAULT_RATE
    bound = exposure + 3 * math.sqrt(exposure * (1 - exposure) / total)
    print(f"bad canary: {errors}/{total} client errors = {errors / total:.2%}; bound {bound:.2%}; "
          f"canary saw {canary['errors']}/{canary['requests']} upstream errors")  # fmt: skip
    assert total > 100
    assert errors / total <= bound
    assert time.monotonic() - started < 90


def leftover_processes(state_dir: Path) -> list[str]:
    """Command lines of playbook or control processes of this state dir that are still alive."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(state_dir) in cmdline and ("ansible" in cmdline or "deploy.control" in cmdline):
            found.append(cmdline)
    return found


def test_b2_ctrl_c_mid_canary_leaves_stable_at_100_and_no_process_behind(
    stack: Stack, tmp_path: Path
) -> None:
    k8s = k8s_with_rollout(
        tmp_path, "flights", weights=[10, 50], pause="60s", analysis_args={"min-requests": "10"}
    )
    stack.load.results.clear()
    stack.load.start()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "deploy", "canary", "--service", "flights", "--image", "skyway:v3i",
             "--k8s-dir", str(k8s), "--state-dir", str(stack.state_dir), "--gateway-url", stack.gateway.url],
            cwd=ROOT, env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            targets = stack.routes().get("flights", [])
            if len(targets) == 2 and targets[1]["weight"] == 10:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the canary never reached 10 %: {process.communicate(timeout=30)[0]}")
        candidate_pid = stack.flights_state()["releases"]["v3i"]["pid"]
        process.send_signal(signal.SIGINT)  # what Ctrl-C in the operator's terminal sends
        output, _ = process.communicate(timeout=90)
    finally:
        stack.load.stop()
    print(output[-4000:])
    counts = stack.load.counts()
    print("interrupted canary v3i client counts:", dict(counts))
    assert process.returncode == 130
    assert "ABORTED: interrupted; flights v2 takes all traffic, candidate v3i stopped" in output
    state = stack.flights_state()
    assert state["live"] == "v2"
    assert not state["releases"]["v3i"]["running"]
    assert not pid_alive(candidate_pid), "the candidate's gunicorn is still running"  # a zombie has exited
    assert [t["url"] for t in stack.routes()["flights"]] == [state["releases"]["v2"]["url"]]
    assert stack.routes()["flights"][0]["weight"] == 100
    assert leftover_processes(stack.state_dir) == []
    decision = json.loads((stack.state_dir / "decisions.jsonl").read_text().splitlines()[-1])
    assert decision["action"] == "rolled_back"
    assert decision["evidence"]["reason"] == "interrupted (Ctrl-C)"
    assert counts["ok"] > 20
    assert sum(counts.values()) == counts["ok"], "clients saw a failed request"


def test_c_blue_green_switch_loses_no_request(stack: Stack) -> None:
    stack.load.results.clear()
    stack.load.start()
    try:
        result = stack.deploy("blue-green", "--service", "flights", "--image", "skyway:v4")
        time.sleep(2)  # keep counting after the switch: stragglers on the old colour must finish too
    finally:
        stack.load.stop()
    counts = stack.load.counts()
    print("blue-green v4 client counts:", dict(counts))
    assert result.returncode == 0, result.stdout
    assert "SWITCHED" in result.stdout
    state = stack.flights_state()
    assert state["live"] == "v4"
    assert state["previous"] == "v2"
    assert state["releases"]["v2"]["running"], "the old colour is kept for an instant rollback"
    assert state["releases"]["v4"]["slot"] in {"blue", "green"}
    assert [t["name"] for t in stack.routes()["flights"]] == [state["releases"]["v4"]["slot"]]
    assert live_release_of(stack) == "v4"
    assert counts["ok"] > 100
    assert counts["5xx"] == 0
    assert not [kind for kind in counts if kind.startswith("conn:")]
    assert set(counts) == {"ok"}


def test_d_rollback_restores_the_previous_version(stack: Stack) -> None:
    stack.load.results.clear()
    stack.load.start()
    try:
        result = stack.deploy("rollback", "--service", "flights")
    finally:
        stack.load.stop()
    counts = stack.load.counts()
    print("rollback client counts:", dict(counts))
    assert result.returncode == 0, result.stdout
    state = stack.flights_state()
    assert state["live"] == "v2"
    assert state["previous"] == "v4"
    assert not state["releases"]["v4"]["running"]
    assert [t["url"] for t in stack.routes()["flights"]] == [state["releases"]["v2"]["url"]]
    assert live_release_of(stack) == "v2"
    assert counts["5xx"] == 0
    assert not [kind for kind in counts if kind.startswith("conn:")]


def test_e_canary_of_a_slow_build_is_rolled_back_on_latency(stack: Stack) -> None:
    stack.load.results.clear()
    stack.load.start()
    try:
        result = stack.deploy(
            "canary", "--service", "flights", "--image", "skyway:v5", "--env", "FAULT_LATENCY_MS=300",
            "--steps", "25,100", "--step-seconds", "5", "--min-requests", "10", "--max-p95-ms", "250",
        )  # fmt: skip
    finally:
        stack.load.stop()
    counts = stack.load.counts()
    print("canary v5 (slow) client counts:", dict(counts))
    assert result.returncode != 0
    assert "ROLLED BACK" in result.stdout
    state = stack.flights_state()
    assert state["live"] == "v2"
    assert not state["releases"]["v5"]["running"]
    report = json.loads((stack.state_dir / "reports" / "flights-v5-canary.json").read_text())
    assert report["failed_at"] == 25
    step = report["steps"][-1]
    assert step["canary_figures"]["errors"] == 0, "slow, not failing"
    assert step["canary_figures"]["p95_ms"] >= 300
    assert any("p95" in reason and "> max 250 ms" in reason for reason in step["reasons"])
    assert counts["5xx"] == 0
    assert live_release_of(stack) == "v2"
