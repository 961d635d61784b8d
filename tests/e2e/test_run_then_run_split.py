"""`make run`, `make stop`, then `make run-split` in the same checkout (one var dir), then `make stop`
again: every service healthy each time, and each `make stop` leaves no pid file and none of the
processes those targets started (servers, workers, the embedded Redis) behind — checked by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from skyway.devrun import descendants, pid_file_read
from skyway.procs import pid_alive
from tests.e2e.conftest import wait_until
from tests.faults.deployment import private_env
from tests.support.live import ROOT, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]
# The install stamps are taken as up to date: the test runs the checkout's venv as it is.
MAKE = ["make", "--no-print-directory", "-o", ".venv/.installed-runtime", "-o", ".venv/.installed-dev"]


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def started_pids(var_dir: Path, name: str) -> set[int]:
    """The supervisor of `name`, everything below it, and the embedded Redis: what make stop must end."""
    record = pid_file_read(var_dir / "run" / f"{name}.pid")
    assert record is not None, f"no pid file {name}.pid under {var_dir / 'run'}"
    pids = {record["pid"], record["pgid"], *descendants(record["pid"])}
    redis_pid = int((var_dir / "redis" / "redis.pid").read_text())
    assert pid_alive(redis_pid)
    return pids | {redis_pid}


def make_stop(env: dict[str, str]) -> str:
    stop = subprocess.run([*MAKE, "stop"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    return stop.stdout


def start(target: str, env: dict[str, str], log: Path, *variables: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*MAKE, target, *variables], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal of its own; make stop comes from "another terminal"
    )  # fmt: skip


def test_make_stop_ends_make_run_then_make_run_split_serves_from_the_same_checkout(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = private_env(var_dir)  # this checkout's own SQLite files and embedded Redis, whatever CI sets
    env.pop("LOG_LEVEL", None)
    running: list[subprocess.Popen] = []
    try:
        # 1. make run: the whole platform in one process (runserver + its autoreloaded child).
        port = free_port()
        platform = start("run", env, tmp_path / "run.out", f"PORT={port}")
        running.append(platform)
        assert wait_until(lambda: healthy(f"http://127.0.0.1:{port}"), timeout=240), (
            tmp_path / "run.out"
        ).read_text()
        first = started_pids(var_dir, "platform")
        assert len(first) >= 4  # supervisor, runserver, its reloaded child, redis-server

        out = make_stop(env)
        assert "stopped platform" in out
        assert platform.wait(timeout=60) is not None
        assert not list((var_dir / "run").glob("*.pid"))
        assert not [pid for pid in first if pid_alive(pid)], out
        assert not healthy(f"http://127.0.0.1:{port}")

        # 2. make run-split on the databases make run created (ADR 100): three deployables, all healthy.
        ports = {name: free_port() for name in ("gateway", "flights", "reservations")}
        urls = {name: f"http://127.0.0.1:{p}" for name, p in ports.items()}
        split = start(
            "run-split", env, tmp_path / "run-split.out", f"PORT={ports['gateway']}",
            f"FLIGHTS_PORT={ports['flights']}", f"RESERVATIONS_PORT={ports['reservations']}", "WEB_WORKERS=1",
        )  # fmt: skip
        running.append(split)
        assert wait_until(lambda: all(healthy(url) for url in urls.values()), timeout=240), (
            tmp_path / "run-split.out"
        ).read_text()
        token = httpx.post(
            f"{urls['gateway']}/api/auth/token",
            json={"username": "alice", "password": "skyway-demo"},
            timeout=10,
        )
        assert token.status_code == 200  # seeded by make run, served by the gateway alone
        flights = httpx.get(
            f"{urls['gateway']}/api/flights?flight_no=AA2532&date=2020-05-17",
            headers={"Authorization": f"Token {token.json()['token']}"},
            timeout=10,
        )
        assert flights.status_code == 200  # the gateway → flights on make run's flights file
        second = started_pids(var_dir, "split")
        assert len(second) >= 8  # supervisor, honcho, three launchers and their workers, redis-server

        out = make_stop(env)
        assert "stopped split" in out
        assert split.wait(timeout=60) is not None
        assert not list((var_dir / "run").glob("*.pid"))
        assert not [pid for pid in second if pid_alive(pid)], out
        assert not any(healthy(url) for url in urls.values())
    finally:
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        subprocess.run([*MAKE, "stop"], cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
