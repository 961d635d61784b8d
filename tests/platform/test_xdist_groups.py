"""`make test`'s xdist grouping (docs/adr/0106, 0159): tests sharing a stack run on one worker.

A synthetic suite with a session-scoped fixture in a sub-conftest (as tests/e2e's stack) and a
module-scoped one (as test_hardening.py's servers) runs under `-n 2 --dist loadgroup` with the
suite's own plugin: xdist names a grouped test `<nodeid>@<group>` in its reports, and runs a group on
one worker. Before ADR 159 xdist read the markers before the plugin had set them: no test had a
group, and each stack started on both workers.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from skyway.serve import ROOT

pytestmark = pytest.mark.live  # a pytest of its own with two worker processes

SHARED = """
import pytest

@pytest.fixture(scope="session")
def stack():
    return "one per run"
"""

USES_STACK = """
import pytest

@pytest.mark.parametrize("n", range(8))
def test_on_the_stack(stack, n):
    assert stack == "one per run"
"""

MODULE_SCOPED = """
import pytest

@pytest.fixture(scope="module")
def server():
    return "one per module"

@pytest.mark.parametrize("n", range(6))
def test_on_the_server(server, n):
    assert server

@pytest.mark.parametrize("n", range(6))
def test_free_beside_it(n):
    assert n >= 0
"""

FREE = """
import pytest

@pytest.mark.parametrize("n", range(30))
def test_free(n):
    assert n >= 0
"""

RESULT = re.compile(r"^\[(gw\d+)\] \[\s*\d+%\] PASSED (\S+)\s*$", re.MULTILINE)


def test_tests_sharing_a_fixture_carry_its_group_and_run_on_one_worker(tmp_path: Path) -> None:
    suite = tmp_path / "tests"
    (suite / "stack").mkdir(parents=True)
    (suite / "stack" / "conftest.py").write_text(SHARED)
    (suite / "stack" / "test_a.py").write_text(USES_STACK)
    (suite / "stack" / "test_b.py").write_text(USES_STACK)
    (suite / "test_module_scoped.py").write_text(MODULE_SCOPED)
    (suite / "test_free.py").write_text(FREE)
    plugins = ["-p", "no:cacheprovider", "-p", "no:django", "-p", "tests.support.xdist_groups"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", *plugins, "tests"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    workers_of: dict[str, set[str]] = defaultdict(set)
    names: dict[str, list[str]] = defaultdict(list)
    for worker, nodeid in RESULT.findall(run.stdout):
        path, _, rest = nodeid.partition("::")
        group = rest.partition("@")[2] or None
        names[path].append(group or "")
        if group:
            workers_of[group].add(worker)

    assert sum(map(len, names.values())) == 8 + 8 + 12 + 30, run.stdout[-3000:]
    assert names["tests/stack/test_a.py"] == ["tests/stack"] * 8
    assert names["tests/stack/test_b.py"] == ["tests/stack"] * 8
    assert sorted(names["tests/test_module_scoped.py"]) == [""] * 6 + ["tests/test_module_scoped.py"] * 6
    assert set(names["tests/test_free.py"]) == {""}
    assert {group: len(workers) for group, workers in workers_of.items()} == {
        "tests/stack": 1,
        "tests/test_module_scoped.py": 1,
    }
