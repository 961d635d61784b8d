"""Real rollouts on this machine (pytest -m rollout): the same `python -m deploy …` users run, against
server processes — a gateway routing by its routes file, flights versions beside each other — while a
steady client load goes through the gateway and every response is counted: flight lookups, and unretried
writes (a reserve of a free seat, then its release; no Idempotency-Key, so no retry hides a failure).

The scenarios build on each other in file order, as releases do: v1 live → canary v2 promoted → canary
v3 (bad build: 30 % errors) rolled back → blue-green v4 → rollback to v2 → canary v5 (slow build) rolled
back; reservations r1 live → canary r2 (wrong 403s on free seats, no 5xx) rolled back on the business gate.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from deploy.localproc import pid_alive
from tests.release.deploy_cli import deploy_run, deploy_start
from tests.release.rollout_files import k8s_with_rollout, releases_stop
from tests.support.flights import open_flights_via_api
from tests.support.live import ROOT, LiveService, base_env, free_port, run_manage

pytestmark = [pytest.mark.rollout, pytest.mark.timeout(240)]

logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per load request otherwise
FLIGHT_QUERY = "/api/flights?flight_no=AA2532&date=2020-05-17"
FAULT_RATE = 0.3


@dataclass
class Load:
    """Client threads hammering the gateway's flight lookup; every answer is counted with its time.

    With `writes`, each round also reserves a free seat of `flight_id` (no Idempotency-Key: the gateway
    never retries it) and releases it again, each thread on its own seats, so every refusal is wrong:
    answers are counted as "reserve:<status>" and "release:<status>" (201 and 204 count as "ok")."""

    url: str
    token: str
    threads: int = 2
    pause: float = 0.02
    writes: bool = False
    flight_id: str = ""
    seats: list[str] = field(default_factory=list)
    results: list[tuple[float, str]] = field(default_factory=list)
    writes_seen: Counter = field(default_factory=Counter)  # "reserve:201", "release:204", "reserve:409" …
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _count(self, kind: str) -> None:
        with self._lock:
            self.results.append((time.monotonic(), kind))

    def _call(self, client: httpx.Client, method: str, path: str, label: str = "", **kwargs) -> int | None:
        try:
            status = client.request(method, path, **kwargs).status_code
        except httpx.TransportError as exc:
            self._count(f"conn:{type(exc).__name__}")
            return None
        kind = "ok" if status < 400 else ("5xx" if status >= 500 else f"{label}{status}")
        self._count(kind)
        if label:
            with self._lock:
                self.writes_seen[f"{label}{status}"] += 1
        return status

    def _run(self, index: int) -> None:
        mine = self.seats[index :: self.threads]
        turn = 0
        with httpx.Client(
            base_url=self.url, headers={"Authorization": f"Token {self.token}"}, timeout=10
        ) as client:
            while not self._stop.is_set():
                self._call(client, "GET", FLIGHT_QUERY)
                if self.writes and mine:
                    seat = mine[turn % len(mine)]
                    turn += 1
                    path = f"/api/flights/{self.flight_id}/reservations"
                    if self._call(client, "POST", path, "reserve:", json={"seat": seat}) == 201:
                        self._call(client, "DELETE", f"{path}/{seat}", "release:")
                time.sleep(self.pause)

    def start(self) -> Load:
        self._stop.clear()
        with self._lock:
            self.writes_seen.clear()
        self._workers = [
            threading.Thread(target=self._run, args=(index,), daemon=True) for index in range(self.threads)
        ]
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
class DeployStack:
    """A deploy state dir and its environment, with the client load that runs beside each release.

    The rollout and lockstep stacks differ in where clients come in (`entry_args`: the gateway, or the
    front router ahead of it) and in how long a deploy may take."""

    state_dir: Path
    env: dict[str, str]
    load: Load
    deploy_timeout: ClassVar[float] = 150

    def entry_args(self) -> list[str]:
        raise NotImplementedError

    def deploy(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        """`python -m deploy …` exactly as a user runs it (inventory local)."""
        result = deploy_run(
            *args, "--state-dir", str(self.state_dir), *self.entry_args(),
            env=self.env, timeout=timeout or self.deploy_timeout,
        )  # fmt: skip
        print(result.stdout[-8000:], result.stderr[-3000:])
        return result

    def deploy_under_load(
        self, *args: str, linger: float = 0.0
    ) -> tuple[subprocess.CompletedProcess, Counter]:
        """`deploy *args` while the load runs (counted afresh), and `linger` seconds after it; the
        deploy's result and what the clients saw."""
        self.load.results.clear()
        self.load.start()
        try:
            result = self.deploy(*args)
            time.sleep(linger)
        finally:
            self.load.stop()
        return result, self.load.counts()

    def state(self, service: str) -> dict:
        return json.loads((self.state_dir / "state.json").read_text())["services"][service]

    def routes(self) -> dict:
        return json.loads((self.state_dir / "routes.json").read_text())


def contexts_seed(env: dict[str, str]) -> None:
    """Flights' and the gateway's databases migrated, the schedule and the demo customers seeded."""
    run_manage("settings.flights", "migrate_contexts", env=env)
    run_manage("settings.flights", "seed_flights", env=env)
    run_manage("settings.gateway", "migrate_contexts", env=env)
    run_manage("settings.gateway", "seed_demo_customers", env={**env, "DEBUG": "1"})


def writing_load(url: str) -> Load:
    """The load of every scenario, reads and unretried writes (what a client sees of a release is both),
    as alice through `url`: writes need an open flight (a departed one refuses them), so the latest
    listed today or tomorrow, on its free seats."""
    token = httpx.post(
        f"{url}/api/auth/token", json={"username": "alice", "password": "skyway-demo"}, timeout=10
    ).json()["token"]
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=10) as client:
        flight_id = open_flights_via_api(client)[-1]["flight_id"]
        chart = client.get(f"/api/flights/{flight_id}/seats").json()
    free = [
        s["seat"] for c in chart["cabins"] for r in c["rows"] for s in r["seats"] if s["status"] == "free"
    ]
    assert len(free) > 20, chart
    return Load(url=url, token=token, writes=True, flight_id=flight_id, seats=free)


@dataclass
class Stack(DeployStack):
    gateway: LiveService | None = None

    def entry_args(self) -> list[str]:
        return ["--gateway-url", self.gateway.url]

    def watch(self) -> subprocess.Popen:
        """`python -m deploy status --watch` in the background, as an operator runs it beside a rollout."""
        return deploy_start(
            "status", "--service", "flights", "--watch", "--timeout", "150", "--state-dir", str(self.state_dir),
            env=self.env,
        )  # fmt: skip

    def flights_state(self) -> dict:
        return self.state("flights")

    def canary_report(self, service: str, release: str) -> dict:
        return json.loads((self.state_dir / "reports" / f"{service}-{release}-canary.json").read_text())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    var_dir = tmp_path_factory.mktemp("rollout")
    state_dir = var_dir / "deploy"
    env = base_env(SKYWAY_VAR_DIR=str(var_dir), SKYWAY_ENV="local", UPSTREAM_READ_TIMEOUT="5")
    contexts_seed(env)

    stack = Stack(state_dir=state_dir, env=env, load=None)  # type: ignore[arg-type]
    gateway = LiveService(
        settings_module="settings.gateway",
        port=free_port(),
        env={
            **env,
            "GATEWAY_ROUTES_FILE": str(state_dir / "routes.json"),
            "FLIGHTS_URL": f"http://127.0.0.1:{free_port()}",
            "RESERVATIONS_URL": f"http://127.0.0.1:{free_port()}",
        },
        workers=1,
        threads=16,
        log_path=var_dir / "gateway.log",
    )
    stack.gateway = gateway
    # Everything started from here on is stopped below, also when the set-up itself fails.
    try:
        first = stack.deploy("deploy", "--service", "flights", "--image", "skyway:v1")
        assert first.returncode == 0, first.stdout
        seats = stack.deploy("deploy", "--service", "reservations", "--image", "skyway:r1")
        assert seats.returncode == 0, seats.stdout
        gateway.start()
        stack.load = writing_load(gateway.url)
        auth = {"Authorization": f"Token {stack.load.token}"}
        assert httpx.get(f"{gateway.url}{FLIGHT_QUERY}", headers=auth, timeout=10).status_code == 200
        yield stack
    finally:
        gateway.stop()
        releases_stop(state_dir, env, ROOT)


def assert_writes_all_succeeded(load: Load) -> None:
    """The load's unretried reserves and releases all went through (no retry hid a failure)."""
    writes = load.writes_seen
    print("writes:", dict(writes))
    assert writes["reserve:201"] > 10, writes
    assert set(writes) == {"reserve:201", "release:204"}, writes
    assert writes["release:204"] == writes["reserve:201"]


def assert_rolled_back(
    stack: Stack, result: subprocess.CompletedProcess, service: str, *, live: str, candidate: str
) -> dict:
    """`service`'s canary of `candidate` was rolled back: `live` takes all traffic again, the candidate is
    stopped and no longer a candidate. The canary's report, which says so too."""
    assert result.returncode != 0
    assert "ROLLED BACK" in result.stdout
    state = stack.state(service)
    assert state["live"] == live
    assert state["candidate"] is None
    assert not state["releases"][candidate]["running"]
    assert [t["url"] for t in stack.routes()[service]] == [state["releases"][live]["url"]]
    report = stack.canary_report(service, candidate)
    assert report["outcome"] == "rolled_back"
    return report


def live_release_of(stack: Stack) -> str:
    state = stack.flights_state()
    url = state["releases"][state["live"]]["url"]
    return httpx.get(f"{url}/health", timeout=5).json()["releaseId"]


def assert_live_alone(stack: Stack, *, live: str, replaced: str) -> None:
    """flights' `live` release takes all traffic and answers as itself; `replaced`, the release it took
    over from, is the previous one and is stopped."""
    state = stack.flights_state()
    assert state["live"] == live
    assert state["previous"] == replaced
    assert not state["releases"][replaced]["running"]
    assert [t["url"] for t in stack.routes()["flights"]] == [state["releases"][live]["url"]]
    assert live_release_of(stack) == live


def test_a_canary_of_a_healthy_version_is_promoted_to_all_traffic(stack: Stack, tmp_path: Path) -> None:
    # Driven by the Kubernetes files: steps, pause and min-requests come from the Rollout and its
    # AnalysisTemplate (a copy with short pauses), not from command-line options.
    k8s = k8s_with_rollout(
        tmp_path, "flights", weights=[25, 50], pause="3s", analysis_args={"min-requests": "10"}
    )
    watch = stack.watch()
    result, counts = stack.deploy_under_load(
        "canary", "--service", "flights", "--image", "skyway:v2", "--k8s-dir", str(k8s)
    )
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
    assert_live_alone(stack, live="v2", replaced="v1")
    report = stack.canary_report("flights", "v2")
    assert [step["weight"] for step in report["steps"]] == [25, 50, 100]
    assert all(step["canary_figures"]["requests"] >= 10 for step in report["steps"])
    assert counts["ok"] > 100
    assert counts["5xx"] == 0
    assert not [kind for kind in counts if kind.startswith("conn:")]
    assert_writes_all_succeeded(stack.load)


def test_b_canary_of_a_bad_build_is_rolled_back_at_the_first_step(stack: Stack, tmp_path: Path) -> None:
    k8s = k8s_with_rollout(
        tmp_path, "flights", weights=[10, 50], pause="5s", analysis_args={"min-requests": "10"}
    )
    started = time.monotonic()
    result, counts = stack.deploy_under_load(
        "canary", "--service", "flights", "--image", "skyway:v3", "--env", f"FAULT_ERROR_RATE={FAULT_RATE}",
        "--k8s-dir", str(k8s),
    )  # fmt: skip
    print("canary v3 (bad) client counts:", dict(counts))
    report = assert_rolled_back(stack, result, "flights", live="v2", candidate="v3")
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
        process = deploy_start(
            "canary", "--service", "flights", "--image", "skyway:v3i", "--k8s-dir", str(k8s),
            "--state-dir", str(stack.state_dir), *stack.entry_args(), env=stack.env,
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
    assert_writes_all_succeeded(stack.load)


def test_c_blue_green_switch_loses_no_request(stack: Stack) -> None:
    # Counting goes on for 2 s after the switch: stragglers on the old colour must finish too.
    result, counts = stack.deploy_under_load(
        "blue-green", "--service", "flights", "--image", "skyway:v4", linger=2
    )
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
    assert_writes_all_succeeded(stack.load)


def test_d_rollback_restores_the_previous_version(stack: Stack) -> None:
    result, counts = stack.deploy_under_load("rollback", "--service", "flights")
    print("rollback client counts:", dict(counts))
    assert result.returncode == 0, result.stdout
    assert_live_alone(stack, live="v2", replaced="v4")
    assert counts["5xx"] == 0
    assert not [kind for kind in counts if kind.startswith("conn:")]
    assert_writes_all_succeeded(stack.load)


def test_e_canary_of_a_slow_build_is_rolled_back_on_latency(stack: Stack) -> None:
    result, counts = stack.deploy_under_load(
        "canary", "--service", "flights", "--image", "skyway:v5", "--env", "FAULT_LATENCY_MS=300",
        "--steps", "25,100", "--step-seconds", "5", "--min-requests", "10", "--max-p95-ms", "250",
    )  # fmt: skip
    print("canary v5 (slow) client counts:", dict(counts))
    report = assert_rolled_back(stack, result, "flights", live="v2", candidate="v5")
    assert report["failed_at"] == 25
    step = report["steps"][-1]
    assert step["canary_figures"]["errors"] == 0, "slow, not failing"
    assert step["canary_figures"]["p95_ms"] >= 300
    assert any("p95" in reason and "> max 250 ms" in reason for reason in step["reasons"])
    assert counts["5xx"] == 0
    assert_writes_all_succeeded(stack.load)
    assert live_release_of(stack) == "v2"


WRONG_TAKEN_RATE = 0.5


def test_f_canary_of_a_reservations_build_refusing_free_seats_is_rolled_back_on_the_business_gate(
    stack: Stack, tmp_path: Path
) -> None:
    """A build that answers the book's 403 for free seats (no 5xx at all) passes every error-rate
    metric; the refused-free share of reserves (ADR 114) is what rolls it back at the first step."""
    k8s = k8s_with_rollout(
        tmp_path, "reservations", weights=[20, 50], pause="6s", analysis_args={"min-requests": "10"}
    )
    result, counts = stack.deploy_under_load(
        "canary", "--service", "reservations", "--image", "skyway:r2",
        "--env", f"FAULT_WRONG_TAKEN_RATE={WRONG_TAKEN_RATE}", "--k8s-dir", str(k8s),
    )  # fmt: skip
    print("canary r2 (wrong 403) client counts:", dict(counts))
    report = assert_rolled_back(stack, result, "reservations", live="r1", candidate="r2")
    assert report["failed_at"] == 20
    step = report["steps"][-1]
    canary = step["canary_figures"]
    # The business gate fired, not the error rate: no 5xx anywhere, free seats refused as taken.
    assert step["status"] == "breach"
    assert canary["errors"] == 0
    assert canary["refused_free"] > 0
    assert canary["requests"] >= 10
    assert [r for r in step["reasons"] if "refused" in r and "free seats" in r], step["reasons"]
    assert not [r for r in step["reasons"] if "error rate" in r], step["reasons"]
    # The step's hash-vs-log check ran and found the store consistent (the fault writes nothing).
    check = json.loads(
        (stack.state_dir / "reports" / "reservations-r2-step-20-consistency.json")
        .read_text()
        .splitlines()[-1]
    )
    assert check["consistent"] is True

    # What clients saw: no 5xx and no dropped connection. The only failures are the wrong refusals, and
    # only while the canary took its 20 %: a share of about weight x fault rate of the reserves.
    assert counts["5xx"] == 0
    assert not [kind for kind in counts if kind.startswith("conn:")]
    writes = stack.load.writes_seen
    print("canary r2 writes:", dict(writes))
    assert set(counts) <= {"ok", "reserve:409"}, counts
    assert set(writes) <= {"reserve:201", "reserve:409", "release:204"}, writes
    assert writes["release:204"] == writes["reserve:201"], "every reserved seat was released again"
    reserves = writes["reserve:201"] + writes["reserve:409"]
    refused = writes["reserve:409"]
    assert reserves > 50
    assert refused > 0, "the load never met the canary's wrong refusals"
    exposure = report["failed_at"] / 100 * WRONG_TAKEN_RATE
    bound = exposure + 3 * math.sqrt(exposure * (1 - exposure) / reserves)
    print(
        f"wrong-403 canary: {refused}/{reserves} reserves refused = {refused / reserves:.2%}; bound {bound:.2%}"
    )
    assert refused / reserves <= bound


@pytest.mark.timeout(480)  # a pause for the operator, then two loaded steps, on busy shared cores
def test_g_a_canary_with_no_traffic_pauses_inconclusive_then_the_load_step_gets_it_judged(
    stack: Stack, tmp_path: Path
) -> None:
    """No client at all: the 10 % step has nothing to judge — Inconclusive, so the rollout pauses there
    (neither promoted nor rolled back) until the operator promotes; the 50 % step's load step (ADR 134)
    sends the canary enough requests to judge it, and it is promoted."""
    k8s = k8s_with_rollout(
        tmp_path, "flights", weights=[10, 50], pause="2s", analysis_args={"min-requests": "10"},
        load={50: {"duration": "3", "rate": "10"}},
    )  # fmt: skip
    process = deploy_start(
        "canary", "--service", "flights", "--image", "skyway:v6", "--k8s-dir", str(k8s),
        "--state-dir", str(stack.state_dir), *stack.entry_args(), env=stack.env,
    )  # fmt: skip
    control_file = stack.state_dir / "control" / "flights.json"
    live = stack.flights_state()["live"]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if control_file.exists() and json.loads(control_file.read_text()).get("by") == "analysis":
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the quiet canary never paused: {process.communicate(timeout=30)[0]}")
        status = stack.deploy("status", "--service", "flights")
        paused = f"live {live}, candidate v6 (PAUSED: inconclusive, promote or abort); traffic: {live} 90 %, v6 10 %"
        assert paused in status.stdout
        assert "step 10 %: no_data" in status.stdout
        assert process.poll() is None, "paused: neither promoted nor rolled back"
        promote = stack.deploy("promote", "--service", "flights")
        assert promote.returncode == 0, promote.stdout
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
    print(output[-4000:])
    assert process.returncode == 0, output
    assert "PROMOTED" in output
    report = stack.canary_report("flights", "v6")
    assert [(s["weight"], s["status"]) for s in report["steps"]] == [
        (10, "no_data"),
        (50, "pass"),
        (100, "pass"),
    ]
    for step in report["steps"][1:]:
        assert step["canary_figures"]["requests"] >= 10, step  # the load step's, no client sent any
        assert step["canary_figures"]["errors"] == 0
    load = json.loads((stack.state_dir / "reports" / "flights-v6-step-50-load.json").read_text())
    assert load["sent"] >= 10
    assert set(load["figures"]["outcomes"]) == {"success"}
    decisions = [json.loads(line) for line in (stack.state_dir / "decisions.jsonl").read_text().splitlines()]
    actions = [d["action"] for d in decisions if d["service"] == "flights"]
    assert actions[-2:] == ["paused_inconclusive", "promote"]
    state = stack.flights_state()
    assert state["live"] == "v6"
    assert live_release_of(stack) == "v6"
