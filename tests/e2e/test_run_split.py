"""`make run-split` (scripts/run_split.py): three servers up, URLs printed, Ctrl-C stops them all."""

from __future__ import annotations

import signal
import subprocess
import sys

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


def test_run_split_serves_three_processes_and_ctrl_c_stops_them_all(tmp_path):
    ports = {name: free_port() for name in ("gateway", "flights", "reservations")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    log = open(tmp_path / "run_split.out", "w+b")  # noqa: SIM115 - read back after the process ends
    process = subprocess.Popen(
        [
            sys.executable,
            "scripts/run_split.py",
            "--gateway-port", str(ports["gateway"]),
            "--flights-port", str(ports["flights"]),
            "--reservations-port", str(ports["reservations"]),
            "--workers", "1",
            "--var-dir", str(tmp_path / "var"),
        ],
        cwd=ROOT,
        env=base_env(DEBUG="1"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        assert wait_until(lambda: all(answers(url) for url in urls.values()), timeout=90)
        token = httpx.post(
            f"{urls['gateway']}/api/auth/token",
            json={"username": "alice", "password": "skyway-demo"},
            timeout=10,
        )
        assert token.status_code == 200  # migrated, seeded (demo customers in DEBUG), gateway → upstreams
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        from skyway import embedded_redis

        embedded_redis.stop(tmp_path / "var" / "redis")
    log.seek(0)
    printed = log.read().decode()

    assert f"http://127.0.0.1:{ports['gateway']}/" in printed
    assert "alice / skyway-demo" in printed
    assert not any(answers(url) for url in urls.values())
