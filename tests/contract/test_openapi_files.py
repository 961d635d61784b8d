"""docs/openapi/ is what `make schema` generates today: a published schema never lags behind the code.

Runs the same command as `make schema` (drf-spectacular with --validate, DEBUG=1 as the Makefile
exports it), one subprocess per deployable, all three at once.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast

ROOT = Path(__file__).resolve().parents[2]
DEPLOYABLES = ("flights", "reservations", "gateway")


def test_docs_openapi_matches_the_generated_schema_of_every_deployable():
    env = {**os.environ, "DEBUG": "1"}
    running = {
        name: subprocess.Popen(
            [sys.executable, "manage.py", "spectacular", "--validate"],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": f"settings.{name}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in DEPLOYABLES
    }
    stale = []
    for name, process in running.items():
        generated, errors = process.communicate(timeout=120)
        assert process.returncode == 0, f"schema generation for settings.{name} failed:\n{errors}"
        published = (ROOT / "docs" / "openapi" / f"{name}.yaml").read_text()
        if generated != published:
            diff = difflib.unified_diff(
                published.splitlines(),
                generated.splitlines(),
                f"docs/openapi/{name}.yaml",
                "generated",
                lineterm="",
            )
            stale.append("\n".join(list(diff)[:40]))
    assert not stale, "docs/openapi/ is out of date: run make schema\n\n" + "\n\n".join(stale)
