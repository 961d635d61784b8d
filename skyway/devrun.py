"""`make run` / `make run-split` under a pid file, and `make stop` that ends them (docs/adr/0130).

    python -m skyway.devrun run platform -- python manage.py runserver 127.0.0.1:8000
    python -m skyway.devrun stop            # every server of this checkout's var dir, then its pid file

`run NAME -- COMMAND…` starts COMMAND in a process group of its own, writes `<var>/run/NAME.pid` (JSON:
this supervisor's pid, the group id, the command, the checkout) and waits. Ctrl-C or SIGTERM is passed
on to the whole group (runserver and its autoreloaded child; honcho and the three launchers with their
workers); when COMMAND ends, whatever is left of its group is stopped too and the pid file removed.
A NAME that already runs is refused; a pid file whose supervisor is gone (kill -9) is replaced, and
`stop` only removes it: its pid may belong to another process by now, which is never signalled.

`stop` sends SIGTERM to the group of every pid file under `<var>/run`, SIGKILL after a grace period,
and removes the file. The embedded Redis is not a child of anything (a daemon shared by every process
of the checkout): `make stop` stops it afterwards with `manage.py embedded_redis stop --all`.
`<var>` is SKYWAY_VAR_DIR, else the checkout's var/ (as settings.base has it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from skyway.procs import pid_alive

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 15.0
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def run_dir() -> Path:
    return Path(os.environ.get("SKYWAY_VAR_DIR") or ROOT / "var").resolve() / "run"


def _parents() -> dict[int, int]:
    """pid → parent pid of every process (Linux /proc; {} elsewhere)."""
    parents = {}
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, grandchildren…)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return {p for p in found if pid_alive(p)}


def group_members(pgid: int) -> set[int]:
    """Live pids whose process group is `pgid` (Linux /proc)."""
    members = set()
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                members.add(int(proc.name))
    return {pid for pid in members if pid_alive(pid)}


def _signal_all(pids: set[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def processes_stop(pids: set[int], grace: float = GRACE_SECONDS) -> set[int]:
    """SIGTERM to every pid, SIGKILL to those alive after `grace` s; return those that were running."""
    running = {pid for pid in pids if pid_alive(pid)}
    _signal_all(running, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(pid_alive(pid) for pid in running) and time.monotonic() < deadline:
        _reap()
        time.sleep(0.05)
    _signal_all({pid for pid in running if pid_alive(pid)}, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while any(pid_alive(pid) for pid in running) and time.monotonic() < deadline:
        _reap()
        time.sleep(0.05)
    return running


def _reap() -> None:
    """Collect exited children (the supervisor adopts orphans as a subreaper) so they leave no zombie."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def _become_subreaper() -> None:
    """Orphans of our command (honcho's launchers if honcho dies) become our children, not init's, so
    the supervisor can stop them at the end (Linux PR_SET_CHILD_SUBREAPER; best effort elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)


def is_supervisor(pid: int | None) -> bool:
    """True if `pid` is alive and is a `skyway.devrun run` (a pid file can outlive its process, and the
    pid be reused by something else, which must never be signalled)."""
    if not pid_alive(pid):
        return False
    try:
        cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"skyway.devrun" in cmdline and b"run" in cmdline


def pid_file_read(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("pgid"), int) else None


def run(name: str, command: list[str]) -> int:
    """Start `command` under `<var>/run/<name>.pid`; return its exit code (128+N when ended by signal N)."""
    path = run_dir() / f"{name}.pid"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = pid_file_read(path)
    if record and is_supervisor(record.get("pid")):
        print(f"{name} already runs (pid {record['pid']}, {path}): `make stop` first", file=sys.stderr)
        return 1
    _become_subreaper()
    child = subprocess.Popen(command, process_group=0)

    def forward(signum: int, _frame) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    record = {"pid": os.getpid(), "pgid": child.pid, "command": command, "checkout": str(ROOT),
              "started_at": time.time()}  # fmt: skip
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record) + "\n")
    os.replace(tmp, path)
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        processes_stop(descendants(os.getpid()), grace=5)  # whatever the command left behind
        path.unlink(missing_ok=True)
    return 128 - code if code < 0 else code


def stop() -> list[str]:
    """Stop every server of this var dir's pid files; return what was stopped (name and pids)."""
    stopped = []
    directory = run_dir()
    for path in sorted(directory.glob("*.pid")) if directory.exists() else []:
        record = pid_file_read(path)
        supervisor = record.get("pid") if record else None
        if not is_supervisor(supervisor):  # left by a supervisor killed with -9: nothing to signal safely
            path.unlink(missing_ok=True)
            stopped.append(f"{path.stem} (stale pid file removed)")
            continue
        # Everything below the supervisor and in the command's group: honcho and runserver, their
        # children (honcho's launchers sit in sessions of their own) and the workers under those.
        ran = processes_stop(descendants(supervisor) | group_members(record["pgid"]))
        deadline = time.monotonic() + 10  # the supervisor exits with its command, removing the file
        while pid_alive(supervisor) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(supervisor):
            ran |= processes_stop({supervisor})
        if ran:
            stopped.append(f"{path.stem} (pids {sorted(ran)})")
        path.unlink(missing_ok=True)
    return stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skyway.devrun", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    runner = sub.add_parser("run", help="run a command under <var>/run/NAME.pid")
    runner.add_argument("name")
    runner.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command and its arguments")
    sub.add_parser("stop", help="stop every server with a pid file under <var>/run")
    args = parser.parse_args(argv)
    if args.action == "run":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("run needs a command after --")
        return run(args.name, command)
    stopped = stop()
    print(
        "stopped " + (", ".join(stopped) if stopped else "nothing (no server of this checkout was running)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
