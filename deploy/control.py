"""Operator controls of a local rollout, as `kubectl argo rollouts` has them for the cluster.

A running canary reads `<state dir>/control/<service>.json` while it observes a step (`wait`, below):
``pause`` holds it at the current weights until ``promote`` (next step) or ``abort``; ``promote --full``
skips to 100 %; ``abort`` rolls back at once. ``status`` shows where a rollout stands (step, weights,
each step's analysis and decision, the live version) and ``--watch`` follows it. ``abort_now`` is also
what Ctrl-C on ``python -m deploy canary`` runs: all traffic back to the live version, the candidate
stopped, the decision logged. Every decision goes to ``<state dir>/decisions.jsonl`` with its evidence.

An Inconclusive step (fewer canary requests than the analysis' min-requests) pauses the rollout the same
way (``hold``, by the analysis, docs/adr/0134): ``promote`` goes on to the next step, ``abort`` rolls back.

    python -m deploy.control wait --state-dir var/deploy --service flights --seconds 30
    python -m deploy.control hold --state-dir var/deploy --service flights --weight 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy.localproc import json_write_atomic, mark, release_stop, service_status, state_load
from deploy.routes import routes_set

CONTINUE, PROMOTE_FULL, ABORT = 0, 10, 11
ACTIONS = ("pause", "promote", "promote-full", "abort")
POLL_SECONDS = 0.2
GATEWAY_REREAD_SECONDS = 1.0  # the gateway re-reads the routes file within 0.5 s (ADR 42)


def control_path(state_dir: Path, service: str) -> Path:
    return state_dir / "control" / f"{service}.json"


def control_read(state_dir: Path, service: str) -> str | None:
    path = control_path(state_dir, service)
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("action")


def control_by(state_dir: Path, service: str) -> str | None:
    """Who paused: "operator", or "analysis" for an Inconclusive step; None when not paused."""
    path = control_path(state_dir, service)
    if not path.exists():
        return None
    control = json.loads(path.read_text())
    return control.get("by") if control.get("action") == "pause" else None


def control_write(state_dir: Path, service: str, action: str | None, by: str = "operator") -> None:
    path = control_path(state_dir, service)
    if action is None:
        path.unlink(missing_ok=True)
        return
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    json_write_atomic(path, {"action": action, "at": time.time(), "by": by})
    decision_log(state_dir, service, action=action, evidence={"by": by})


def decision_log(state_dir: Path, service: str, *, action: str, evidence: dict[str, Any]) -> None:
    """One JSON line per decision: what, when, for which service and release, and why."""
    state = state_load(state_dir)["services"].get(service, {})
    line = {
        "at": time.time(),
        "service": service,
        "action": action,
        "live": state.get("live"),
        "candidate": state.get("candidate"),
        "evidence": evidence,
    }
    path = state_dir / "decisions.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as log:
        log.write(json.dumps(line) + "\n")


def wait_step(
    *,
    state_dir: Path,
    service: str,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Observe a step for `seconds`, obeying the control file: CONTINUE, PROMOTE_FULL or ABORT.

    A pause stops the clock; `promote` ends the pause (or the step, when not paused) and is consumed.
    """
    remaining = float(seconds)
    last = clock()
    while True:
        action = control_read(state_dir, service)
        now = clock()
        if action != "pause":
            remaining -= now - last
        last = now
        if action == "abort":
            control_write(state_dir, service, None)
            return ABORT
        if action == "promote-full":
            control_write(state_dir, service, None)
            return PROMOTE_FULL
        if action == "promote":
            control_write(state_dir, service, None)
            return CONTINUE
        if remaining <= 0 and action != "pause":
            return CONTINUE
        sleep(POLL_SECONDS if action == "pause" else min(POLL_SECONDS, max(remaining, 0.0)))


def hold(
    *, state_dir: Path, service: str, weight: int, reasons: list[str],
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> int:  # fmt: skip
    """An Inconclusive step (too little canary traffic to judge): pause the rollout at its weights, as
    Argo Rollouts does, until the operator promotes (next step: CONTINUE), promotes fully or aborts."""
    control_write(state_dir, service, "pause", by="analysis")
    decision_log(
        state_dir, service, action="paused_inconclusive",
        evidence={"weight": weight, "reasons": reasons, "resume": "promote | promote --full | abort"},
    )  # fmt: skip
    return wait_step(state_dir=state_dir, service=service, seconds=0, clock=clock, sleep=sleep)


def in_flight(status: dict[str, Any]) -> str | None:
    """The release being rolled out: the recorded candidate, else a running release that is neither live
    nor the previous one (a canary is recorded only once promoted or aborted)."""
    if status.get("candidate"):
        return status["candidate"]
    keep = {status.get("live"), status.get("previous")}
    running = [
        name for name, record in status["releases"].items() if record.get("running") and name not in keep
    ]
    return running[-1] if running else None


def abort_now(*, state_dir: Path, service: str, reason: str) -> dict[str, Any]:
    """All of `service`'s traffic to the live version, the candidate stopped and forgotten."""
    status = service_status(state_dir=state_dir, service=service)
    candidate = in_flight(status)
    live_url = status.get("live_url")
    if live_url:
        routes_set(
            path=state_dir / "routes.json",
            service=service,
            targets=[{"name": "stable", "url": live_url, "weight": 100}],
        )
        time.sleep(GATEWAY_REREAD_SECONDS)  # requests already on the candidate finish before it stops
    stopped = None
    if candidate and status["releases"].get(candidate, {}).get("running"):
        stopped = release_stop(state_dir=state_dir, service=service, release=candidate)["running"] is False
    if status.get("candidate"):
        mark(state_dir=state_dir, service=service, candidate="")
    control_write(state_dir, service, None)
    evidence = {"reason": reason, "stable_url": live_url, "candidate_stopped": stopped}
    decision_log(state_dir, service, action="rolled_back", evidence=evidence)
    if candidate:
        json_write_atomic(
            state_dir / "reports" / f"{service}-{candidate}-canary.json",
            {"service": service, "release": candidate, "stable": status.get("live"), "outcome": "rolled_back",
             "error": reason, "steps": []},
        )  # fmt: skip
    return {"service": service, "live": status.get("live"), "aborted": candidate, **evidence}


def status_snapshot(*, state_dir: Path, service: str) -> dict[str, Any]:
    """Where `service`'s rollout stands: live, candidate, weights, each step's verdict, the decision."""
    status = service_status(state_dir=state_dir, service=service)
    routes_file = state_dir / "routes.json"
    routes = json.loads(routes_file.read_text()).get(service, []) if routes_file.exists() else []
    url_release = {record["url"]: name for name, record in status["releases"].items() if record.get("url")}
    weights = {url_release.get(t["url"], t["name"]): int(t["weight"]) for t in routes}
    candidate = in_flight(status)
    release = candidate
    reports = state_dir / "reports"
    steps = []
    outcome = None
    if reports.exists():
        newest = sorted(reports.glob(f"{service}-*-canary.json"), key=lambda p: p.stat().st_mtime)
        if release is None and newest:
            final = json.loads(newest[-1].read_text())
            release, outcome = final["release"], final["outcome"]
        if release:
            for path in sorted(
                reports.glob(f"{service}-{release}-step-*.json"), key=lambda p: p.stat().st_mtime
            ):
                if not path.stem.rsplit("-", 1)[-1].isdigit():
                    continue  # the step's load or consistency report, not its verdict
                verdict = json.loads(path.read_text())
                steps.append({"weight": int(path.stem.rsplit("-", 1)[-1]), **verdict})
    return {
        "service": service,
        "live": status.get("live"),
        "candidate": candidate,
        "release": release,
        "weights": weights,
        "paused": control_read(state_dir, service) == "pause",
        "paused_by": control_by(state_dir, service),
        "steps": steps,
        "outcome": outcome,
    }


def paused_label(snapshot: dict[str, Any]) -> str:
    if not snapshot["paused"]:
        return ""
    if snapshot.get("paused_by") == "analysis":
        return " (PAUSED: inconclusive, promote or abort)"
    return " (PAUSED)"


def status_lines(snapshot: dict[str, Any]) -> list[str]:
    """The snapshot as a person reads it (one line per fact)."""
    weights = ", ".join(f"{name} {weight} %" for name, weight in snapshot["weights"].items()) or "no route"
    lines = [
        f"{snapshot['service']}: live {snapshot['live']}, candidate {snapshot['candidate'] or '-'}"
        f"{paused_label(snapshot)}; traffic: {weights}"
    ]
    for step in snapshot["steps"]:
        canary = step.get("canary_figures") or {}
        reasons = "; ".join(step.get("reasons", []))
        lines.append(
            f"  step {step['weight']} %: {step['status']} — canary {canary.get('errors')}/{canary.get('requests')}"
            f" errors, p95 {canary.get('p95_ms')} ms{(' — ' + reasons) if reasons else ''}"
        )
    if snapshot["outcome"]:
        lines.append(f"decision: {snapshot['outcome'].upper()} {snapshot['release']}")
    return lines


def status_watch(
    *, state_dir: Path, service: str, timeout: float, out: Callable[[str], None] = print,
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:  # fmt: skip
    """Print the status whenever it changes, until a rollout that was seen running has a decision."""
    deadline = clock() + timeout
    shown: list[str] = []
    seen_running = False
    while True:
        snapshot = status_snapshot(state_dir=state_dir, service=service)
        lines = status_lines(snapshot)
        if lines != shown:
            for line in lines:
                out(line)
            out("")
            shown = lines
        seen_running = seen_running or snapshot["candidate"] is not None
        if (seen_running and snapshot["candidate"] is None and snapshot["outcome"]) or clock() > deadline:
            return snapshot
        sleep(0.25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.control", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    wait = sub.add_parser("wait", help="observe one step, obeying pause/promote/abort")
    wait.add_argument("--state-dir", type=Path, required=True)
    wait.add_argument("--service", required=True)
    wait.add_argument("--seconds", type=float, required=True)
    held = sub.add_parser("hold", help="pause an inconclusive step until promote/abort")
    held.add_argument("--state-dir", type=Path, required=True)
    held.add_argument("--service", required=True)
    held.add_argument("--weight", type=int, required=True)
    held.add_argument("--reasons-json", default="[]")
    args = parser.parse_args(argv)
    if args.command == "hold":
        code = hold(
            state_dir=args.state_dir, service=args.service, weight=args.weight,
            reasons=json.loads(args.reasons_json),
        )  # fmt: skip
    else:
        code = wait_step(state_dir=args.state_dir, service=args.service, seconds=args.seconds)
    print(json.dumps({"result": {CONTINUE: "continue", PROMOTE_FULL: "promote-full", ABORT: "abort"}[code]}))
    return code


if __name__ == "__main__":
    sys.exit(main())
