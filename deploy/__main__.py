"""`python -m deploy <deploy|canary|blue-green|rollback|lockstep|check|status|promote|pause|abort|undo> …`

Rollouts (deploy, canary, blue-green, rollback) run deploy/<playbook>.yml through ansible-runner with this
Python as the interpreter, print one line of progress per task, and exit 0 when the rollout did what was
asked (1 when it failed or rolled back, 130 when interrupted: Ctrl-C aborts a rollout cleanly, all
traffic back to the live version). The controls mirror `kubectl argo rollouts`: `status [--watch]`,
`promote [--full]`, `pause`, `abort` act on a running local canary (deploy/control.py); `undo` is rollback.
`lockstep --image skyway:v2` releases reservations then the gateway together, and rolls both back if either
fails (deploy/lockstep.yml, docs/adr/0148); `--env SERVICE:KEY=VALUE` sets one service's release environment.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

DEPLOY_DIR = Path(__file__).resolve().parent
REPO_ROOT = DEPLOY_DIR.parent
PLAYBOOKS = {
    "deploy": "deploy.yml",
    "canary": "canary.yml",
    "blue-green": "blue-green.yml",
    "rollback": "rollback.yml",
    "check": "check-cluster.yml",
    "undo": "rollback.yml",
    "lockstep": "lockstep.yml",
}
LOCKSTEP_SERVICES = ("reservations", "gateway")
CONTROLS = ("status", "promote", "pause", "abort")
INVENTORIES = ("local", "eks")
# The canary's observation window and thresholds: option, type, help. Each one given goes to the
# playbook as the extravar of its name (--max-p95-ms → max_p95_ms).
CANARY_LIMITS = (
    ("--step-seconds", int, "observation window per canary step"),
    ("--max-error-rate", float, "canary error share that fails a step (0..1)"),
    ("--max-error-rate-increase", float, "allowed canary error share above stable's"),
    ("--max-p95-ms", float, "canary p95 latency that fails a step"),
    ("--max-latency-ratio", float, "allowed canary/stable latency ratio"),
    ("--min-requests", int, "fewest canary requests a step needs to be judged"),
    ("--max-refused-free-rate", float, "share of reserves refused on free seats that fails a step"),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=sorted([*PLAYBOOKS, *CONTROLS]))
    parser.add_argument("--service", choices=["flights", "reservations", "gateway"])
    parser.add_argument(
        "--image", help="image reference with an explicit tag, e.g. skyway:v2 (tag = release id)"
    )
    parser.add_argument("--inventory", choices=INVENTORIES, default="local")
    parser.add_argument(
        "--k8s-dir",
        type=Path,
        help="where the Rollout and AnalysisTemplate files are (default k8s/base): steps and thresholds",
    )
    parser.add_argument(
        "--steps", help="canary traffic steps in %%, e.g. 10,25,50,100 (default: the Rollout's)"
    )
    for option, kind, help_text in CANARY_LIMITS:
        parser.add_argument(option, type=kind, help=help_text)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="local inventory: environment of the new release, e.g. FAULT_ERROR_RATE=0.5 (a bad build)",
    )
    parser.add_argument(
        "--state-dir", type=Path, help="local inventory: state, routes file, logs (var/deploy)"
    )
    parser.add_argument(
        "--gateway-url", help="local inventory: the gateway whose /metrics the analysis reads"
    )
    parser.add_argument(
        "--front-url",
        help="local inventory: the front router ahead of the gateway (deploy/front.py): gateway rollouts need it",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the outcome")
    parser.add_argument("--watch", action="store_true", help="status: follow the rollout until its decision")
    parser.add_argument(
        "--timeout", type=float, default=900, help="status --watch: give up after this many s"
    )
    parser.add_argument("--full", action="store_true", help="promote: skip the remaining steps (to 100 %%)")
    args = parser.parse_args(argv)
    if args.command not in {"check", "lockstep"} and not args.service:
        parser.error(f"{args.command} needs --service")
    if args.command not in {"rollback", "undo", "check", *CONTROLS} and not args.image:
        parser.error(f"{args.command} needs --image")
    return args


def extravars_from(args: argparse.Namespace) -> dict[str, Any]:
    extravars: dict[str, Any] = {"service": args.service} if args.service else {}
    if args.image:
        extravars["image"] = args.image
    if args.steps:
        steps = [int(step) for step in args.steps.split(",") if step.strip()]
        if (
            not steps
            or any(not 0 < step <= 100 for step in steps)
            or steps != sorted(steps)
            or steps[-1] != 100
        ):
            raise SystemExit("--steps must rise within 1..100 and end at 100, e.g. 10,25,50,100")
        extravars["steps"] = steps
    for option, _, _ in CANARY_LIMITS:
        name = option.removeprefix("--").replace("-", "_")  # argparse's dest, the playbook's variable
        value = getattr(args, name)
        if value is not None:
            extravars[name] = value
    if args.env and args.command == "lockstep":
        lockstep_env: dict[str, dict[str, str]] = {}
        for pair in args.env:
            service, sep, setting = pair.partition(":")
            if not sep or service not in LOCKSTEP_SERVICES or "=" not in setting:
                raise SystemExit(
                    f"lockstep --env wants SERVICE:KEY=VALUE (SERVICE one of {LOCKSTEP_SERVICES})"
                )
            lockstep_env.setdefault(service, {}).update([setting.split("=", 1)])
        extravars["lockstep_env"] = lockstep_env
    elif args.env:
        extravars["new_env"] = dict(pair.split("=", 1) for pair in args.env)
    if args.state_dir:
        extravars["deploy_state_dir"] = str(args.state_dir.resolve())
    if args.gateway_url:
        extravars["gateway_url"] = args.gateway_url
    if args.front_url:
        extravars["front_url"] = args.front_url
    if args.k8s_dir:
        extravars["k8s_dir"] = str(args.k8s_dir.resolve())
    return extravars


class Progress:
    """ansible-runner event handler: one line per task start, failure and debug message."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()
        self.messages: list[str] = []

    def line(self, text: str) -> None:
        if not self.quiet:
            print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = event.get("event")
        data = event.get("event_data", {})
        if kind == "playbook_on_task_start":
            task = data.get("task", "")
            if not task.startswith(("Keep ", "Read ", "Release ", "Route ", "Analysis ", "Nothing ")):
                self.line(f"▶ {task}")
        elif kind == "runner_on_ok" and data.get("task_action") in {"ansible.builtin.debug", "debug"}:
            message = data.get("res", {}).get("msg")
            if message:
                self.messages.append(str(message))
                self.line(f"  {message}")
        elif kind in {"runner_on_failed", "runner_on_unreachable"} and not data.get("ignore_errors"):
            result = data.get("res", {})
            message = (
                result.get("msg") or result.get("stderr") or result.get("stdout") or json.dumps(result)[:400]
            )
            self.messages.append(str(message))
            self.line(f"✗ {data.get('task', '')}: {message}")
        return False  # runner need not keep the event's stdout file


def runner_envvars() -> dict[str, str]:
    """ansible-playbook must run from this venv (ansible-runner looks it up on PATH) with our config."""
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(DEPLOY_DIR / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(DEPLOY_DIR / "roles"),
        "ANSIBLE_FILTER_PLUGINS": str(DEPLOY_DIR / "filter_plugins"),
        "ANSIBLE_NOCOLOR": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }


def control(args: argparse.Namespace, state_dir: Path) -> int:
    """status / promote / pause / abort on the local state dir (no playbook: a canary may be running)."""
    from deploy import control as controls

    if args.command == "status":
        if args.watch:
            snapshot = controls.status_watch(
                state_dir=state_dir, service=args.service, timeout=args.timeout,
                out=lambda line: print(line, flush=True),
            )  # fmt: skip
            return 0 if snapshot["outcome"] != "rolled_back" else 1
        for line in controls.status_lines(
            controls.status_snapshot(state_dir=state_dir, service=args.service)
        ):
            print(line)
        return 0
    if controls.status_snapshot(state_dir=state_dir, service=args.service)["candidate"] is None:
        print(f"FAILED: no {args.service} rollout is running on {state_dir}", flush=True)
        return 1
    action = "promote-full" if args.command == "promote" and args.full else args.command
    controls.control_write(state_dir, args.service, action)
    print(f"OK: {action} requested for {args.service}; the canary acts on it within a second", flush=True)
    return 0


def run(argv: list[str] | None = None) -> int:
    """Run one rollout; return the process exit code (2: another rollout holds the state dir)."""
    args = parse_args(argv)
    extravars = extravars_from(args)
    state_dir = Path(extravars.get("deploy_state_dir", REPO_ROOT / "var" / "deploy"))
    state_dir.mkdir(parents=True, exist_ok=True)
    if args.command in CONTROLS:
        return control(args, state_dir)
    # One rollout at a time per state dir: two would fight over the routes file and state.json.
    with open(state_dir / "deploy.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"FAILED: another rollout is running on {state_dir} (deploy.lock)", flush=True)
            return 2
        return run_locked(args, extravars, state_dir)


def timeline_recording(args: argparse.Namespace, state_dir: Path, progress: Progress):
    """deploy.timeline's recorder for a local rollout of one service (a no-op otherwise)."""
    from deploy.timeline import recording

    local = args.inventory == "local"
    release = args.image.rsplit(":", 1)[-1] if args.image else args.command
    return recording(state_dir=state_dir, service=args.service if local else None, release=release,
                     command=args.command, out=progress.line)  # fmt: skip


def run_locked(args: argparse.Namespace, extravars: dict[str, Any], state_dir: Path) -> int:
    import ansible_runner

    private_data_dir = state_dir / "runner"
    # ansible-runner keeps env/extravars between runs in its private data dir: start each run clean.
    shutil.rmtree(private_data_dir / "env", ignore_errors=True)
    private_data_dir.mkdir(parents=True, exist_ok=True)
    progress = Progress(args.quiet)
    progress.line(f"{args.command} {args.service or ''} {args.image or ''} (inventory {args.inventory})")
    # Ctrl-C (SIGINT) or SIGTERM: stop the playbook (ansible-runner kills its process group), then put
    # the service back as it was before this rollout, instead of leaving a candidate with traffic.
    interrupted: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: interrupted.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}  # fmt: skip
    # The live timeline (one line per traffic step, verdict and decision; deploy/timeline.py).
    timeline = contextlib.ExitStack()
    timeline.enter_context(timeline_recording(args, state_dir, progress))
    try:
        result = ansible_runner.run(
            private_data_dir=str(private_data_dir),
            project_dir=str(DEPLOY_DIR),
            playbook=str(DEPLOY_DIR / PLAYBOOKS[args.command]),
            inventory=str(DEPLOY_DIR / "inventories" / args.inventory),
            extravars=extravars,
            envvars=runner_envvars(),
            event_handler=progress,
            cancel_callback=lambda: bool(interrupted),
            settings={"pexpect_timeout": 0.5},  # how often the cancel callback is asked
            quiet=True,
            rotate_artifacts=5,
        )
        # A lockstep release is aborted newest first: the gateway, then reservations.
        services = [args.service] if args.service else list(reversed(LOCKSTEP_SERVICES))
        if interrupted and args.inventory == "local" and args.command in {*PLAYBOOKS} - {"check"}:
            from deploy.control import abort_now

            for service in services:
                aborted = abort_now(state_dir=state_dir, service=service, reason="interrupted (Ctrl-C)")
                print(f"ABORTED: interrupted; {service} {aborted['live']} takes all traffic"
                      f"{', candidate ' + aborted['aborted'] + ' stopped' if aborted['aborted'] else ''}", flush=True)  # fmt: skip
            return 130
    finally:
        timeline.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    ok = result.status == "successful" and result.rc == 0
    outcome = progress.messages[-1] if progress.messages else result.status
    print(f"{'OK' if ok else 'FAILED'}: {outcome}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run())
