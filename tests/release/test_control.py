"""Operator controls of a local rollout (deploy/control.py): pause, promote, abort, status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploy import control
from deploy.localproc import pid_alive, state_save
from tests.release.deploy_cli import deploy_run


class FakeClock:
    """time.monotonic and time.sleep for wait_step: sleeping advances the clock, and may run a hook."""

    def __init__(self) -> None:
        self.now = 0.0
        self.hooks: dict[float, object] = {}

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.05)
        for at in sorted(self.hooks):
            if self.now >= at:
                self.hooks.pop(at)()  # type: ignore[operator]


def test_a_step_is_observed_for_its_seconds(tmp_path: Path) -> None:
    clock = FakeClock()
    code = control.wait_step(state_dir=tmp_path, service="flights", seconds=3, clock=clock, sleep=clock.sleep)
    assert code == control.CONTINUE
    assert 3 <= clock.now < 3.5


def test_a_pause_holds_the_step_until_promote(tmp_path: Path) -> None:
    clock = FakeClock()
    control.control_write(tmp_path, "flights", "pause")
    clock.hooks[60.0] = lambda: control.control_write(tmp_path, "flights", "promote")
    code = control.wait_step(state_dir=tmp_path, service="flights", seconds=3, clock=clock, sleep=clock.sleep)
    assert code == control.CONTINUE
    assert clock.now >= 60, "a paused step must not end by itself"
    assert control.control_read(tmp_path, "flights") is None, "promote is consumed"


@pytest.mark.parametrize(
    ("action", "code"), [("abort", control.ABORT), ("promote-full", control.PROMOTE_FULL)]
)
def test_abort_and_promote_full_end_the_step_at_once(tmp_path: Path, action: str, code: int) -> None:
    clock = FakeClock()
    clock.hooks[1.0] = lambda: control.control_write(tmp_path, "flights", action)
    assert (
        control.wait_step(state_dir=tmp_path, service="flights", seconds=30, clock=clock, sleep=clock.sleep)
        == code
    )
    assert clock.now < 2
    decisions = [json.loads(line) for line in (tmp_path / "decisions.jsonl").read_text().splitlines()]
    assert decisions[-1]["action"] == action


def test_abort_now_sends_all_traffic_to_stable_and_stops_the_candidate(tmp_path: Path) -> None:
    candidate = subprocess.Popen(  # stands in for the canary's gunicorn (its own session, like localproc's)
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        state_save(tmp_path, {"services": {"flights": {
            "live": "v1", "previous": None, "candidate": None,
            "releases": {
                "v1": {"url": "http://127.0.0.1:1", "pid": os.getpid(), "running": True, "slot": "stable"},
                "v2": {"url": "http://127.0.0.1:2", "pid": candidate.pid, "running": True, "slot": "canary"},
            },
        }}})  # fmt: skip
        (tmp_path / "routes.json").write_text(json.dumps({"flights": [
            {"name": "stable", "url": "http://127.0.0.1:1", "weight": 90},
            {"name": "canary", "url": "http://127.0.0.1:2", "weight": 10},
        ]}))  # fmt: skip
        result = control.abort_now(state_dir=tmp_path, service="flights", reason="test")
        candidate.wait(timeout=20)
    finally:
        if candidate.poll() is None:
            os.killpg(candidate.pid, signal.SIGKILL)
    assert result["aborted"] == "v2"
    assert json.loads((tmp_path / "routes.json").read_text())["flights"] == [
        {"name": "stable", "url": "http://127.0.0.1:1", "weight": 100}
    ]
    assert not pid_alive(candidate.pid)
    snapshot = control.status_snapshot(state_dir=tmp_path, service="flights")
    assert snapshot["candidate"] is None
    assert snapshot["outcome"] == "rolled_back"
    assert snapshot["weights"] == {"v1": 100}
    decision = json.loads((tmp_path / "decisions.jsonl").read_text().splitlines()[-1])
    assert decision["action"] == "rolled_back"
    assert decision["evidence"]["reason"] == "test"
    assert decision["evidence"]["candidate_stopped"] is True


def test_status_shows_weights_steps_and_the_decision(tmp_path: Path) -> None:
    state_save(tmp_path, {"services": {"flights": {
        "live": "v2", "previous": "v1", "candidate": None,
        "releases": {"v2": {"url": "http://127.0.0.1:2", "pid": os.getpid(), "running": True, "slot": "canary"}},
    }}})  # fmt: skip
    (tmp_path / "routes.json").write_text(
        json.dumps({"flights": [{"name": "stable", "url": "http://127.0.0.1:2", "weight": 100}]})
    )
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "flights-v2-step-25.json").write_text(json.dumps({
        "status": "pass", "reasons": [], "canary_figures": {"errors": 0, "requests": 40, "p95_ms": 12.5}}))  # fmt: skip
    time.sleep(0.01)
    (reports / "flights-v2-canary.json").write_text(json.dumps({"release": "v2", "outcome": "promoted"}))
    lines = control.status_lines(control.status_snapshot(state_dir=tmp_path, service="flights"))
    assert lines[0] == "flights: live v2, candidate -; traffic: v2 100 %"
    assert lines[1] == "  step 25 %: pass — canary 0/40 errors, p95 12.5 ms"
    assert lines[-1] == "decision: PROMOTED v2"


def test_a_control_without_a_running_rollout_is_refused(tmp_path: Path) -> None:
    result = deploy_run("pause", "--service", "flights", "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert "no flights rollout is running" in result.stdout
    assert not (tmp_path / "control" / "flights.json").exists()


@pytest.mark.parametrize(
    ("action", "code"),
    [("promote", control.CONTINUE), ("promote-full", control.PROMOTE_FULL), ("abort", control.ABORT)],
)
def test_an_inconclusive_step_pauses_until_the_operator_decides(
    tmp_path: Path, action: str, code: int
) -> None:
    """Argo Rollouts' Inconclusive: no promotion, no rollback, a pause that waits however long it takes."""
    clock = FakeClock()
    seen: dict[str, object] = {}

    def operator() -> None:
        seen["snapshot"] = control.status_snapshot(state_dir=tmp_path, service="flights")
        control.control_write(tmp_path, "flights", action)

    clock.hooks[3600.0] = operator  # an hour later: the pause has no timeout
    result = control.hold(
        state_dir=tmp_path, service="flights", weight=10, reasons=["only 3 canary requests (< 20)"],
        clock=clock, sleep=clock.sleep,
    )  # fmt: skip
    assert result == code
    snapshot: dict = seen["snapshot"]  # type: ignore[assignment]
    assert snapshot["paused"] is True
    assert snapshot["paused_by"] == "analysis"
    assert "(PAUSED: inconclusive, promote or abort)" in control.status_lines(snapshot)[0]
    decisions = [json.loads(line) for line in (tmp_path / "decisions.jsonl").read_text().splitlines()]
    held = next(d for d in decisions if d["action"] == "paused_inconclusive")
    assert held["evidence"]["weight"] == 10
    assert held["evidence"]["reasons"] == ["only 3 canary requests (< 20)"]
    assert [d["action"] for d in decisions][-1] == action  # the operator's decision, logged after it
    assert control.control_read(tmp_path, "flights") is None, "the decision is consumed"
