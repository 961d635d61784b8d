"""One way to start a deployable (ADR 60): every starter goes through `python -m skyway.serve`."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from deploy import localproc
from skyway.serve import ServerProcess
from tests.support.live import LiveService, base_env

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ["-m", "skyway.serve"]
# A server started by hand instead of through the launcher (its flags would then live twice).
DIRECT_SERVER = re.compile(r"\b(gunicorn|granian|uvicorn|waitress-serve)\b\s+\S")


def test_the_makefile_and_the_procfile_start_deployables_through_the_launcher() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("serve-flights", "serve-reservations", "serve-gateway"):
        recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
        assert "-m skyway.serve" in recipe, target
    procfile = [line for line in (ROOT / "Procfile").read_text().splitlines() if line and line[0] != "#"]
    servers = [line for line in procfile if not line.startswith(("projector:", "edge:"))]
    assert {line.split(":", 1)[0] for line in servers} == {"flights", "reservations", "gateway"}
    assert all("python -m skyway.serve --settings settings." in line for line in servers)
    [worker] = [line for line in procfile if line.startswith("projector:")]  # a worker, not a server
    assert worker.endswith("python manage.py reservations_project")
    [edge] = [line for line in procfile if line.startswith("edge:")]  # the strangler edge (ADR 155)
    assert "python -m skyway.strangler --settings settings.gateway" in edge
    assert "honcho start" in makefile.split("\nrun-split:", 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize(
    "path", ["Makefile", "Procfile", "Dockerfile", "deploy/localproc.py", "tests/support/live.py"]
)
def test_no_starter_runs_a_server_command_of_its_own(path: str) -> None:
    text = (ROOT / path).read_text()
    assert not DIRECT_SERVER.search(text.replace("skyway.serve", "")), path


def test_the_local_rollout_executor_starts_releases_through_the_launcher(tmp_path, monkeypatch) -> None:
    started: list[list[str]] = []

    class Refused(Exception):
        pass

    def popen(argv, **kwargs):
        started.append(argv)
        raise Refused

    monkeypatch.setattr(subprocess, "Popen", popen)
    with pytest.raises(Refused):
        localproc.release_start(
            state_dir=tmp_path,
            service="flights",
            release="v9",
            release_env={"WEB_WORKERS": "3"},
            slot="stable",
        )
    argv = started[0]
    assert argv[1:3] == LAUNCHER
    assert argv[argv.index("--settings") + 1] == "settings.flights"
    assert argv[argv.index("--workers") + 1] == "3"  # the release environment's sizing


def test_test_fixtures_are_the_shipped_launcher() -> None:
    service = LiveService(settings_module="settings.gateway", port=1, env=base_env(), workers=1, threads=16)
    assert isinstance(service, ServerProcess)
    assert service.command()[1:3] == LAUNCHER


def test_benches_do_not_start_servers_through_tests() -> None:
    for path in sorted((ROOT / "bench").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {
            node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "tests.support.live" not in imported, path.name
        assert "tests.faults.deployment" not in imported, path.name
