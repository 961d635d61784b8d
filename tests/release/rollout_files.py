"""A copy of k8s/base whose Rollout and AnalysisTemplate say what a test wants (steps, pauses, args)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

K8S_BASE = Path(__file__).resolve().parents[2] / "k8s" / "base"


def is_load(step: dict) -> bool:
    return [t["templateName"] for t in step.get("analysis", {}).get("templates", [])] == ["skyway-load"]


def k8s_with_rollout(
    tmp_path: Path,
    service: str,
    *,
    weights: list[int],
    pause: str,
    analysis_args: dict[str, str] | None = None,
    load: dict[int, dict[str, str]] | None = None,
) -> Path:
    """Copy k8s/base under tmp_path, give `service`'s Rollout these setWeight steps (each followed by
    `pause`; a weight in `load` gets a skyway-load step with those args before its pause) and the
    AnalysisTemplates (canary and business) these arg values; return the copy's directory."""
    copy = tmp_path / "k8s-base"
    shutil.copytree(K8S_BASE, copy)
    rollout_steps_set(copy, service, weights=weights, pause=pause, load=load)
    for template_path in (
        copy / "shared" / "analysis-template.yaml",
        copy / "reservations" / "business-template.yaml",
    ):
        if not analysis_args:
            break
        template = next(doc for doc in yaml.safe_load_all(template_path.read_text()) if doc)
        for arg in template["spec"]["args"]:
            if arg["name"] in analysis_args:
                arg["value"] = analysis_args[arg["name"]]
        template_path.write_text(yaml.safe_dump(template, sort_keys=False))
    return copy


def rollout_steps_set(
    copy: Path, service: str, *, weights: list[int], pause: str, load: dict[int, dict[str, str]] | None = None
) -> None:
    """In a copy of k8s/base: `service`'s Rollout gets these setWeight steps, as k8s_with_rollout says."""
    rollout_path = copy / service / "rollout.yaml"
    rollout = next(doc for doc in yaml.safe_load_all(rollout_path.read_text()) if doc)
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    head = [step for step in steps if "setWeight" not in step and "pause" not in step and not is_load(step)]

    def load_step(weight: int) -> list[dict]:
        if weight not in (load or {}):
            return []
        args = [
            {"name": "service", "value": service},
            *({"name": k, "value": v} for k, v in load[weight].items()),
        ]
        return [{"analysis": {"templates": [{"templateName": "skyway-load"}], "args": args}}]

    rollout["spec"]["strategy"]["canary"]["steps"] = head + [
        item
        for weight in weights
        for item in ({"setWeight": weight}, *load_step(weight), {"pause": {"duration": pause}})
    ]
    rollout_path.write_text(yaml.safe_dump(rollout, sort_keys=False))


def releases_stop(state_dir: Path, env: dict[str, str], root: Path) -> None:
    """Stop every release the local executor's state says is running (a rollout stack's teardown, also
    after a set-up that failed half way: no state file yet means nothing was started)."""
    state_file = state_dir / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {"services": {}}
    for service, current in state["services"].items():
        for release, record in current["releases"].items():
            if record.get("running"):
                subprocess.run(
                    [sys.executable, "-m", "deploy.localproc", "stop", "--state-dir", str(state_dir),
                     "--service", service, "--release", release],
                    cwd=root, env=env, capture_output=True, check=False,
                )  # fmt: skip
