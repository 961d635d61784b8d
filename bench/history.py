"""bench/results/history.jsonl: one line per `make bench` run, appended, never rewritten.

latest.json keeps the last run whole (the README's table); the history keeps every run's figures in a
compact form with what they were measured on — the commit (and whether the tree had changes), the date,
the machine and its load average at start and end — so `make bench-report` (bench/report.py) can draw
them over time. A line is a `history_entry()` of run_all's result:

    {"date", "commit", "dirty", "machine", "load_avg_start", "load_avg_end", "total_seconds",
     "params", "sections_seconds",
     "reservations": {"scenarios": {"reserve_service": {req_s, p50_ms, p99_ms, ratio_to_baseline,
                      cpu_us_per_req}, …}},
     "seat_chart": {"ratio_p50", "ratio_p99", "target_ratio", "scenarios": {"gateway": {…}, …}},
     "contention": {attempts, seats, winners, refused_403, other_answers, double_bookings,
                    lost_acknowledgements, hash_matches_log, ok, elapsed_s},
     "temporal": {events, every, snapshot_ms, full_ms, ratio, target_ratio, answers_agree, ok}}

A section that did not run is {"available": false, "reason": …}.

    python bench/history.py backfill   # one line per version of latest.json in git history (run once)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "bench" / "results" / "history.jsonl"
LATEST = "bench/results/latest.json"
SECTIONS = ("reservations", "seat_chart", "contention", "temporal")
CONTENTION_FIELDS = ("attempts", "seats", "winners", "refused_403", "other_answers", "double_bookings",
                     "lost_acknowledgements", "hash_matches_log", "ok", "elapsed_s")  # fmt: skip
TEMPORAL_FIELDS = (
    "events",
    "every",
    "snapshot_ms",
    "full_ms",
    "ratio",
    "target_ratio",
    "answers_agree",
    "ok",
)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def commit_now() -> tuple[str | None, bool]:
    """The checkout's HEAD (short) and whether tracked files differ from it; (None, False) outside git."""
    try:
        head = _git("rev-parse", "--short=10", "HEAD").strip()
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.CalledProcessError):
        return None, False
    return head, dirty


def _figures(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names if name in row}


def history_entry(result: dict[str, Any], *, commit: str | None, dirty: bool | None) -> dict[str, Any]:
    """run_all's result → one compact history line."""
    entry: dict[str, Any] = {
        "date": result["machine"]["date"],
        "commit": commit,
        "dirty": dirty,
        "machine": {k: result["machine"].get(k) for k in ("nproc", "cpu_model", "python")},
        "load_avg_start": result.get("load_avg_start"),
        "load_avg_end": result.get("load_avg_end"),
        "total_seconds": result.get("total_seconds"),
        "params": result.get("params", {}),
        "sections_seconds": {s: result[s].get("seconds") for s in SECTIONS if s in result},
    }
    res = result.get("reservations", {})
    if res.get("available"):
        entry["reservations"] = {
            "scenarios": {
                row["scenario"]: {
                    **_figures(row, "req_s", "p50_ms", "p99_ms", "ratio_to_baseline"),
                    "cpu_us_per_req": row.get("worker_cpu_us_per_req"),
                    "errors": row.get("non_2xx", 0) + row.get("socket_errors", 0),
                }
                for row in res["scenarios"]
            }
        }
    else:
        entry["reservations"] = {"available": False, "reason": res.get("reason", "not run")}
    chart = result.get("seat_chart", {})
    if chart.get("available"):
        entry["seat_chart"] = {
            **_figures(chart, "ratio_p50", "ratio_p99", "target_ratio"),
            "scenarios": {
                name: {
                    **_figures(figures, "req_s", "p50_ms", "p99_ms"),
                    "errors": figures.get("non_2xx", 0) + figures.get("socket_errors", 0),
                }
                for name, figures in chart["scenarios"].items()
            },
        }
    else:
        entry["seat_chart"] = {"available": False, "reason": chart.get("reason", "not run")}
    con = result.get("contention", {})
    if con.get("available"):
        entry["contention"] = _figures(con, *CONTENTION_FIELDS)
    else:
        entry["contention"] = {"available": False, "reason": con.get("reason", "not run")}
    temporal = result.get("temporal", {})
    if temporal.get("available"):
        entry["temporal"] = _figures(temporal, *TEMPORAL_FIELDS)
    else:
        entry["temporal"] = {"available": False, "reason": temporal.get("reason", "not run")}
    return entry


def history_append(entry: dict[str, Any], path: Path = HISTORY) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as history:
        history.write(json.dumps(entry, sort_keys=True) + "\n")


def history_read(path: Path = HISTORY) -> list[dict[str, Any]]:
    """Every recorded run, oldest first (file order); a line that is not JSON is skipped."""
    if not path.exists():
        return []
    runs = []
    for line in path.read_text().splitlines():
        try:
            runs.append(json.loads(line))
        except ValueError:
            continue
    return runs


def section_seconds(runs: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, float]:
    """How long each section took in the last run made with the same params ({} when none was)."""
    for run in reversed(runs):
        # A run from before a section existed still gives the others' lengths (the plan estimates it).
        recorded = run.get("sections_seconds", {})
        if run.get("params") == params and recorded and all(recorded.values()):
            return recorded
    return {}


def backfill(path: Path = HISTORY) -> int:
    """One history line per committed version of latest.json, oldest first; returns how many."""
    commits = _git("log", "--reverse", "--format=%H", "--", LATEST).split()
    seen = {run.get("recorded_in") for run in history_read(path)}
    added = 0
    for sha in commits:
        if sha[:10] in seen:
            continue
        result = json.loads(_git("show", f"{sha}:{LATEST}"))
        # Measured on the tree that commit recorded them from (its parent plus whatever was uncommitted).
        entry = history_entry(result, commit=_git("rev-parse", "--short=10", f"{sha}^").strip(), dirty=None)
        entry["recorded_in"] = sha[:10]
        entry["note"] = f"backfilled from {LATEST} as committed in {sha[:10]}"
        history_append(entry, path)
        added += 1
    return added


if __name__ == "__main__":
    if sys.argv[1:] != ["backfill"]:
        sys.exit("usage: python bench/history.py backfill")
    print(f"{backfill()} runs added to {HISTORY.relative_to(ROOT)}")
