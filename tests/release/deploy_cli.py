"""`python -m deploy …` as an operator runs it (from the repository root), for the release tests."""

from __future__ import annotations

import subprocess
import sys

from tests.support.live import ROOT

DEPLOY = [sys.executable, "-m", "deploy"]


def deploy_run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run `python -m deploy *args` to its end; output captured as text, the exit code left to the test."""
    return subprocess.run(
        [*DEPLOY, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def deploy_start(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """Start `python -m deploy *args` in the background, stdout and stderr in one text pipe."""
    return subprocess.Popen(
        [*DEPLOY, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
