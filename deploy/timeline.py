"""A rollout's timeline: what the local executor did, step by step, printed live and drawn as a PNG.

While `python -m deploy canary|blue-green|deploy|rollback` runs, `recording()` follows the files the
executor writes anyway — the gateway's routes file (a traffic step), the step reports of the analysis
(`reports/<service>-<release>-step-<weight>.json`), the decision log (`decisions.jsonl`: pause, promote,
abort, rolled back) and the final report — and prints one line per event beside Ansible's task lines:

    [  21.4s] ◆ flights v2  traffic: v1 75 %, v2 25 %
    [  26.0s] ◆ flights v2  step 25 %: PASS after 4.6 s — canary 0/61 errors (0.0%), p95 23 ms; stable 0/180 errors (0.0%), p95 21 ms
    [  41.2s] ◆ flights v2  PROMOTED

Each event is also appended, with its wall-clock time, to `<state dir>/timeline/<service>-<release>.jsonl`
(a new run of the same release starts the file afresh). Nothing in the playbooks knows about it: the
timeline reads what they record, so their steps can change without touching this module.

    python -m deploy.timeline show   --state-dir var/deploy --service flights --release v2
    python -m deploy.timeline render --state-dir var/deploy --service flights --release v2 --out flights-v2.png
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.25
STEP_REPORT = re.compile(r"-step-(\d+)$")


def timeline_path(state_dir: Path, service: str, release: str) -> Path:
    return state_dir / "timeline" / f"{service}-{release}.jsonl"


def timeline_read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # not there yet, or caught mid-write by a writer that does not replace atomically


def _figures_text(figures: dict[str, Any] | None) -> str:
    figures = figures or {}
    p95, errors, requests = figures.get("p95_ms"), figures.get("errors"), figures.get("requests")
    rate = f" ({errors / requests:.1%})" if requests and errors is not None else ""
    return f"{errors}/{requests} errors{rate}, p95 {'-' if p95 is None else f'{p95:.0f}'} ms"


def event_line(event: dict[str, Any]) -> str:
    """One event as a person reads it (without the elapsed-time prefix)."""
    kind = event["kind"]
    head = f"◆ {event['service']} {event['release']} "
    if kind == "begin":
        return head + f" {event['command']} begins; live {event.get('live') or '-'}"
    if kind == "weights":
        weights = ", ".join(f"{name} {weight} %" for name, weight in event["weights"].items()) or "no route"
        return head + f" traffic: {weights}"
    if kind == "analysis":
        held = event.get("step_seconds")
        reasons = "; ".join(event.get("reasons") or [])
        return (
            head + f" step {event['weight']} %: {event['status'].upper()}"
            + (f" after {held:.1f} s" if held is not None else "")
            + f" — canary {_figures_text(event.get('canary'))}; stable {_figures_text(event.get('stable'))}"
            + (f" — {reasons}" if reasons else "")
        )  # fmt: skip
    if kind == "decision":
        by = (event.get("evidence") or {}).get("by") or (event.get("evidence") or {}).get("reason")
        return head + f" decision: {event['action']}" + (f" ({by})" if by else "")
    if kind == "outcome":
        return head + f" {str(event['outcome']).upper().replace('_', ' ')}"
    if kind == "end":
        return head + f" {event['command']} ended: {event['result']}"
    return head + json.dumps(event)


class Follower:
    """Turns changes of the executor's files into timeline events (see the module docstring)."""

    def __init__(
        self,
        *,
        state_dir: Path,
        service: str,
        release: str,
        command: str,
        out: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state_dir = state_dir
        self.service = service
        self.release = release
        self.command = command
        self.out = out
        self.clock = clock
        self.path = timeline_path(state_dir, service, release)
        self.began = clock()
        self.events: list[dict[str, Any]] = []
        self._weights: dict[str, int] | None = None
        self._weights_at: float | None = None
        self._reports: dict[str, float] = {}
        # Files of an earlier run are not this run's events.
        for path in self._step_reports():
            self._reports[path.name] = path.stat().st_mtime
        decisions = state_dir / "decisions.jsonl"
        self._decisions_read = len(decisions.read_text().splitlines()) if decisions.exists() else 0
        final = self._final_report()
        self._outcome_mtime = final.stat().st_mtime if final.exists() else None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")
        state = _json(state_dir / "state.json") or {}
        live = state.get("services", {}).get(service, {}).get("live")
        self.emit({"kind": "begin", "command": command, "live": live})

    def emit(self, event: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()
        event = {"at": now, "elapsed": round(now - self.began, 2), "service": self.service,
                 "release": self.release, **event}  # fmt: skip
        self.events.append(event)
        with self.path.open("a") as timeline:
            timeline.write(json.dumps(event) + "\n")  # weights keep the routes file's order
        if self.out is not None:
            self.out(event_line(event))
        return event

    def _step_reports(self) -> list[Path]:
        reports = self.state_dir / "reports"
        if not reports.exists():
            return []
        found = reports.glob(f"{self.service}-{self.release}-step-*.json")
        return sorted((p for p in found if STEP_REPORT.search(p.stem)), key=lambda p: p.stat().st_mtime)

    def _final_report(self) -> Path:
        return self.state_dir / "reports" / f"{self.service}-{self.release}-canary.json"

    def _release_of(self, state: dict[str, Any]) -> dict[str, str]:
        releases = state.get("services", {}).get(self.service, {}).get("releases", {})
        return {record["url"]: name for name, record in releases.items() if record.get("url")}

    def poll(self) -> list[dict[str, Any]]:
        """Read the executor's files once; emit and return the events that happened since the last poll."""
        before = len(self.events)
        routes = _json(self.state_dir / "routes.json")
        if isinstance(routes, dict):
            names = self._release_of(_json(self.state_dir / "state.json") or {})
            weights = {
                names.get(t["url"], t.get("name", "?")): int(t["weight"])
                for t in routes.get(self.service, [])
            }
            if weights != self._weights:
                self._weights = weights
                self._weights_at = self.clock()
                self.emit(
                    {"kind": "weights", "weights": weights, "candidate_weight": weights.get(self.release, 0)}
                )
        for path in self._step_reports():
            mtime = path.stat().st_mtime
            if self._reports.get(path.name) == mtime:
                continue
            verdict = _json(path)
            if not isinstance(verdict, dict) or "status" not in verdict:
                continue  # half-written: next poll
            self._reports[path.name] = mtime
            held = None if self._weights_at is None else round(self.clock() - self._weights_at, 2)
            self.emit({
                "kind": "analysis", "weight": int(STEP_REPORT.search(path.stem).group(1)),
                "status": verdict["status"], "reasons": verdict.get("reasons", []), "step_seconds": held,
                "canary": verdict.get("canary_figures"), "stable": verdict.get("stable_figures"),
            })  # fmt: skip
        decisions = self.state_dir / "decisions.jsonl"
        if decisions.exists():
            lines = decisions.read_text().splitlines()
            for line in lines[self._decisions_read :]:
                with contextlib.suppress(ValueError):
                    decision = json.loads(line)
                    if decision.get("service") == self.service:
                        self.emit({"kind": "decision", "action": decision.get("action"),
                                   "evidence": decision.get("evidence")})  # fmt: skip
            self._decisions_read = len(lines)
        final = self._final_report()
        if final.exists() and final.stat().st_mtime != self._outcome_mtime:
            report = _json(final)
            if isinstance(report, dict) and report.get("outcome"):
                self._outcome_mtime = final.stat().st_mtime
                self.emit(
                    {"kind": "outcome", "outcome": report["outcome"], "failed_at": report.get("failed_at")}
                )
        return self.events[before:]

    def close(self, result: str) -> None:
        self.poll()
        self.emit({"kind": "end", "command": self.command, "result": result})


@contextlib.contextmanager
def recording(
    *, state_dir: Path, service: str | None, release: str | None, command: str,
    out: Callable[[str], None] | None = None,
) -> Iterator[Follower | None]:  # fmt: skip
    """Follow one local rollout in a background thread while the block runs (None: nothing to follow)."""
    if not service:
        yield None
        return
    follower = Follower(
        state_dir=state_dir, service=service, release=release or command, command=command, out=out
    )
    stop = threading.Event()

    def follow() -> None:
        while not stop.wait(POLL_SECONDS):
            with contextlib.suppress(OSError):  # a file replaced between stat and read: next poll
                follower.poll()

    thread = threading.Thread(target=follow, name="rollout-timeline", daemon=True)
    thread.start()
    outcome = "finished"
    try:
        yield follower
    except BaseException:
        outcome = "interrupted"
        raise
    finally:
        stop.set()
        thread.join(timeout=5)
        follower.close(outcome)


# ---- the picture -------------------------------------------------------------------------------------

STATUS_COLOURS = {
    "pass": "tab:green",
    "breach": "tab:red",
    "no_data": "tab:grey",
    "inconclusive": "tab:olive",
}


def render(events: list[dict[str, Any]], out: Path, *, title: str | None = None) -> Path:
    """Draw one rollout's timeline: traffic weights over time with each step's verdict, and the step
    figures (error rate, p95) of the canary next to stable's."""
    if not events:
        raise ValueError("the timeline is empty: no rollout was recorded for that service and release")
    import matplotlib

    matplotlib.use("Agg")  # headless
    import matplotlib.pyplot as plt

    service, release = events[0]["service"], events[0]["release"]
    end = max(e["elapsed"] for e in events)
    fig, (traffic, errors, latency) = plt.subplots(
        3, 1, figsize=(11, 8.5), sharex=True, gridspec_kw={"height_ratios": [3, 2, 2]}
    )
    # Weights are steps: each holds until the next change.
    changes = [e for e in events if e["kind"] == "weights"]
    names: list[str] = []
    for change in changes:
        names += [n for n in change["weights"] if n not in names]
    for name in names:
        xs, ys = [], []
        for change in changes:
            xs.append(change["elapsed"])
            ys.append(change["weights"].get(name, 0))
        if xs:
            xs.append(end)
            ys.append(ys[-1])
            style = {"linewidth": 2.5} if name == release else {"linestyle": "--"}
            traffic.step(
                xs, ys, where="post", label=f"{name}{' (candidate)' if name == release else ''}", **style
            )
    analyses = [e for e in events if e["kind"] == "analysis"]
    for step in analyses:
        colour = STATUS_COLOURS.get(step["status"], "black")
        traffic.axvline(step["elapsed"], color=colour, alpha=0.35)
        traffic.annotate(f"{step['weight']} %\n{step['status']}", (step["elapsed"], step["weight"]),
                         textcoords="offset points", xytext=(4, 4), fontsize=8, color=colour)  # fmt: skip
    for decision in (e for e in events if e["kind"] in ("decision", "outcome")):
        label = decision.get("action") or decision.get("outcome")
        traffic.axvline(decision["elapsed"], color="black", linestyle=":", linewidth=1)
        traffic.annotate(
            str(label), (decision["elapsed"], 102), fontsize=8, rotation=90, va="bottom", ha="right"
        )
    traffic.set_ylim(0, 125)
    traffic.set_ylabel("traffic %")
    traffic.legend(fontsize=8, loc="upper left")

    def rate(figures: dict[str, Any] | None) -> float | None:
        figures = figures or {}
        if not figures.get("requests"):
            return None
        return 100 * figures["errors"] / figures["requests"]

    width = max(end / 80, 0.3)
    for offset, side, colour in ((-width / 2, "stable", "tab:blue"), (width / 2, "canary", "tab:orange")):
        points = [(s["elapsed"] + offset, rate(s.get(side))) for s in analyses]
        points = [(x, y) for x, y in points if y is not None]
        if points:
            errors.bar([x for x, _ in points], [y for _, y in points], width=width, color=colour, label=side)
        lat = [(s["elapsed"], (s.get(side) or {}).get("p95_ms")) for s in analyses]
        lat = [(x, y) for x, y in lat if y is not None]
        if lat:
            latency.plot(
                [x for x, _ in lat], [y for _, y in lat], marker="o", color=colour, label=f"{side} p95"
            )
    highest = max((rate(s.get(side)) or 0 for s in analyses for side in ("stable", "canary")), default=0)
    errors.set_ylim(0, max(1.0, highest * 1.15))  # a run without errors shows a flat zero, not -0.04..0.04
    errors.set_ylabel("errors % in the step")
    errors.legend(fontsize=8, loc="upper left")
    latency.set_ylabel("p95 ms in the step")
    latency.set_xlabel("seconds since the rollout began")
    latency.legend(fontsize=8, loc="upper left")
    for ax in (traffic, errors, latency):
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, end * 1.03 + 0.5)
    outcome = next((e["outcome"] for e in reversed(events) if e["kind"] == "outcome"), None)
    fig.suptitle(title or f"{service} {release}: {events[0].get('command', 'rollout')}"
                 + (f" — {str(outcome).replace('_', ' ')}" if outcome else ""))  # fmt: skip
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.timeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("show", "render"):
        command = sub.add_parser(name)
        command.add_argument("--state-dir", type=Path, default=Path("var/deploy"))
        command.add_argument("--service", required=True)
        command.add_argument("--release", required=True, help="the image tag of the rollout, e.g. v2")
        if name == "render":
            command.add_argument(
                "--out", type=Path, help="PNG to write (default <state dir>/timeline/<service>-<release>.png)"
            )
    args = parser.parse_args(argv)
    path = timeline_path(args.state_dir, args.service, args.release)
    events = timeline_read(path)
    if not events:
        print(f"deploy.timeline: no timeline at {path}", file=sys.stderr)
        return 1
    if args.command == "show":
        for event in events:
            print(f"[{event['elapsed']:6.1f}s] {event_line(event)}")
        return 0
    out = render(events, args.out or path.with_suffix(".png"))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
