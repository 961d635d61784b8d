"""The Ansible side of the release path: every playbook parses, and ansible-lint (production profile) is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert set(PLAYBOOKS) == {"deploy.yml", "canary.yml", "blue-green.yml", "rollback.yml"}


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
    expected = {"local": ("local", "gateway_file"), "eks": ("eks", "k8s")}
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
def test_eks_smoke_paths_are_the_services_own_paths(service: str) -> None:
    """Finding 3: the flights smoke path was a gateway path, 404 (or 401) on flights itself."""
    import yaml
    from django.urls import Resolver404, resolve

    inventory = yaml.safe_load((DEPLOY / "inventories" / "eks" / "group_vars" / "all.yml").read_text())
    paths = inventory["smoke_paths"][service]
    assert paths
    for path in paths:
        try:
            resolve(path.split("?", 1)[0], urlconf=f"settings.urls.{service}")
        except Resolver404:
            pytest.fail(f"{service} has no view for its smoke path {path}")
    if service != "gateway":
        smoke = (DEPLOY / "roles" / "release" / "tasks" / "smoke_k8s.yml").read_text()
        assert "X-Service-Token" in smoke
        assert "SERVICE_TOKENS" in smoke
