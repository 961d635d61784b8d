"""Structural checks of the GitHub Actions pipeline (actionlint is not installable offline here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the bare key `on` as a boolean
    return data


def test_triggers_cover_pull_requests_main_and_version_tags(workflow: dict) -> None:
    assert "pull_request" in workflow["on"]
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["on"]["push"]["tags"] == ["v*.*.*"]
    assert workflow["permissions"] == {"contents": "read"}


def test_jobs_form_the_pipeline_lint_test_image_release_pr(workflow: dict) -> None:
    jobs = workflow["jobs"]
    assert list(jobs) == ["lint", "terraform", "test", "image", "release-pr"]
    for name, job in jobs.items():
        assert job["runs-on"].startswith("ubuntu-"), name
        assert job["steps"], name
        for needed in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert needed in jobs, f"{name} needs unknown job {needed}"
    assert jobs["test"]["needs"] == "lint"
    assert jobs["image"]["needs"] == "lint"
    assert jobs["release-pr"]["needs"] == ["test", "image"]
    assert jobs["release-pr"]["if"] == "startsWith(github.ref, 'refs/tags/v')"


def test_the_image_is_built_and_smoke_tested_on_every_push_not_only_at_release(workflow: dict) -> None:
    image = workflow["jobs"]["image"]
    assert "if" not in image, "the image job must run on every push and pull request"
    steps = image["steps"]
    build = next(s for s in steps if s.get("uses", "").startswith("docker/build-push-action@"))
    assert "if" not in build
    assert build["with"]["load"] is True
    smoke = next(i for i, s in enumerate(steps) if "scripts/image_smoke.sh" in s.get("run", ""))
    assert steps.index(build) < smoke
    script = (ROOT / "scripts" / "image_smoke.sh").read_text()
    for needed in (
        "/ping",
        "/health",
        "flights reservations gateway",
        "--read-only",
        "--user 10001:10001",
        "DEBUG=0",
    ):
        assert needed in script, needed
    for step in steps[smoke + 1 :]:
        assert step.get("if") == "startsWith(github.ref, 'refs/tags/v')", f"{step} would push outside a tag"


def test_every_action_is_pinned_to_a_version(workflow: dict) -> None:
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "uses" in step:
                assert re.search(r"@(v\d+(\.\d+)*|[0-9a-f]{40})$", step["uses"]), f"{name}: {step['uses']}"


def test_tests_run_against_mariadb_and_redis_service_containers(workflow: dict) -> None:
    job = workflow["jobs"]["test"]
    assert job["services"]["mariadb"]["image"] == "mariadb:10.11"
    assert job["services"]["redis"]["image"].startswith("redis:")
    assert job["env"]["FLIGHTS_DATABASE_URL"].startswith("mysql://root@127.0.0.1:3306/")
    assert job["env"]["REDIS_URL"].startswith("redis://127.0.0.1:6379/")
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "pytest -m rollout" in runs


def test_a_release_is_a_pull_request_with_tag_and_digest_never_a_push_to_main(workflow: dict) -> None:
    """Finding 1: CI committed the image to main, so Argo CD rolled it out before any canary."""
    image = workflow["jobs"]["image"]
    push = next(s for s in image["steps"] if s.get("id") == "push")
    assert push["with"]["push"] is True
    assert "id-token" in image["permissions"]
    assert image["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"
    text = WORKFLOW.read_text()
    assert "git push" not in text
    release = workflow["jobs"]["release-pr"]
    bump = "\n".join(step.get("run", "") for step in release["steps"])
    assert 'kustomize edit set image "skyway=${NAME}:${GITHUB_REF_NAME}@${DIGEST}"' in bump
    assert "release.env" in bump
    opened = next(
        s for s in release["steps"] if s.get("uses", "").startswith("peter-evans/create-pull-request@")
    )
    assert opened["with"]["add-paths"] == "k8s/overlays/eks"
    assert opened["with"]["branch"].startswith("release/")
    assert release["permissions"] == {"contents": "write", "pull-requests": "write"}
    for service in ("flights", "reservations", "gateway"):
        overlay = (ROOT / "k8s" / "overlays" / "eks" / service / "kustomization.yaml").read_text()
        assert "newName: registry.from-params.invalid/skyway" in overlay  # what the bump writes back
        assert (ROOT / "k8s" / "overlays" / "eks" / service / "release.env").exists()


def test_expressions_refer_to_steps_jobs_and_outputs_that_exist(workflow: dict) -> None:
    jobs = workflow["jobs"]
    for name, job in jobs.items():
        step_ids = {step["id"] for step in job["steps"] if "id" in step}
        text = yaml.safe_dump(job)
        for expression in EXPRESSION.findall(text):
            for step_id in re.findall(r"steps\.([\w-]+)\.outputs", expression):
                assert step_id in step_ids, f"{name}: unknown step {step_id} in {expression}"
            for job_id, output in re.findall(r"needs\.([\w-]+)\.outputs\.([\w-]+)", expression):
                assert output in jobs[job_id].get("outputs", {}), f"{name}: {job_id} has no output {output}"


def test_the_environment_is_checked_on_every_push(workflow: dict) -> None:
    job = workflow["jobs"]["terraform"]
    assert "if" not in job
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "terraform fmt -check -recursive terraform" in runs
    assert "checkov==3.3.30" in runs
    assert "checkov -d terraform" in runs
