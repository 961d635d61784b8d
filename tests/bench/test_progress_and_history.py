"""`make bench` tells where it stands and keeps every run; `make bench-report` draws them (PNG)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bench import progress
from bench.history import history_append, history_entry, history_read, section_seconds
from bench.report import render
from bench.run_all import planned_seconds

LATEST = Path(__file__).resolve().parents[2] / "bench" / "results" / "latest.json"
PARAMS = {"duration": 8.0, "connections": 16, "attempts": 2000, "seats": 100}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def a_result(reserve_ratio: float = 0.5, **changes) -> dict:
    """run_all's result as latest.json holds it, with the reserve ratio of our choosing."""
    result = json.loads(LATEST.read_text())
    result["params"] = PARAMS
    for row in result["reservations"]["scenarios"]:
        if row["scenario"] == "reserve_service":
            row["ratio_to_baseline"] = reserve_ratio
    result.update(changes)
    return result


def test_each_note_says_the_section_of_how_many_the_elapsed_time_and_the_time_left():
    clock, out = Clock(), io.StringIO()
    run = progress.Progress(
        [("reservations", 60), ("seat chart", 40), ("contention", 10)], stream=out, clock=clock
    )
    run.section("reservations")
    clock.now += 45
    run.note("scenario 2/2 list round 3/4: service, 2 s")
    clock.now += 30  # the section overran its plan: nothing of it counts as left any more
    run.section("seat chart")
    clock.now += 10
    run.note("round 1/3 scenario 1/3: gateway, 3 s")

    assert out.getvalue().splitlines() == [
        "[bench 1/3 reservations  0:00 elapsed, ~1:50 left] starting",
        "[bench 1/3 reservations  0:45 elapsed, ~1:05 left] scenario 2/2 list round 3/4: service, 2 s",
        "[bench 2/3 seat chart  1:15 elapsed, ~0:50 left] starting",
        "[bench 2/3 seat chart  1:25 elapsed, ~0:40 left] round 1/3 scenario 1/3: gateway, 3 s",
    ]


def test_a_section_out_of_the_plans_order_is_refused():
    run = progress.Progress([("reservations", 60)], stream=io.StringIO())
    with pytest.raises(ValueError, match="not the plan's next"):
        run.section("contention")


def test_a_bench_run_on_its_own_prints_elapsed_time_only(capsys):
    progress.stop()
    progress.section("reservations")  # no plan: nothing to count against
    progress.note("seeding a flight")
    assert capsys.readouterr().err.startswith("[bench 0:00] seeding a flight")


def test_every_run_is_appended_to_the_history_with_its_commit_and_load(tmp_path):
    history = tmp_path / "history.jsonl"
    history_append(history_entry(a_result(0.5), commit="abc1234", dirty=False), history)
    history_append(
        history_entry(a_result(0.55, load_avg_start=[3.5, 2, 1]), commit="def5678", dirty=True), history
    )

    runs = history_read(history)
    assert [(r["commit"], r["dirty"], r["load_avg_start"][0]) for r in runs] == [
        ("abc1234", False, 0.55),
        ("def5678", True, 3.5),
    ]
    assert [r["reservations"]["scenarios"]["reserve_service"]["ratio_to_baseline"] for r in runs] == [
        0.5,
        0.55,
    ]
    assert runs[0]["seat_chart"]["ratio_p99"] == 0.92
    assert runs[0]["contention"]["ok"] is True
    assert runs[0]["contention"]["double_bookings"] == 0
    assert runs[0]["params"] == PARAMS


def test_a_section_that_did_not_run_is_recorded_with_its_reason():
    result = a_result()
    result["seat_chart"] = {"available": False, "reason": "RuntimeError: wrk is not installed", "seconds": 0}
    entry = history_entry(result, commit=None, dirty=False)
    assert entry["seat_chart"] == {"available": False, "reason": "RuntimeError: wrk is not installed"}


def test_the_plan_takes_the_last_comparable_runs_lengths_else_an_estimate(tmp_path):
    history = tmp_path / "history.jsonl"
    assert [name for name, _ in planned_seconds(PARAMS, [])] == [
        "reservations",
        "seat chart",
        "contention",
        "temporal",
        "cluster",
    ]
    assert [name for name, _ in planned_seconds(PARAMS, [], cluster=False)] == [
        "reservations",
        "seat chart",
        "contention",
        "temporal",
    ]
    history_append(history_entry(a_result(), commit="abc1234", dirty=False), history)
    runs = history_read(history)
    assert section_seconds(runs, PARAMS) == {"reservations": 41.6, "seat_chart": 45.1, "contention": 10.5}
    assert planned_seconds(PARAMS, runs, cluster=False) == [
        ("reservations", 41.6),
        ("seat chart", 45.1),
        ("contention", 10.5),
        ("temporal", 13.0),  # latest.json predates the temporal section: estimated (100,000 events)
    ]
    other = {**PARAMS, "duration": 2.0}  # a shorter run: the recorded lengths do not apply
    assert planned_seconds(other, runs, cluster=False) == [
        ("reservations", 22.0),
        ("seat chart", 24.0),
        ("contention", 12.0),
        ("temporal", 7.0),  # 25,000 events at --duration 2
    ]


def test_the_report_draws_the_history_as_a_png(tmp_path):
    from PIL import Image

    runs = [
        history_entry(a_result(ratio), commit=f"c{n}", dirty=False) for n, ratio in enumerate((0.4, 0.5, 0.6))
    ]
    runs[1]["contention"] = {"available": False, "reason": "not run"}  # gaps are drawn around, not crashed on
    out = render(runs, tmp_path / "history.png")

    with Image.open(out) as picture:
        assert picture.format == "PNG"
        assert picture.size[0] > 800
        assert picture.size[1] > 800
        assert len(picture.getcolors(maxcolors=1 << 20) or []) > 20  # drawn, not blank


def test_the_report_refuses_an_empty_history(tmp_path):
    with pytest.raises(ValueError, match="make bench"):
        render([], tmp_path / "history.png")
