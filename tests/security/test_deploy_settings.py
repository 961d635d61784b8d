"""Production settings (docs/adr/0066): `check --deploy` is clean for every deployable under its production
environment, only the checks the ADR justifies are silenced, and production refuses DEBUG."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.live import ROOT, base_env, run_manage

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast

SCRIPT = ROOT / "scripts" / "check_deploy.sh"
# The ADR's whole list: internal deployables speak plain HTTP in the cluster (W008), and reservations has
# no cookie for CSRF to protect (W003). The public ones silence nothing.
SILENCED = {
    "flights": ["security.W008"],
    "reservations": ["security.W003", "security.W008"],
    "gateway": [],
    "platform": [],
}


def check_deploy(name: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), name],
        cwd=ROOT,
        env={"PATH": base_env()["PATH"], "PY": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(SILENCED))
def test_check_deploy_is_clean_under_the_production_environment(name: str) -> None:
    result = check_deploy(name)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(
        f"System check identified no issues ({len(SILENCED[name])} silenced)."
    ), result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(SILENCED))
def test_only_the_justified_checks_are_silenced(tmp_path: Path, name: str) -> None:
    out = run_manage(
        f"settings.{name}",
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SILENCED_SYSTEM_CHECKS)",
        env=base_env(SKYWAY_VAR_DIR=str(tmp_path)),
    )

    assert ast.literal_eval(out.strip().splitlines()[-1]) == SILENCED[name]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        "PATH": base_env()["PATH"],
        "SKYWAY_VAR_DIR": str(tmp_path),
        "SKYWAY_ENV": "production",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "*",
        "SECRET_KEY": "a-production-like-secret-key-of-more-than-fifty-characters-xyz",
        "SERVICE_TOKENS": "not-a-real-token-but-long-enough-0123456789",
        "GATEWAY_DATABASE_URL": "mysql://gateway:x@db.invalid:3306/gateway",
    }
    return {**env, **overrides}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_login_counts_on_the_machine_local_redis_fail_the_deploy_check(tmp_path: Path) -> None:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="settings.gateway")

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "skyway.W001" in result.stderr + result.stdout


def test_production_refuses_debug(tmp_path: Path) -> None:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="settings.gateway", DEBUG="1")

    result = manage(env, "check")

    assert result.returncode != 0
    assert "DEBUG is refused when SKYWAY_ENV=production" in result.stderr
