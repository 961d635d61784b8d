"""A real local canary prints its timeline as it runs and leaves a record that draws as a PNG."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.timeline import render, timeline_path, timeline_read
from tests.release import test_rollouts
from tests.release.rollout_files import k8s_with_rollout
from tests.release.test_rollouts import FAULT_RATE, Stack

pytestmark = [pytest.mark.rollout, pytest.mark.timeout(300)]
stack = (
    test_rollouts.stack
)  # the rollouts' live stack (gateway, flights v1, reservations r1), one for this module


def rollout(stack: Stack, tmp_path: Path, release: str, *env: str):
    k8s = k8s_with_rollout(
        tmp_path, "flights", weights=[25, 50], pause="3s", analysis_args={"min-requests": "10"}
    )
    stack.load.start()
    try:
        return stack.deploy(
            "canary", "--service", "flights", "--image", f"skyway:{release}", "--k8s-dir", str(k8s), *env
        )
    finally:
        stack.load.stop()


def test_a_promoted_canary_prints_one_line_per_step_and_draws_its_timeline(
    stack: Stack, tmp_path: Path
) -> None:
    result = rollout(stack, tmp_path, "t2")
    assert result.returncode == 0, result.stdout
    lines = [line.split("] ", 1)[1] for line in result.stdout.splitlines() if "◆" in line]
    assert lines[0] == "◆ flights t2  canary begins; live v1"
    assert "◆ flights t2  traffic: v1 75 %, t2 25 %" in lines
    assert "◆ flights t2  traffic: v1 50 %, t2 50 %" in lines
    for weight in (25, 50, 100):
        assert any(line.startswith(f"◆ flights t2  step {weight} %: PASS after ") for line in lines), weight
    assert "◆ flights t2  PROMOTED" in lines

    events = timeline_read(timeline_path(stack.state_dir, "flights", "t2"))
    steps = [(e["weight"], e["status"]) for e in events if e["kind"] == "analysis"]
    assert steps == [(25, "pass"), (50, "pass"), (100, "pass")]
    assert all(e["canary"]["requests"] >= 10 for e in events if e["kind"] == "analysis")
    elapsed = [e["elapsed"] for e in events]
    assert elapsed == sorted(elapsed)
    assert render(events, tmp_path / "t2.png").stat().st_size > 10_000


def test_a_rolled_back_canary_shows_the_breach_and_the_decision(stack: Stack, tmp_path: Path) -> None:
    result = rollout(stack, tmp_path, "t3", "--env", f"FAULT_ERROR_RATE={FAULT_RATE}")
    assert result.returncode != 0
    events = timeline_read(timeline_path(stack.state_dir, "flights", "t3"))
    (breach,) = [e for e in events if e["kind"] == "analysis"]
    assert (breach["weight"], breach["status"]) == (25, "breach")
    assert breach["canary"]["errors"] > 0
    assert [e["outcome"] for e in events if e["kind"] == "outcome"] == ["rolled_back"]
    assert [e["weights"] for e in events if e["kind"] == "weights"][-1] == {"t2": 100}
    assert any("step 25 %: BREACH" in line for line in result.stdout.splitlines())
    assert render(events, tmp_path / "t3.png").stat().st_size > 10_000
