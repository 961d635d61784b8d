"""The local "process manager": versions of a service as launcher processes (skyway.serve) on loopback.

A release is this checkout's code started with a release id (RELEASE_ID, reported by /health) and
an environment (e.g. FAULT_ERROR_RATE for a bad build). State — which release runs where, which one is
live, which one to roll back to — is kept in <state dir>/state.json, written atomically.

    python -m deploy.localproc start  --state-dir var/deploy --service flights --release v2 [--env K=V]
    python -m deploy.localproc stop   --state-dir var/deploy --service flights --release v1
    python -m deploy.localproc mark   --state-dir var/deploy --service flights --live v2 --previous v1
    python -m deploy.localproc status --state-dir var/deploy --service flights
    python -m deploy.localproc manage --state-dir var/deploy --service reservations --release v2 reservations_check
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from skyway.procs import pid_alive
from skyway.serve import ServerProcess, free_port  # SKYWAY_TEST_PORTS keeps releases in a range

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SETTINGS = {
    "flights": "settings.flights",
    "reservations": "settings.reservations",
    "gateway": "settings.gateway",
}
# Release environments may only carry these: the fault switches and sizing, never credentials.
RELEASE_ENV_ALLOWED = {
    "FAULT_ERROR_RATE",
    "FAULT_LATENCY_MS",
    "FAULT_WRONG_TAKEN_RATE",
    "WEB_WORKERS",
    "WEB_THREADS",
    "LOG_LEVEL",
}
COLOURS = ("blue", "green")


class DeployError(RuntimeError):
    """A release operation that cannot go on; the message says why."""


# ---- state -------------------------------------------------------------------------------------------


def state_path(state_dir: Path) -> Path:
    return state_dir / "state.json"


def state_load(state_dir: Path) -> dict[str, Any]:
    path = state_path(state_dir)
    if not path.exists():
        return {"services": {}}
    return json.loads(path.read_text())


def json_write_atomic(path: Path, data: object) -> None:
    """Write JSON beside the target and os.replace() it: readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def state_save(state_dir: Path, state: dict[str, Any]) -> None:
    json_write_atomic(state_path(state_dir), state)


def service_state(state: dict[str, Any], service: str) -> dict[str, Any]:
    return state["services"].setdefault(
        service, {"live": None, "previous": None, "candidate": None, "releases": {}}
    )


# ---- processes ---------------------------------------------------------------------------------------


def secret_key(state_dir: Path) -> str:
    """One random SECRET_KEY per local state dir, so processes started by different runs agree."""
    return _state_secret(state_dir, "secret_key")


def service_token(state_dir: Path) -> str:
    """One random service credential per local state dir (SERVICE_TOKENS, when the caller sets none)."""
    return _state_secret(state_dir, "service_token")


def _state_secret(state_dir: Path, name: str) -> str:
    path = state_dir / name
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def release_env_parse(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DeployError(f"--env wants KEY=VALUE, got {pair!r}")
        if key not in RELEASE_ENV_ALLOWED:
            raise DeployError(
                f"--env {key}: only {', '.join(sorted(RELEASE_ENV_ALLOWED))} may vary per release"
            )
        env[key] = value
    return env


def process_env(state_dir: Path, service: str, release: str, release_env: dict[str, str]) -> dict[str, str]:
    """This process's environment (database URLs, SKYWAY_VAR_DIR…) plus what makes the release itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTEST_"))}
    env.pop("DEBUG", None)
    env.setdefault("SECRET_KEY", secret_key(state_dir))
    env.setdefault("SERVICE_TOKENS", service_token(state_dir))
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("SECURE_TRANSPORT", "0")  # plain HTTP on loopback: no HTTPS redirect (docs/adr/0066)
    env["SKYWAY_ENV"] = (
        env.get("SKYWAY_ENV") if env.get("SKYWAY_ENV") not in (None, "production") else "local"
    )
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS[service]
    env["RELEASE_ID"] = release
    env.update(release_env)
    return env


def wait_ready(url: str, release: str, pid: int, timeout: float) -> None:
    """Ready = /health answers 200 with this release's id (the readiness probe of the k8s Deployment)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise DeployError(f"{release} exited during start")
        try:
            response = httpx.get(f"{url}/health", timeout=2)
            body = response.json()
            if response.status_code == 200 and body.get("releaseId") == release:
                return
            last = f"{response.status_code} releaseId={body.get('releaseId')}"
        except (httpx.HTTPError, ValueError) as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise DeployError(f"{release} not ready at {url}/health after {timeout:.0f}s ({last})")


def release_start(
    *,
    state_dir: Path,
    service: str,
    release: str,
    release_env: dict[str, str],
    slot: str,
    workers: int = 2,
    threads: int = 2,
    timeout: float = 40.0,
) -> dict[str, Any]:
    """Start `release` of `service` on a free port; wait until ready; record it in the state."""
    state = state_load(state_dir)
    current = service_state(state, service)["releases"].get(release)
    if current and current.get("running") and pid_alive(current.get("pid")):
        raise DeployError(f"{service} {release} already runs on {current['url']}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    logs = state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{service}-{release}.log"
    env = process_env(state_dir, service, release, release_env)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            ServerProcess(
                settings_module=SETTINGS[service],
                port=port,
                env=env,
                workers=int(release_env.get("WEB_WORKERS", workers)),
                threads=int(release_env.get("WEB_THREADS", threads)),
                graceful_timeout=10,
            ).command(),
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the playbook; stopped as a group by release_stop
        )  # fmt: skip
    try:
        wait_ready(url, release, process.pid, timeout)
    except DeployError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        raise
    record = {
        "release": release,
        "url": url,
        "port": port,
        "pid": process.pid,
        "env": release_env,
        "slot": slot,
        "log": str(log_path),
        "running": True,
        "started_at": time.time(),
    }
    state = state_load(state_dir)  # re-read: another helper may have written while we waited
    service_state(state, service)["releases"][release] = record
    state_save(state_dir, state)
    return record


def migrate(*, state_dir: Path, service: str, release: str, release_env: dict[str, str]) -> None:
    """Schema migrations of the release before it starts (the k8s migration Job's job, on one machine)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate_contexts"],
        cwd=REPO_ROOT,
        env=process_env(state_dir, service, release, release_env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DeployError(
            f"migrate_contexts failed for {service} {release}:\n{result.stdout}{result.stderr}"[-2000:]
        )


def manage_run(
    *, state_dir: Path, service: str, release: str, command: list[str]
) -> subprocess.CompletedProcess:
    """`manage.py <command>` in a release's environment (e.g. the per-step `reservations_check` of a
    reservations canary: the EKS analysis runs the same command as a Job)."""
    record = service_state(state_load(state_dir), service)["releases"].get(release) or {}
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=REPO_ROOT,
        env=process_env(state_dir, service, release, record.get("env", {})),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def release_stop(*, state_dir: Path, service: str, release: str, timeout: float = 15.0) -> dict[str, Any]:
    """Graceful stop (SIGTERM to the process group: in-flight requests finish), SIGKILL if it lingers."""
    state = state_load(state_dir)
    record = service_state(state, service)["releases"].get(release)
    if record is None:
        raise DeployError(f"{service} has no release {release}")
    pid = record.get("pid")
    if record.get("running") and pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    record["running"] = False
    record["pid"] = None
    state_save(state_dir, state)
    return record


def service_status(*, state_dir: Path, service: str) -> dict[str, Any]:
    """The service's state, with `running` refreshed from the process table and a few derived fields."""
    state = state_load(state_dir)
    current = service_state(state, service)
    for record in current["releases"].values():
        record["running"] = bool(record.get("running") and pid_alive(record.get("pid")))
    live = current["releases"].get(current["live"] or "")
    used = {record.get("slot") for record in current["releases"].values() if record["running"]}
    current["live_url"] = live["url"] if live and live["running"] else None
    current["live_slot"] = live["slot"] if live else None
    live_colour = live["slot"] if live and live["slot"] in COLOURS else None
    idle = [c for c in COLOURS if c != live_colour and c not in used]
    current["idle_colour"] = idle[0] if idle else next(c for c in COLOURS if c != live_colour)
    current["service"] = service
    return current


def mark(
    *, state_dir: Path, service: str, live: str | None = None, previous: str | None = None,
    candidate: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Record roles: "" clears a role, None leaves it as it is."""
    state = state_load(state_dir)
    current = service_state(state, service)
    for role, value in (("live", live), ("previous", previous), ("candidate", candidate)):
        if value is None:
            continue
        if value and value not in current["releases"]:
            raise DeployError(f"{service} has no release {value}")
        current[role] = value or None
    state_save(state_dir, state)
    return current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.localproc", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "stop", "status", "mark", "manage"):
        command = sub.add_parser(name)
        command.add_argument("--state-dir", type=Path, required=True)
        command.add_argument("--service", choices=sorted(SETTINGS), required=True)
        if name in {"start", "stop", "manage"}:
            command.add_argument("--release", required=True)
        if name == "manage":
            command.add_argument("manage_command", nargs="+", help="manage.py command and its arguments")
        if name == "start":
            command.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
            command.add_argument("--env-json", default="{}", help="the release environment as a JSON object")
            command.add_argument("--migrate", action="store_true", help="migrate_contexts before starting")
            command.add_argument("--slot", default="stable")
            command.add_argument("--workers", type=int, default=2)
            command.add_argument("--threads", type=int, default=2)
            command.add_argument("--timeout", type=float, default=40.0)
        if name == "mark":
            command.add_argument("--live")
            command.add_argument("--previous")
            command.add_argument("--candidate")
            command.add_argument("--roles-json", default="{}", help='e.g. {"live": "v2", "candidate": ""}')
    args = parser.parse_args(argv)
    state_dir = args.state_dir.resolve()
    if args.command == "manage":
        ran = manage_run(
            state_dir=state_dir, service=args.service, release=args.release, command=args.manage_command
        )
        sys.stdout.write(ran.stdout)
        sys.stderr.write(ran.stderr[-4000:])
        return ran.returncode
    try:
        if args.command == "start":
            release_env = release_env_parse(
                args.env + [f"{k}={v}" for k, v in (json.loads(args.env_json) or {}).items()]
            )
            if args.migrate:
                migrate(
                    state_dir=state_dir, service=args.service, release=args.release, release_env=release_env
                )
            result = release_start(
                state_dir=state_dir,
                service=args.service,
                release=args.release,
                release_env=release_env,
                slot=args.slot,
                workers=args.workers,
                threads=args.threads,
                timeout=args.timeout,
            )
        elif args.command == "stop":
            result = release_stop(state_dir=state_dir, service=args.service, release=args.release)
        elif args.command == "mark":
            roles = {"live": args.live, "previous": args.previous, "candidate": args.candidate}
            roles.update({k: v for k, v in json.loads(args.roles_json).items() if k in roles})
            result = mark(state_dir=state_dir, service=args.service, **roles)
        else:
            result = service_status(state_dir=state_dir, service=args.service)
    except DeployError as exc:
        print(json.dumps({"error": str(exc)}))
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
