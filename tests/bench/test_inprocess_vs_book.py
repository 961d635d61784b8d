"""bench/inprocess_vs_book.py runs both apps to a 200 on every scenario and prints one row each."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from skyway.serve import ROOT

pytestmark = pytest.mark.live  # a process of its own with an embedded Redis

ROW = re.compile(r"^(ping|reserve|list)\s+(\d+\.\d{3})\s+(\d+\.\d{3})\s+(\d+\.\d{2})$", re.MULTILINE)


def test_the_in_process_comparison_prints_every_scenario(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env["SKYWAY_VAR_DIR"] = str(tmp_path / "var")
    run = subprocess.run(
        [sys.executable, "bench/inprocess_vs_book.py", "--number", "5", "--batches", "2"],
        cwd=ROOT,
        env={**env, "LOG_LEVEL": "WARNING"},  # its work directory under /tmp: a unix socket path is short
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    rows = ROW.findall(run.stdout)
    assert [row[0] for row in rows] == ["ping", "reserve", "list"], run.stdout
    assert all(float(skyway) > 0 and float(flask) > 0 for _, skyway, flask, _ in rows)
