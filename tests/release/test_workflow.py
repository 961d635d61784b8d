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


def test_jobs_form_the_pipeline_lint_test_image_bump(workflow: dict) -> None:
    jobs = workflow["jobs"]
    assert list(jobs) == ["lint", "test", "image", "gitops-bump"]
    for name, job in jobs.items():
        assert job["runs-on"].startswith("ubuntu-"), name
        assert job["steps"], name
        for needed in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert needed in jobs, f"{name} needs unknown job {needed}"
    assert jobs["test"]["needs"] == "lint"
    assert jobs["image"]["needs"] == "test"
    assert jobs["gitops-bump"]["needs"] == "image"
    for name in ("image", "gitops-bump"):
        assert jobs[name]["if"] == "startsWith(github.ref, 'refs/tags/v')", name


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


def test_the_image_is_built_and_pushed_then_the_overlays_are_bumped(workflow: dict) -> None:
    image = workflow["jobs"]["image"]
    build = next(
        step for step in image["steps"] if step.get("uses", "").startswith("docker/build-push-action@")
    )
    assert build["with"]["push"] is True
    assert "id-token" in image["permissions"]
    bump = "\n".join(step.get("run", "") for step in workflow["jobs"]["gitops-bump"]["steps"])
    assert 'kustomize edit set image "skyway=${IMAGE}"' in bump
    assert "release.env" in bump
    assert "git push origin HEAD:main" in bump
    assert workflow["jobs"]["gitops-bump"]["permissions"] == {"contents": "write"}
    for service in ("flights", "reservations", "gateway"):
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
