"""`make test` runs on pytest-xdist workers: each worker is a run of its own, ports can stay in a range."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.support.live import ROOT, free_port, port_range


def _var_dir_of_settings_test(**env: str) -> str:
    """SKYWAY_VAR_DIR as a fresh process that imports settings.test sees it (and exports it)."""
    base = {k: v for k, v in os.environ.items() if k not in {"SKYWAY_VAR_DIR", "SKYWAY_TEST_RUN_OWNER"}}
    base.pop("PYTEST_XDIST_WORKER", None)
    with subprocess.Popen(
        [sys.executable, "-c", "import os, settings.test; print(os.environ['SKYWAY_VAR_DIR'])"],
        cwd=ROOT,
        env={**base, **env},
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    var_dir = out.strip()
    if os.path.basename(var_dir) == f"run-{proc.pid}":  # the probe's own run directory: leave no trace
        shutil.rmtree(var_dir, ignore_errors=True)
    return var_dir


@pytest.mark.live  # a python subprocess imports settings.test
def test_an_xdist_worker_does_not_share_the_controllers_run_directory() -> None:
    # The controller imported settings.test first and exported its directory; the worker inherits it.
    controller_dir = _var_dir_of_settings_test()
    worker_dir = _var_dir_of_settings_test(
        SKYWAY_VAR_DIR=controller_dir, SKYWAY_TEST_RUN_OWNER="", PYTEST_XDIST_WORKER="gw1"
    )
    assert worker_dir != controller_dir
    assert os.path.basename(worker_dir).startswith("run-")


@pytest.mark.live  # a python subprocess imports settings.test
def test_processes_a_worker_starts_keep_the_workers_directory(tmp_path) -> None:
    worker_dir = str(tmp_path / "run-4242")
    child = _var_dir_of_settings_test(
        SKYWAY_VAR_DIR=worker_dir, SKYWAY_TEST_RUN_OWNER="gw1", PYTEST_XDIST_WORKER="gw1"
    )
    assert child == worker_dir


@pytest.mark.live  # a python subprocess imports settings.test
def test_a_directory_given_outside_xdist_is_kept(tmp_path) -> None:
    assert _var_dir_of_settings_test(SKYWAY_VAR_DIR=str(tmp_path)) == str(tmp_path)


def test_free_port_stays_in_skyway_test_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYWAY_TEST_PORTS", "23100-23199")
    ports = {free_port() for _ in range(20)}
    assert ports <= set(range(23100, 23200))


def test_free_port_without_a_range_is_the_kernels_pick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKYWAY_TEST_PORTS", raising=False)
    assert port_range() is None
    assert 0 < free_port() < 65536


@pytest.mark.parametrize("spec", ["20000", "30000-20000", "a-b", "0-10", "20000-70000"])
def test_a_malformed_port_range_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="SKYWAY_TEST_PORTS"):
        port_range(spec)
