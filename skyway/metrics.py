"""Prometheus multiprocess mode: /metrics is the deployable instance's totals, not one worker's (ADR 0123).

Every worker of `python -m skyway.serve` writes its samples to memory-mapped files in the instance's
own directory, `PROMETHEUS_MULTIPROC_DIR`; django-prometheus's /metrics view sees that variable and
answers with prometheus_client's `MultiProcessCollector`, which adds up every worker's files,
including those of workers that have exited (a counter never goes back while the instance lives).

- The launcher (`multiproc_dir_prepare`, before it execs the server) picks the directory, empties it
  and puts it in the environment the server and its workers inherit, so prometheus_client chooses its
  file-backed values at its first import in every worker. Without an operator-set
  `PROMETHEUS_MULTIPROC_DIR` it is `<SKYWAY_VAR_DIR>/metrics/serve-<pid>` (`var/` in a checkout,
  the pod's `/tmp` emptyDir in the image); directories of instances that no longer run are removed.
- Each worker, as it starts (`worker_started`), drops the live-gauge files of workers that are gone
  (a crashed worker has no exit hook; granian respawns it and the new one tidies up), and registers
  `mark_process_dead` for its own exit.

A Gauge in this project must name its `multiprocess_mode` (tests/platform/test_metrics.py checks):
prometheus_client's default, "all", exports one series per worker pid and keeps dead workers' series.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from skyway.procs import pid_alive

ENV = "PROMETHEUS_MULTIPROC_DIR"
_INSTANCE_DIR = re.compile(r"serve-(\d+)")
_DB_FILE = re.compile(r"[a-z]+(?:_[a-z]+)?_(\d+)\.db")  # counter_12.db, gauge_livesum_12.db


def default_dir(env: Mapping[str, str], root: Path, pid: int) -> Path:
    """Where an instance keeps its files unless PROMETHEUS_MULTIPROC_DIR says otherwise."""
    var_dir = Path(env.get("SKYWAY_VAR_DIR") or root / "var")
    return (var_dir / "metrics" / f"serve-{pid}").resolve()


def multiproc_dir_prepare(env: MutableMapping[str, str], *, root: Path, pid: int) -> Path:
    """Launcher side: a fresh, empty metrics directory for this instance, exported in `env`.

    An operator-set PROMETHEUS_MULTIPROC_DIR is used as given and emptied of its `*.db` files (it must
    be private to this instance: two servers sharing one would add up each other's counters). Otherwise
    the instance's own directory is recreated, and those of instances whose launcher pid is gone are
    removed (a stopped or killed server leaves its directory behind; pids are reused, hence the wipe).
    """
    configured = env.get(ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return path
    path = default_dir(env, root, pid)
    for sibling in path.parent.glob("serve-*") if path.parent.is_dir() else ():
        match = _INSTANCE_DIR.fullmatch(sibling.name)
        if match and sibling != path and not pid_alive(int(match.group(1))):
            shutil.rmtree(sibling, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    env[ENV] = str(path)
    return path


def dead_workers_sweep(path: Path) -> list[int]:
    """mark_process_dead for every pid with files in `path` that no longer runs; the pids swept.

    Only live* gauges are removed by it: counter and histogram files of a dead worker stay, so the
    instance's totals keep what it counted.
    """
    from prometheus_client import multiprocess

    pids = {int(m.group(1)) for f in path.glob("*.db") if (m := _DB_FILE.fullmatch(f.name))}
    dead = sorted(pid for pid in pids if pid != os.getpid() and not pid_alive(pid))
    for pid in dead:
        multiprocess.mark_process_dead(pid, str(path))
    return dead


def worker_started() -> None:
    """Worker side (granian's app factory): tidy up after dead workers, and after this one at its exit."""
    configured = os.environ.get(ENV)
    if not configured:
        return
    from multiprocessing import util

    from prometheus_client import multiprocess

    dead_workers_sweep(Path(configured))
    # granian's workers are multiprocessing processes: their finalizers run when the worker returns.
    util.Finalize(None, multiprocess.mark_process_dead, args=(os.getpid(), configured), exitpriority=10)
