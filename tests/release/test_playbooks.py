"""The Ansible side of the release path: every playbook parses, and ansible-lint (production profile) is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
PLAYBOOKS = sorted(p.name for p in DEPLOY.glob("*.yml"))
INVENTORIES = ["local", "eks"]


def ansible_env() -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(DEPLOY / "ansible.cfg"),
        "ANSIBLE_LOCAL_TEMP": str(ROOT / "var" / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }


def test_there_is_a_playbook_per_rollout() -> None:
    assert set(PLAYBOOKS) == {
        "deploy.yml",
        "canary.yml",
        "blue-green.yml",
        "rollback.yml",
        "check-cluster.yml",
        "lockstep.yml",
    }


@pytest.mark.parametrize("inventory", INVENTORIES)
@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_passes_syntax_check(playbook: str, inventory: str) -> None:
    result = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "--syntax-check", "-i", f"inventories/{inventory}", playbook,
         "-e", "service=flights", "-e", "image=skyway:v1"],
        cwd=DEPLOY, env=ansible_env(), capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_inventories_resolve_platform_and_router() -> None:
    expected = {"local": ("local", "gateway_file"), "eks": ("eks", "argo-rollouts")}
    for inventory, (platform, router) in expected.items():
        result = subprocess.run(
            [str(VENV_BIN / "ansible-inventory"), "-i", f"inventories/{inventory}", "--host", "localhost"],
            cwd=DEPLOY, env=ansible_env(), capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f'"deploy_platform": "{platform}"' in result.stdout
        assert f'"traffic_router": "{router}"' in result.stdout


def test_ansible_lint_production_profile_is_clean() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "ansible-lint"), "--offline", "--nocolor", "--format", "pep8"],
        cwd=DEPLOY, env=ansible_env(), capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


@pytest.mark.parametrize("service", ["flights", "reservations", "gateway"])
def test_the_canary_smoke_paths_are_the_services_own_paths(service: str) -> None:
    """Finding 3: the flights smoke path was a gateway path, 404 (or 401) on flights itself."""
    import yaml
    from django.urls import Resolver404, resolve

    rollout = next(
        d for d in yaml.safe_load_all((ROOT / "k8s" / "base" / service / "rollout.yaml").read_text()) if d
    )
    smoke = next(
        step["analysis"]
        for step in rollout["spec"]["strategy"]["canary"]["steps"]
        if "analysis" in step and step["analysis"]["templates"][0]["templateName"] == "skyway-smoke"
    )
    args = {arg["name"]: arg["value"] for arg in smoke["args"]}
    assert args["service"] == service
    for path in args["paths"].split():
        try:
            resolve(path.split("?", 1)[0], urlconf=f"settings.urls.{service}")
        except Resolver404:
            pytest.fail(f"{service} has no view for its smoke path {path}")
    job = (ROOT / "k8s" / "base" / "shared" / "smoke-template.yaml").read_text()
    assert "X-Service-Token" in job
    assert "SERVICE_TOKENS" in job


def test_the_rollout_playbooks_refuse_eks_where_argo_rollouts_owns_releases() -> None:
    """Finding 1: the playbooks' promote/rollback patches were a second owner that Argo CD reverted."""
    result = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "inventories/eks", "canary.yml",
         "-e", "service=flights", "-e", "image=skyway:v2"],
        cwd=DEPLOY, env=ansible_env(), capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "On EKS a release starts when its pull request" in result.stdout
    assert not list((DEPLOY / "roles" / "release" / "tasks").glob("*_k8s.yml"))
