"""Lockstep releases of reservations and the gateway on real processes (pytest -m rollout, ADRs 147, 148).

A front router (deploy/front.py, the ALB's stand-in) routes clients to the gateway, which `python -m deploy`
runs like any service; the gateway routes flights and reservations by the same routes file. The client load
goes through the front router: flight lookups and unretried writes (reserve a free seat, release it), every
answer counted. The scenarios build on each other in file order: g1/r1 live → lockstep L2 promoted (both) →
L3 with a reservations build refusing free seats rolled back (reservations; the gateway never started) →
L4 with a failing gateway rolled back (the gateway, then reservations).
"""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from deploy.analysis import snapshot_parse
from deploy.front import front_process
from skyway.serve import ServerProcess
from tests.release.rollout_files import k8s_with_rollout, releases_stop, rollout_steps_set
from tests.release.test_rollouts import DeployStack, assert_writes_all_succeeded, contexts_seed, writing_load
from tests.support.live import ROOT, base_env, free_port

pytestmark = [pytest.mark.rollout, pytest.mark.timeout(300)]

FAULT_RATE = 0.3
WRONG_TAKEN_RATE = 0.5


@dataclass
class LockstepStack(DeployStack):
    """Clients come in through the front router ahead of the gateway, which deploy runs too."""

    front: ServerProcess | None = None
    deploy_timeout: ClassVar[float] = 200

    def entry_args(self) -> list[str]:
        return ["--front-url", self.front.url]

    def routed(self, service: str) -> list[str]:
        return [t["url"] for t in self.routes()[service]]

    def live_url(self, service: str) -> str:
        state = self.state(service)
        return state["releases"][state["live"]]["url"]

    def report(self, release: str) -> dict:
        return json.loads((self.state_dir / "reports" / f"lockstep-{release}.json").read_text())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    var_dir = tmp_path_factory.mktemp("lockstep")
    state_dir = var_dir / "deploy"
    routes = state_dir / "routes.json"
    env = base_env(
        SKYWAY_VAR_DIR=str(var_dir), SKYWAY_ENV="local", UPSTREAM_READ_TIMEOUT="5",
        GATEWAY_ROUTES_FILE=str(routes),  # the gateways deploy starts route their upstreams by it
        FLIGHTS_URL=f"http://127.0.0.1:{free_port()}", RESERVATIONS_URL=f"http://127.0.0.1:{free_port()}",
    )  # fmt: skip
    contexts_seed(env)
    front = front_process(routes_file=routes, port=free_port(), env=env, log_path=var_dir / "front.log")
    stack = LockstepStack(state_dir=state_dir, env=env, load=None, front=front.start())  # type: ignore[arg-type]
    try:
        for service, image in (
            ("flights", "skyway:v1"),
            ("reservations", "skyway:r1"),
            ("gateway", "skyway:g1"),
        ):
            done = stack.deploy("deploy", "--service", service, "--image", image)
            assert done.returncode == 0, done.stdout
        stack.load = writing_load(front.url)
        yield stack
    finally:
        front.stop()
        releases_stop(state_dir, env, ROOT)


def lockstep_k8s(tmp_path: Path, reservations: list[int]) -> Path:
    """k8s/base whose Rollouts step through `reservations` and 50 % for the gateway (then 100 %), 3 s
    each, min-requests 10."""
    copy = k8s_with_rollout(
        tmp_path, "reservations", weights=reservations, pause="3s", analysis_args={"min-requests": "10"}
    )
    rollout_steps_set(copy, "gateway", weights=[50], pause="3s")
    return copy


def lockstep_run(
    stack: LockstepStack,
    tmp_path: Path,
    image: str,
    *env: str,
    reservations: list[int] = [50],  # noqa: B006
) -> subprocess.CompletedProcess:
    args = [item for pair in env for item in ("--env", pair)]
    k8s = lockstep_k8s(tmp_path, reservations)
    try:
        result, _counts = stack.deploy_under_load("lockstep", "--image", image, "--k8s-dir", str(k8s), *args)
    finally:
        evidence(stack)
    return result


def evidence(stack: LockstepStack) -> None:
    """What the front router counted per gateway target, and every 5xx a process logged (for a failure)."""
    front = snapshot_parse(httpx.get(f"{stack.front.url}/-/front/metrics", timeout=5).text).get("gateway", {})
    print("front router:", {target: figures["outcomes"] for target, figures in front.items()})
    for log in sorted((stack.state_dir / "logs").glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if '"status":5' in line or '"level":"error"' in line:
                print(log.name, line[:400])


def assert_nothing_lost(counts) -> None:
    """No request dropped on its way: every client request got an HTTP answer from the front router."""
    assert not [kind for kind in counts if kind.startswith("conn:")], counts
    assert counts["ok"] > 50, counts


@pytest.mark.timeout(480)  # the stack's five processes start first, on busy shared cores
def test_a_lockstep_release_of_good_builds_promotes_reservations_then_the_gateway(
    stack: LockstepStack, tmp_path: Path
) -> None:
    result = lockstep_run(stack, tmp_path, "skyway:L2")
    counts = stack.load.counts()
    print("lockstep L2 client counts:", dict(counts))
    assert result.returncode == 0, result.stdout
    assert "PROMOTED: lockstep L2, reservations then gateway take 100 %" in result.stdout
    for service, previous in (("reservations", "r1"), ("gateway", "g1")):
        state = stack.state(service)
        assert (state["live"], state["previous"]) == ("L2", previous), service
        assert not state["releases"][previous]["running"], f"{service} {previous} still runs"
        assert stack.routed(service) == [stack.live_url(service)]
        assert httpx.get(f"{stack.live_url(service)}/health", timeout=5).json()["releaseId"] == "L2"
    report = stack.report("L2")
    assert report["order"] == ["reservations", "gateway"]
    assert report["outcome"] == "promoted"
    # Each service went through its own steps; every gateway step judged reservations too.
    for service in ("reservations", "gateway"):
        steps = report["steps"][service]
        assert [(s["weight"], s["status"]) for s in steps] == [(50, "pass"), (100, "pass")], service
        assert all(s["canary_figures"]["requests"] >= 10 for s in steps), service
    gates = report["gates"]
    assert [(g["service"], g["during"], g["weight"], g["status"]) for g in gates] == [
        ("reservations", "gateway", 50, "pass"),
        ("reservations", "gateway", 100, "pass"),
    ]
    assert all(g["canary_figures"]["requests"] >= 10 for g in gates)
    assert_nothing_lost(counts)
    assert set(counts) == {"ok"}, counts
    assert_writes_all_succeeded(stack.load)


def test_b_a_bad_reservations_build_rolls_the_lockstep_release_back_before_the_gateway_moves(
    stack: LockstepStack, tmp_path: Path
) -> None:
    live = {service: stack.state(service)["live"] for service in ("reservations", "gateway")}
    result = lockstep_run(
        stack, tmp_path, "skyway:L3", f"reservations:FAULT_WRONG_TAKEN_RATE={WRONG_TAKEN_RATE}"
    )
    counts = stack.load.counts()
    print("lockstep L3 (reservations refusing free seats) client counts:", dict(counts))
    assert result.returncode != 0
    assert "ROLLED BACK: lockstep L3, reservations back to the live versions." in result.stdout
    report = stack.report("L3")
    assert report["outcome"] == "rolled_back"
    assert report["rolled_back"] == ["reservations"]
    step = report["steps"]["reservations"][-1]
    assert (step["weight"], step["status"]) == (50, "breach")
    assert [r for r in step["reasons"] if "refused" in r and "free seats" in r], step["reasons"]
    assert "gateway" not in report["steps"], "the gateway's canary never started"
    for service in ("reservations", "gateway"):
        state = stack.state(service)
        assert state["live"] == live[service], service
        assert stack.routed(service) == [stack.live_url(service)]
    assert not stack.state("reservations")["releases"]["L3"]["running"]
    assert "L3" not in stack.state("gateway")["releases"]
    # Clients: nothing lost, no 5xx; the only failures are the bad build's wrong refusals at its 50 %.
    assert_nothing_lost(counts)
    assert set(counts) <= {"ok", "reserve:409"}, counts
    writes = stack.load.writes_seen
    reserves = writes["reserve:201"] + writes["reserve:409"]
    assert writes["release:204"] == writes["reserve:201"], "every reserved seat was released again"
    exposure = 0.5 * WRONG_TAKEN_RATE
    bound = exposure + 3 * math.sqrt(exposure * (1 - exposure) / reserves)
    print(f"lockstep L3: {writes['reserve:409']}/{reserves} reserves refused; bound {bound:.2%}")
    assert writes["reserve:409"] / reserves <= bound


def test_c_a_bad_gateway_build_rolls_the_gateway_back_then_reservations(
    stack: LockstepStack, tmp_path: Path
) -> None:
    live = {service: stack.state(service)["live"] for service in ("reservations", "gateway")}
    # Reservations in one step (100 %), so that the run reaches the gateway's first step sooner.
    result = lockstep_run(
        stack, tmp_path, "skyway:L4", f"gateway:FAULT_ERROR_RATE={FAULT_RATE}", reservations=[100]
    )
    counts = stack.load.counts()
    print("lockstep L4 (failing gateway) client counts:", dict(counts))
    assert result.returncode != 0
    assert "ROLLED BACK: lockstep L4, gateway then reservations back to the live versions." in result.stdout
    report = stack.report("L4")
    assert report["rolled_back"] == ["gateway", "reservations"]
    assert [(s["weight"], s["status"]) for s in report["steps"]["reservations"]] == [(100, "pass")]
    step = report["steps"]["gateway"][-1]
    assert (step["weight"], step["status"]) == (50, "breach")
    assert step["canary_figures"]["errors"] > 0
    # Newest first: the gateway's traffic went back before reservations' did.
    output = result.stdout
    assert output.index("Roll back gateway L4") < output.index("Roll back reservations L4")
    for service in ("reservations", "gateway"):
        state = stack.state(service)
        assert state["live"] == live[service], service
        assert not state["releases"]["L4"]["running"], service
        assert stack.routed(service) == [stack.live_url(service)]
    # Clients: nothing lost; the only failures are the bad gateway's own 5xx while it had its 50 %. A seat
    # whose release got one of them stays held, and its thread's later reserves of it are refused (409).
    assert_nothing_lost(counts)
    assert set(counts) <= {"ok", "5xx", "reserve:409"}, counts
    writes = stack.load.writes_seen
    print("lockstep L4 writes:", dict(writes))
    failed_releases = sum(n for kind, n in writes.items() if kind.startswith("release:5"))
    assert writes["release:204"] + failed_releases == writes["reserve:201"], (
        "every reserved seat got its release"
    )
    assert not writes["reserve:409"] or failed_releases, "a refusal without a seat left held"
    total = sum(counts.values())
    exposure = 0.5 * FAULT_RATE
    bound = exposure + 3 * math.sqrt(exposure * (1 - exposure) / total)
    print(f"lockstep L4: {counts['5xx']}/{total} client errors; bound {bound:.2%}")
    assert 0 < counts["5xx"] / total <= bound
