"""`make bench`: every Skyway benchmark in one run, one table, one JSON file.

1. reservations  reserve/list throughput and p50/p99 of the service next to a bare-WSGI baseline doing
                 the same HSETNX under the same server flags (bench/reservations_bench.py).
2. seat chart    seat-chart latency through the gateway next to the direct upstream calls on the split
                 deployment (bench/seat_chart_bench.py).
3. contention    --attempts concurrent reserves from distinct customers at --seats seats, checked in
                 Redis and the event stream (bench/contention.py).
4. temporal      a flight's seats at an instant from the rolling snapshots vs a full replay of one
                 partition's events: 12,500 events per second of --duration, at most 100,000
                 (bench/temporal_bench.py; the ratio must stay under 0.10).
5. cluster       reserve on one Redis node vs a local Redis Cluster (3 masters + 1 replica each), with
                 and without replica acks: req/s, round trips, WAITs and CPU per reserve, as ratios to
                 the single node (bench/cluster_bench.py; Debian's redis-server; --no-cluster skips it).

Two cores are shared by the servers and the load generator (and, on a busy machine, by anything else
running): compare the ratios inside one run, not absolute figures across runs. The load average at
start and end is recorded for that reason. Loopback only; bounded by --duration per scenario (about
2-3 minutes in all with the defaults). Prints a progress line as each step starts (section n/4, what
runs, elapsed, time left: bench/progress.py), writes bench/results/latest.json and appends the run to
bench/results/history.jsonl (bench/history.py), which `make bench-report` draws.

    .venv/bin/python bench/run_all.py [--duration 8] [--connections 16] [--attempts 2000] [--seats 100]
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project (and bench/ as a package) importable
    sys.path.insert(0, str(ROOT))

from bench import progress  # noqa: E402
from bench.history import commit_now, history_append, history_entry, history_read, section_seconds  # noqa: E402
from bench.measure import cpu_summary, write_result  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "latest.json"
SECTION_NAMES = {
    "reservations": "reservations",
    "seat_chart": "seat chart",
    "contention": "contention",
    "temporal": "temporal",
    "cluster": "cluster",
}


def machine() -> dict:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model or platform.processor() or "unknown",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def planned_seconds(params: dict, history: list[dict], *, cluster: bool = True) -> list[tuple[str, float]]:
    """Each section's expected length: the last run with the same params, else from the durations."""
    recorded = section_seconds(history, params)
    duration = params["duration"]
    estimate = {
        # 2 scenarios x 2 servers x (1 s warm-up + duration), plus start and seeding
        "reservations": 2 * 2 * (1 + duration) + 10,
        # 3 warm-ups, 3 scenarios x duration, 0.3 s between rounds, plus the split deployment's start
        "seat_chart": 3 + 3 * duration + 3 + 12,
        "contention": 12,
        # a private Redis, the events pipelined in (about 8 s per 100,000), snapshots, 2 x rounds queries
        "temporal": 5 + temporal_events(duration) / 12_500,
        # a cluster and a replicated node started, 4 deployables, 4 warm-ups, 4 scenarios x duration
        "cluster": 33 + 4 * duration,
    }
    sections = [s for s in SECTION_NAMES if cluster or s != "cluster"]
    return [(SECTION_NAMES[s], float(recorded.get(s) or estimate[s])) for s in sections]


def _section(name: str, module: str, call: Callable[[object], dict]) -> dict:
    """Run one bench; a bench that is missing or fails becomes a 'not available' entry with the reason."""
    progress.section(SECTION_NAMES[name])
    started = time.monotonic()
    try:
        result = call(importlib.import_module(module))
    except ModuleNotFoundError as exc:
        return {"available": False, "reason": f"{module} not found ({exc})", "seconds": 0}
    except Exception as exc:  # one broken bench must not hide the others' figures
        traceback.print_exc()
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"[:300], "seconds": 0}
    return {"available": True, "seconds": round(time.monotonic() - started, 1), **result}


def run(
    *,
    duration: float = 8.0,
    connections: int = 16,
    attempts: int = 2000,
    seats: int = 100,
    cluster: bool = True,
) -> dict:
    load_start = os.getloadavg()
    params = {"duration": duration, "connections": connections, "attempts": attempts, "seats": seats}
    result = {"machine": machine(), "load_avg_start": [round(x, 2) for x in load_start], "params": params}
    plan = planned_seconds(params, history_read(), cluster=cluster)
    progress.start(plan)
    progress.note(
        f"{len(plan)} sections, about {progress.clock_text(sum(s for _, s in plan))} in all "
        f"(load average {load_start[0]:.2f} on {os.cpu_count()} cores)"
    )
    result["reservations"] = _section(
        "reservations",
        "bench.reservations_bench",
        lambda m: m.run(workers=2, duration=duration, connections=connections, write=False),
    )
    result["seat_chart"] = _section(
        "seat_chart",
        "bench.seat_chart_bench",
        lambda m: m.run(duration=duration, connections=connections, write=False),
    )
    result["contention"] = _section(
        "contention", "bench.contention", lambda m: m.run(attempts=attempts, seats=seats, workers=4)
    )
    result["temporal"] = _section(
        "temporal",
        "bench.temporal_bench",
        lambda m: m.run(events=temporal_events(duration), every=1000, flights=40, rounds=5),
    )
    result["cluster"] = (
        _section(
            "cluster",
            "bench.cluster_bench",
            lambda m: m.run(workers=2, duration=duration, connections=connections, write=False),
        )
        if cluster
        else {"available": False, "reason": "skipped (--no-cluster)", "seconds": 0}
    )
    result["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    progress.stop()
    return result


def temporal_events(duration: float) -> int:
    """The temporal bench's event count: 100,000 at the default --duration 8, fewer in a CI smoke."""
    return max(10_000, min(100_000, int(12_500 * duration)))


def _row(section: str, scenario: str, req_s: str, p50: str, p99: str, ratio: str) -> str:
    return f"{section:<13} {scenario:<26} {req_s:>9} {p50:>9} {p99:>9}  {ratio}"


def _figures_row(section: str, scenario: str, figures: dict, ratio: str) -> str:
    """One wrk scenario's row: req/s, p50, p99, the ratio text and any errors it saw."""
    errors = figures.get("non_2xx", 0) + figures.get("socket_errors", 0)
    ratio += f"  [{errors} errors]" if errors else ""
    return _row(
        section,
        scenario,
        f"{figures['req_s']:.1f}",
        f"{figures['p50_ms']:.2f}",
        f"{figures['p99_ms']:.2f}",
        ratio,
    )


def table(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"Skyway bench {m['date']}: {m['nproc']} x {m['cpu_model']}, Python {m['python']}, "
        f"load avg {result['load_avg_start'][0]} at start, {result['load_avg_end'][0]} at end",
        _row("section", "scenario", "req/s", "p50 ms", "p99 ms", "ratio"),
    ]
    res = result["reservations"]
    if res["available"]:
        for row in res["scenarios"]:
            scenario, _, server = row["scenario"].partition("_")
            ratio = (
                "1.00 (baseline)"
                if server == "baseline"
                else f"{row['ratio_to_baseline']:.2f} of baseline req/s"
            )
            lines.append(_figures_row("reservations", f"{scenario} {server}", row, ratio))
    else:
        lines.append(_row("reservations", "not available", "-", "-", "-", res["reason"]))
    chart = result["seat_chart"]
    if chart["available"]:
        for name, label in (("flights", "direct flights seat_map"), ("reservations", "direct reservations list"),
                            ("gateway", "gateway seat chart")):  # fmt: skip
            figures = chart["scenarios"][name]
            ratio = f"CPU ms/req: {cpu_summary(figures['cpu_ms_per_request'], ' + ')}"
            if name == "gateway":
                ratio = (
                    f"p50 {chart['ratio_p50']:.2f} / p99 {chart['ratio_p99']:.2f} of max(direct)"
                    f" (target <= {chart['target_ratio']}); {ratio}"
                )
            lines.append(_figures_row("seat chart", label, figures, ratio))
    else:
        lines.append(_row("seat chart", "not available", "-", "-", "-", chart["reason"]))
    con = result["contention"]
    if con["available"]:
        lines.append(
            f"{'contention':<13} {con['attempts']} concurrent reserves at {con['seats']} seats: "
            f"{con['winners']} winners, {con['refused_403']} refused (403), {con['other_answers']} other, "
            f"{con['double_bookings']} double-bookings, {con['lost_acknowledgements']} lost acks, "
            f"{con['seat_reserved_events']} SeatReserved events, hash = log: {con['hash_matches_log']} "
            f"-> {'OK' if con['ok'] else 'FAILED'}"
        )
    else:
        lines.append(_row("contention", "not available", "-", "-", "-", con["reason"]))
    temporal = result.get("temporal", {"available": False, "reason": "not run"})
    if temporal["available"]:
        from bench.temporal_bench import summary

        lines.append(f"{'temporal':<13} {summary(temporal)}")
    else:
        lines.append(_row("temporal", "not available", "-", "-", "-", temporal["reason"]))
    clu = result.get("cluster", {"available": False, "reason": "not run"})
    if clu["available"]:
        from bench.cluster_bench import LABELS

        for row in clu["scenarios"]:
            ratio = (
                f"{row['req_s_ratio']:.2f} of single-node req/s; round trips {row['redis_round_trips_per_req']:.2f}"
                f" + WAIT {row['redis_waits_per_req']:.2f}; CPU us/req worker {row['worker_cpu_us_per_req']}"
                f" redis {row['redis_cpu_us_per_req']}"
            )
            lines.append(_figures_row("cluster", LABELS[row["scenario"]], row, ratio))
    else:
        lines.append(_row("cluster", "not available", "-", "-", "-", clu["reason"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="All Skyway benchmarks in one run (bounded, loopback only).")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--attempts", type=int, default=2000, help="contention: concurrent reserves")
    parser.add_argument("--seats", type=int, default=100, help="contention: seats they race for")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave latest.json and history.jsonl as they are"
    )
    parser.add_argument(
        "--no-cluster", action="store_true", help="skip the Redis Cluster scenario (CI's smoke)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    result = run(
        duration=args.duration,
        connections=args.connections,
        attempts=args.attempts,
        seats=args.seats,
        cluster=not args.no_cluster,
    )
    result["total_seconds"] = round(time.monotonic() - started, 1)
    result["table"] = table(result).splitlines()
    print("\n".join(result["table"]))
    print(f"total {result['total_seconds']}s")
    if not args.no_write:
        write_result(RESULTS, result)
        commit, dirty = commit_now()
        history_append(history_entry(result, commit=commit, dirty=dirty))
        print(f"written to {RESULTS.relative_to(ROOT)}; appended to bench/results/history.jsonl")
    contention, temporal = result["contention"], result["temporal"]
    failed_temporal = temporal.get("available") and not temporal.get("ok")
    return 0 if contention.get("available") and contention.get("ok") and not failed_temporal else 1


if __name__ == "__main__":
    sys.exit(main())
