"""The rollout timeline follows what the executor writes: traffic steps, verdicts, decisions, outcome."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deploy.timeline import Follower, event_line, render, timeline_path, timeline_read

V1, V2 = "http://127.0.0.1:25101", "http://127.0.0.1:25102"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def write(path: Path, data: object, *, mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def routes(state_dir: Path, *targets: tuple[str, str, int]) -> None:
    write(state_dir / "routes.json", {"flights": [{"name": n, "url": u, "weight": w} for n, u, w in targets]})


def verdict(status: str, canary_errors: int, reasons: list[str] | None = None) -> dict:
    return {
        "status": status,
        "reasons": reasons or [],
        "canary_figures": {"requests": 60, "errors": canary_errors, "p95_ms": 30.0},
        "stable_figures": {"requests": 180, "errors": 0, "p95_ms": 20.0},
    }


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    state = {"services": {"flights": {"live": "v1", "releases": {"v1": {"url": V1}, "v2": {"url": V2}}}}}
    write(tmp_path / "state.json", state)
    routes(tmp_path, ("stable", V1, 100))
    # An earlier run of v2 left its reports and decisions: not this run's events.
    write(tmp_path / "reports" / "flights-v2-step-10.json", verdict("breach", 30), mtime=10)
    write(tmp_path / "reports" / "flights-v2-canary.json", {"outcome": "rolled_back"}, mtime=10)
    (tmp_path / "decisions.jsonl").write_text(json.dumps({"service": "flights", "action": "abort"}) + "\n")
    return tmp_path


def test_each_traffic_step_verdict_and_decision_becomes_one_line_and_one_record(state_dir: Path) -> None:
    clock, lines = Clock(), []
    follower = Follower(state_dir=state_dir, service="flights", release="v2", command="canary",
                        out=lines.append, clock=clock)  # fmt: skip
    follower.poll()
    clock.now += 5
    routes(state_dir, ("stable", V1, 75), ("canary", V2, 25))
    follower.poll()
    follower.poll()  # nothing changed: nothing new
    clock.now += 4.5
    write(state_dir / "reports" / "flights-v2-step-25.json", verdict("pass", 0))
    write(
        state_dir / "reports" / "flights-v2-step-25-consistency.json", {"consistent": True}
    )  # not a verdict
    follower.poll()
    clock.now += 1
    with (state_dir / "decisions.jsonl").open("a") as log:
        log.write(json.dumps({"service": "gateway", "action": "pause"}) + "\n")
        log.write(
            json.dumps({"service": "flights", "action": "pause", "evidence": {"by": "operator"}}) + "\n"
        )
    follower.poll()
    clock.now += 2
    routes(state_dir, ("stable", V2, 100))
    write(state_dir / "reports" / "flights-v2-canary.json", {"outcome": "promoted"})
    follower.close("finished")

    assert lines == [
        "◆ flights v2  canary begins; live v1",
        "◆ flights v2  traffic: v1 100 %",
        "◆ flights v2  traffic: v1 75 %, v2 25 %",
        "◆ flights v2  step 25 %: PASS after 4.5 s — canary 0/60 errors (0.0%), p95 30 ms; stable 0/180 errors (0.0%), p95 20 ms",
        "◆ flights v2  decision: pause (operator)",
        "◆ flights v2  traffic: v2 100 %",
        "◆ flights v2  PROMOTED",
        "◆ flights v2  canary ended: finished",
    ]
    recorded = timeline_read(timeline_path(state_dir, "flights", "v2"))
    assert recorded == follower.events
    assert [(e["kind"], e["elapsed"]) for e in recorded] == [
        ("begin", 0.0), ("weights", 0.0), ("weights", 5.0), ("analysis", 9.5), ("decision", 10.5),
        ("weights", 12.5), ("outcome", 12.5), ("end", 12.5),
    ]  # fmt: skip
    assert recorded[2]["candidate_weight"] == 25


def test_a_breach_is_told_with_its_reasons(state_dir: Path) -> None:
    follower = Follower(state_dir=state_dir, service="flights", release="v2", command="canary", clock=Clock())
    write(
        state_dir / "reports" / "flights-v2-step-10.json", verdict("breach", 20, ["canary error rate 33.3%"])
    )
    (event,) = [e for e in follower.poll() if e["kind"] == "analysis"]
    assert event_line(event).endswith(
        "canary 20/60 errors (33.3%), p95 30 ms; stable 0/180 errors (0.0%), p95 20 ms — canary error rate 33.3%"
    )


def test_a_new_run_of_the_same_release_starts_its_timeline_afresh(state_dir: Path) -> None:
    Follower(state_dir=state_dir, service="flights", release="v2", command="canary", clock=Clock()).close(
        "finished"
    )
    Follower(state_dir=state_dir, service="flights", release="v2", command="canary", clock=Clock())
    assert [e["kind"] for e in timeline_read(timeline_path(state_dir, "flights", "v2"))] == ["begin"]


def test_the_timeline_is_drawn_as_a_png(state_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    clock = Clock()
    follower = Follower(state_dir=state_dir, service="flights", release="v2", command="canary", clock=clock)
    for weight, status, errors in ((25, "pass", 0), (50, "breach", 25)):
        clock.now += 3
        routes(state_dir, ("stable", V1, 100 - weight), ("canary", V2, weight))
        follower.poll()
        clock.now += 5
        write(state_dir / "reports" / f"flights-v2-step-{weight}.json", verdict(status, errors))
        follower.poll()
    routes(state_dir, ("stable", V1, 100))
    write(state_dir / "reports" / "flights-v2-canary.json", {"outcome": "rolled_back", "failed_at": 50})
    follower.close("finished")

    out = render(follower.events, tmp_path / "timeline.png")
    with Image.open(out) as picture:
        assert picture.format == "PNG"
        assert picture.size[0] > 800
        assert len(picture.getcolors(maxcolors=1 << 20) or []) > 20  # drawn, not blank


def test_an_empty_timeline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no rollout was recorded"):
        render([], tmp_path / "timeline.png")
