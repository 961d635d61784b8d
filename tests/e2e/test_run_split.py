"""`make run-split` (the Procfile under honcho): three servers up, URLs printed, Ctrl-C stops them all."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess

import httpx
import pytest

from tests.e2e.conftest import wait_until
from tests.support.live import ROOT, base_env, free_port

pytestmark = pytest.mark.e2e


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_split_serves_three_processes_and_ctrl_c_stops_them_all(tmp_path):
    ports = {name: free_port() for name in ("gateway", "flights", "reservations")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    log = open(tmp_path / "run_split.out", "w+b")  # noqa: SIM115 - read back after the process ends
    env = base_env(DEBUG="1", SKYWAY_VAR_DIR=str(tmp_path / "var"))
    for name in ("FLIGHTS_DATABASE_URL", "GATEWAY_DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX"):
        env.pop(name, None)
    process = subprocess.Popen(
        [
            "make", "--no-print-directory", "-o", ".venv/.installed-runtime", "-o", ".venv/.installed-dev", "run-split",
            f"PORT={ports['gateway']}",
            f"FLIGHTS_PORT={ports['flights']}",
            f"RESERVATIONS_PORT={ports['reservations']}",
            "WEB_WORKERS=1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )  # fmt: skip
    try:
        assert wait_until(lambda: all(answers(url) for url in urls.values()), timeout=120)
        token = httpx.post(
            f"{urls['gateway']}/api/auth/token",
            json={"username": "alice", "password": "skyway-demo"},
            timeout=10,
        )
        assert token.status_code == 200  # migrated, seeded (demo customers in DEBUG), gateway → upstreams
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        process.wait(timeout=60)
        assert wait_until(lambda: not group_alive(process.pid), timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        from skyway import embedded_redis

        embedded_redis.stop(tmp_path / "var" / "redis")
    log.seek(0)
    printed = log.read().decode()

    assert f"http://127.0.0.1:{ports['gateway']}/" in printed
    assert "alice / skyway-demo" in printed
    assert not any(answers(url) for url in urls.values())
