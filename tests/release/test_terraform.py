"""The environment as code (terraform/), checked offline: `terraform fmt`, checkov, and the wiring a
reviewer would check by hand. `terraform init/validate/plan` need the registry and AWS: not here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
ENVIRONMENT = TERRAFORM_DIR / "environments" / "production"
MODULES = ("network", "eks", "platform", "rds", "cache", "ecr")
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def hcl(path: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(path.glob("*.tf")))


def test_terraform_fmt_is_clean() -> None:
    terraform = shutil.which("terraform")
    assert terraform, "terraform is missing (the machine image ships 1.11; CI uses hashicorp/setup-terraform)"
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_finds_nothing() -> None:
    assert CHECKOV.exists(), "checkov is missing: scripts/bootstrap.sh creates .venv-checkov"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(TERRAFORM_DIR), "--framework", "terraform", "--quiet", "--compact"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_documented_and_used_by_the_environment(module: str) -> None:
    path = TERRAFORM_DIR / "modules" / module
    for name in ("main.tf", "variables.tf", "outputs.tf"):
        assert (path / name).exists(), f"{module}/{name}"
    text = hcl(path)
    for block in re.findall(r'(?:variable|output) "[^"]+" \{[^}]*', text):
        assert "description" in block, block.splitlines()[0]
    assert f'source = "../../modules/{module}"' in re.sub(r"\s+=\s+", " = ", hcl(ENVIRONMENT))


def test_the_platform_installs_what_the_manifests_need_at_the_versions_they_need() -> None:
    platform = hcl(TERRAFORM_DIR / "modules" / "platform")
    for chart in ("argo-cd", "argo-rollouts", "aws-load-balancer-controller", "external-secrets"):
        assert re.search(rf'chart\s+=\s+"{chart}"', platform), chart
    inventory = yaml.safe_load(
        (ROOT / "deploy" / "inventories" / "eks" / "group_vars" / "all.yml").read_text()
    )
    default = re.search(r'variable "gateway_api_version" \{.*?default\s+=\s+"([^"]+)"', platform, re.S)
    assert default, "no gateway_api_version default"
    assert default.group(1) == inventory["gateway_api_min_version"]
    assert "argoproj-labs/gatewayAPI" in platform  # the plugin name the Rollouts use
    assert "resource.customizations.health.argoproj.io_Application" in platform  # sync waves of apps
    assert "ALBGatewayAPI" in platform


def test_data_stores_are_private_encrypted_and_durable() -> None:
    rds = hcl(TERRAFORM_DIR / "modules" / "rds")
    for setting in ("storage_encrypted = true", "multi_az = true", "publicly_accessible = false",
                    "manage_master_user_password = true", "deletion_protection = true"):  # fmt: skip
        assert setting in re.sub(r"\s+=\s+", " = ", rds), setting
    assert 'engine         = "mysql"' in rds or re.search(r'engine\s+=\s+"mysql"', rds)
    cache = re.sub(r"\s+=\s+", " = ", hcl(TERRAFORM_DIR / "modules" / "cache"))
    assert 'resource "aws_memorydb_cluster"' in cache  # durable (ADR 9) and always in cluster mode
    assert "tls_enabled = true" in cache
    assert "num_shards = var.shards" in cache


def output_keys(outputs: str, name: str) -> set[str]:
    """The keys of an environment output whose value is an object literal."""
    block = re.search(rf'output "{name}" \{{.*?value = \{{(.*?)\n  \}}', outputs, re.S)
    assert block, f'output "{name}" is not an object'
    return set(re.findall(r"^\s*(\w+)\s+=", block.group(1), re.M))


def test_the_outputs_are_the_params_file_and_ci_variables() -> None:
    outputs = hcl(ENVIRONMENT)
    # Keyed by the names they have where they go: params.yaml's keys, ci.yml's repository variables.
    params = yaml.safe_load((ROOT / "k8s" / "overlays" / "eks" / "params" / "params.yaml").read_text())
    assert output_keys(outputs, "params") == {"imageRegistry", "awsRegion"}
    assert output_keys(outputs, "params") <= set(params["data"])
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert output_keys(outputs, "ci_variables") == {"AWS_REGION", "AWS_ECR_PUSH_ROLE_ARN"}
    for variable in output_keys(outputs, "ci_variables"):
        assert f"vars.{variable}" in ci, variable
    assert 'output "cluster_name"' in outputs
    ecr = hcl(TERRAFORM_DIR / "modules" / "ecr")
    assert 'image_tag_mutability = "IMMUTABLE"' in ecr
    assert "ref:refs/tags/v*" in ecr  # only tag builds may push, as the image job does
