"""`make bench-report`: draw bench/results/history.jsonl as one PNG (matplotlib, headless Agg backend).

Six panels, one point per recorded run (oldest left; each run labelled with its date, commit and load
average at start, since two cores shared with other work move the absolute figures):

    req/s per reservations scenario   p99 per reservations scenario
    service / baseline ratios         seat chart: gateway / max(direct) for p50 and p99, target line
    (reserve, list; 0.6 target)       contention: winners per seat, double bookings + lost acks
    load average at start and end of each run

    .venv/bin/python bench/report.py [--history bench/results/history.jsonl] [--out docs/screenshots/bench-history.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.history import HISTORY, history_read  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "bench-history.png"
RESERVE_TARGET = 0.6  # the service's reserve req/s against the bare-WSGI baseline (README, Figures)
RESERVATIONS_SCENARIOS = ("reserve_baseline", "reserve_service", "list_baseline", "list_service")


def run_label(run: dict[str, Any]) -> str:
    """ "11-26 15:25\n0331adc+\nload 0.6" — date (UTC), commit (+: uncommitted changes), load at start."""
    date = (run.get("date") or "")[5:16].replace("T", " ")
    commit = (run.get("commit") or "?")[:7] + ("+" if run.get("dirty") else "")
    load = (run.get("load_avg_start") or [None])[0]
    return f"{date}\n{commit}\nload {load if load is not None else '?'}"


def series(runs: list[dict[str, Any]], *path: str) -> list[float | None]:
    """One figure per run, None where the run lacks it (a section that did not run)."""
    values: list[float | None] = []
    for run in runs:
        node: Any = run
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        values.append(float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None)
    return values


def _plot(ax, xs: list[int], values: list[float | None], label: str, **style) -> None:
    points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
    if points:
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label, **style)


def render(runs: list[dict[str, Any]], out: Path) -> Path:
    """Draw `runs` into `out` (PNG); returns the path."""
    if not runs:
        raise ValueError("no bench run recorded yet: run `make bench` first")
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on CI or a server
    import matplotlib.pyplot as plt

    xs = list(range(len(runs)))
    fig, axes = plt.subplots(3, 2, figsize=(13, 11), sharex=True)
    (rps, p99), (ratios, chart), (contention, load) = axes

    for name in RESERVATIONS_SCENARIOS:
        dashed = {"linestyle": "--"} if name.endswith("baseline") else {}
        _plot(rps, xs, series(runs, "reservations", "scenarios", name, "req_s"), name, **dashed)
        _plot(p99, xs, series(runs, "reservations", "scenarios", name, "p99_ms"), name, **dashed)
    for name in ("gateway", "flights", "reservations"):
        _plot(
            p99,
            xs,
            series(runs, "seat_chart", "scenarios", name, "p99_ms"),
            f"seat chart {name}",
            linestyle=":",
        )
    rps.set_title("reservations: requests per second (higher is better)")
    rps.set_ylabel("req/s")
    p99.set_title("p99 latency per scenario (lower is better)")
    p99.set_ylabel("ms")

    _plot(
        ratios,
        xs,
        series(runs, "reservations", "scenarios", "reserve_service", "ratio_to_baseline"),
        "reserve",
    )
    _plot(ratios, xs, series(runs, "reservations", "scenarios", "list_service", "ratio_to_baseline"), "list")
    ratios.axhline(
        RESERVE_TARGET, color="grey", linestyle="--", linewidth=1, label=f"reserve target {RESERVE_TARGET}"
    )
    ratios.set_title("reservations service / bare-WSGI baseline, same run (req/s)")
    ratios.set_ylim(0, 1.05)

    _plot(chart, xs, series(runs, "seat_chart", "ratio_p50"), "p50")
    _plot(chart, xs, series(runs, "seat_chart", "ratio_p99"), "p99")
    targets = [t for t in series(runs, "seat_chart", "target_ratio") if t is not None]
    if targets:
        chart.axhline(
            targets[-1], color="grey", linestyle="--", linewidth=1, label=f"target <= {targets[-1]}"
        )
    chart.set_title("seat chart: gateway / slower direct upstream call (lower is better)")
    chart.set_ylim(bottom=0)

    winners = [
        (w / s if w is not None and s else None)
        for w, s in zip(
            series(runs, "contention", "winners"), series(runs, "contention", "seats"), strict=True
        )
    ]
    faults = [
        (d + lost if d is not None and lost is not None else None)
        for d, lost in zip(
            series(runs, "contention", "double_bookings"),
            series(runs, "contention", "lost_acknowledgements"),
            strict=True,
        )
    ]
    _plot(contention, xs, winners, "winners per seat (1 = exactly one)")
    _plot(contention, xs, faults, "double bookings + lost acks (0 = none)", color="tab:red")
    for x, run in zip(xs, runs, strict=True):
        con = run.get("contention", {})
        if con.get("attempts"):
            verdict = "OK" if con.get("ok") else "FAILED"
            contention.annotate(f"{con['attempts']}→{con['seats']}\n{verdict}", (x, 1.0), textcoords="offset points",
                                xytext=(0, 8), ha="center", fontsize=7)  # fmt: skip
    contention.set_title("contention: concurrent reserves at few seats")
    contention.set_ylim(-0.1, 1.5)

    starts = [(r.get("load_avg_start") or [None])[0] for r in runs]
    ends = [(r.get("load_avg_end") or [None])[0] for r in runs]
    _plot(load, xs, starts, "1-min load average at start")
    _plot(load, xs, ends, "at end")
    nproc = runs[-1].get("machine", {}).get("nproc")
    if nproc:
        load.axhline(nproc, color="grey", linestyle="--", linewidth=1, label=f"{nproc} cores")
    load.set_title("machine load during the run (figures move with it)")
    load.set_ylim(bottom=0)

    for ax in axes.flat:
        ax.margins(x=0.08)  # room for the first and last run's labels
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in axes[-1]:
        ax.set_xticks(xs, [run_label(r) for r in runs], fontsize=7)
    fig.suptitle(f"Skyway make bench history: {len(runs)} runs (bench/results/history.jsonl)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, metadata={"Software": None})  # no version stamp: reruns differ only in data
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the bench history as a PNG.")
    parser.add_argument("--history", type=Path, default=HISTORY)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--last", type=int, default=0, help="only the last N runs (0: all)")
    args = parser.parse_args(argv)
    runs = history_read(args.history)
    if args.last:
        runs = runs[-args.last :]
    try:
        out = render(runs, args.out)
    except ValueError as exc:
        print(f"bench-report: {exc}", file=sys.stderr)
        return 1
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"{len(runs)} runs drawn to {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
