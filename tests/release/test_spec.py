"""The local executor's steps and thresholds are the Kubernetes Rollout's and AnalysisTemplate's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy.__main__ import extravars_from, parse_args
from deploy.spec import SpecError, lockstep_spec, rollout_spec
from tests.release.rollout_files import K8S_BASE, k8s_with_rollout

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


@pytest.mark.parametrize("service", ["flights", "reservations", "gateway"])
def test_the_spec_is_the_rollouts_weights_then_100_and_the_templates_thresholds(service: str) -> None:
    rollout = next(d for d in yaml.safe_load_all((K8S_BASE / service / "rollout.yaml").read_text()) if d)
    weights = [s["setWeight"] for s in rollout["spec"]["strategy"]["canary"]["steps"] if "setWeight" in s]
    template = next(
        d for d in yaml.safe_load_all((K8S_BASE / "shared" / "analysis-template.yaml").read_text()) if d
    )
    args = {a["name"]: a.get("value") for a in template["spec"]["args"]}
    business = next(
        d for d in yaml.safe_load_all((K8S_BASE / "reservations" / "business-template.yaml").read_text()) if d
    )
    business_args = {a["name"]: a.get("value") for a in business["spec"]["args"]}
    spec = rollout_spec(service)
    assert spec["steps"] == [*weights, 100]
    assert spec["step_seconds"] == 30
    # flights has no reservations business signal; reservations and the gateway are gated on it (ADR 114).
    assert spec["business_gates"] is (service != "flights")
    assert spec["thresholds"] == {
        "max_error_rate": float(args["max-error-rate"]),
        "max_error_rate_increase": float(args["max-error-rate-increase"]),
        "max_latency_ratio": float(args["max-latency-ratio"]),
        "min_requests": int(args["min-requests"]),
        **(
            {"max_refused_free_rate": float(business_args["max-refused-free-rate"])}
            if service != "flights"
            else {}
        ),
    }


def test_a_changed_step_weight_in_the_rollout_file_changes_the_local_run(tmp_path: Path) -> None:
    """Through Ansible, as `python -m deploy canary` runs it: vars/rollout.yml + the preflight lookup."""
    k8s = k8s_with_rollout(
        tmp_path, "flights", weights=[15, 40], pause="7s", analysis_args={"min-requests": "12"}
    )
    preflight = yaml.safe_load((DEPLOY / "tasks" / "preflight.yml").read_text())
    load = next(task for task in preflight if task["name"].startswith("Read the rollout of"))
    playbook = tmp_path / "show.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Show the rollout the canary playbook would run",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "vars_files": [str(DEPLOY / "vars" / "rollout.yml")],
                    "tasks": [
                        load,
                        {
                            "name": "Show",
                            "ansible.builtin.debug": {
                                "msg": "{{ {'steps': steps, 'step_seconds': step_seconds,"
                                " 'min_requests': min_requests, 'max_error_rate': max_error_rate} | to_json }}"
                            },
                        },
                    ],
                }
            ]
        )
    )
    argv = parse_args(["canary", "--service", "flights", "--image", "skyway:v9", "--k8s-dir", str(k8s)])
    extravars = extravars_from(argv)
    assert extravars["k8s_dir"] == str(k8s.resolve())
    assert "steps" not in extravars  # the file decides, not a CLI default
    result = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", str(playbook),
         "-e", json.dumps({**extravars, "repo_root": str(ROOT), "ansible_python_interpreter": sys.executable})],
        cwd=DEPLOY, capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
             "ANSIBLE_CONFIG": str(DEPLOY / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
             "ANSIBLE_STDOUT_CALLBACK": "json"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    shown = next(
        json.loads(task["hosts"]["localhost"]["msg"])
        for play in json.loads(result.stdout)["plays"]
        for task in play["tasks"]
        if task["task"]["name"] == "Show"
    )
    assert shown["steps"] == [15, 40, 100]
    assert float(shown["step_seconds"]) == 7
    assert int(shown["min_requests"]) == 12
    assert float(shown["max_error_rate"]) == 0.05


def test_command_line_options_still_override_the_files() -> None:
    extravars = extravars_from(
        parse_args(["canary", "--service", "flights", "--image", "skyway:v9", "--steps", "50,100"])
    )
    assert extravars["steps"] == [50, 100]


@pytest.mark.parametrize(
    ("weights", "pause", "message"),
    [([50, 10], "5s", "must rise"), ([10], "soon", "pause duration")],
)
def test_files_the_local_executor_cannot_run_are_refused(
    tmp_path: Path, weights: list[int], pause: str, message: str
) -> None:
    k8s = k8s_with_rollout(tmp_path, "flights", weights=weights, pause=pause)
    with pytest.raises(SpecError, match=message):
        rollout_spec("flights", k8s)


def test_the_load_step_between_a_weight_and_its_pause_is_read_with_the_templates_defaults(
    tmp_path: Path,
) -> None:
    from tests.release.rollout_files import k8s_with_rollout

    k8s = k8s_with_rollout(tmp_path, "flights", weights=[10, 50], pause="2s", load={50: {"rate": "8"}})
    spec = rollout_spec("flights", k8s)
    assert spec["steps"] == [10, 50, 100]
    assert spec["loads"][0] is None
    assert spec["loads"][1] == {"duration": 20.0, "rate": 8.0, "paths": []}  # duration: the template's
    assert spec["loads"][2] == spec["loads"][1], "the 100 % step is judged like the last one"
    # The shipped Rollouts load their first (smallest) step with the smoke paths.
    shipped = rollout_spec("flights")
    assert shipped["loads"][0]["paths"] == ["/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20"]
    assert shipped["loads"][1:] == [None, None, None]


def test_a_load_step_after_the_pause_or_out_of_bounds_is_refused(tmp_path: Path) -> None:
    import yaml

    from tests.release.rollout_files import k8s_with_rollout

    k8s = k8s_with_rollout(tmp_path, "flights", weights=[10], pause="2s", load={10: {"rate": "1000"}})
    with pytest.raises(SpecError, match="out of bounds"):
        rollout_spec("flights", k8s)
    path = k8s / "flights" / "rollout.yaml"
    rollout = yaml.safe_load(path.read_text())
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    load = next(
        s for s in steps if "analysis" in s and s["analysis"]["templates"][0]["templateName"] == "skyway-load"
    )
    steps.remove(load)
    load["analysis"]["args"] = [a for a in load["analysis"]["args"] if a["name"] != "rate"]
    steps.append(load)  # after the last pause
    path.write_text(yaml.safe_dump(rollout))
    with pytest.raises(SpecError, match="between a setWeight and its pause"):
        rollout_spec("flights", k8s)


APPS = ROOT / "k8s" / "argocd" / "apps"


def test_a_lockstep_release_goes_in_the_applications_sync_wave_order() -> None:
    """Reservations (wave 0) before the gateway (wave 1), whichever order the command names them in."""
    spec = lockstep_spec(["gateway", "reservations"])
    assert spec["services"] == ["reservations", "gateway"]
    assert spec["waves"] == {"reservations": 0, "gateway": 1}
    assert spec["specs"]["gateway"] == rollout_spec("gateway")


def apps_copy(tmp_path: Path, **waves: str) -> Path:
    copy = tmp_path / "apps"
    shutil.copytree(APPS, copy)
    for service, wave in waves.items():
        path = copy / f"{service}.yaml"
        app = next(d for d in yaml.safe_load_all(path.read_text()) if d)
        app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = wave
        path.write_text(yaml.safe_dump(app))
    return copy


def test_a_lockstep_release_follows_a_changed_wave_and_refuses_services_without_an_order(
    tmp_path: Path,
) -> None:
    swapped = apps_copy(tmp_path / "swapped", reservations="2")
    assert lockstep_spec(["reservations", "gateway"], apps_dir=swapped)["services"] == [
        "gateway",
        "reservations",
    ]
    same = apps_copy(tmp_path / "same", gateway="0")
    with pytest.raises(SpecError, match="share a sync wave"):
        lockstep_spec(["reservations", "gateway"], apps_dir=same)
    with pytest.raises(SpecError, match="two or more different services"):
        lockstep_spec(["gateway"])
    (swapped / "gateway.yaml").unlink()
    with pytest.raises(SpecError, match="no Argo CD Application syncs gateway"):
        lockstep_spec(["reservations", "gateway"], apps_dir=swapped)


def test_a_lockstep_release_needs_the_later_rollout_to_carry_the_earlier_ones_business_gate(
    tmp_path: Path,
) -> None:
    k8s = k8s_with_rollout(tmp_path, "gateway", weights=[50], pause="3s")
    path = k8s / "gateway" / "rollout.yaml"
    rollout = next(d for d in yaml.safe_load_all(path.read_text()) if d)
    rollout["spec"]["strategy"]["canary"]["analysis"]["templates"] = [{"templateName": "skyway-canary"}]
    path.write_text(yaml.safe_dump(rollout, sort_keys=False))
    with pytest.raises(
        SpecError, match="gateway's Rollout must name reservations's business AnalysisTemplate"
    ):
        lockstep_spec(["reservations", "gateway"], k8s)


def test_the_lockstep_command_takes_one_environment_per_service() -> None:
    args = parse_args(["lockstep", "--image", "skyway:v2", "--front-url", "http://127.0.0.1:1",
                       "--env", "gateway:FAULT_ERROR_RATE=0.3", "--env", "reservations:LOG_LEVEL=DEBUG"])  # fmt: skip
    extravars = extravars_from(args)
    assert extravars["lockstep_env"] == {
        "gateway": {"FAULT_ERROR_RATE": "0.3"},
        "reservations": {"LOG_LEVEL": "DEBUG"},
    }
    assert extravars["front_url"] == "http://127.0.0.1:1"
    assert "new_env" not in extravars
    with pytest.raises(SystemExit, match="SERVICE:KEY=VALUE"):
        extravars_from(parse_args(["lockstep", "--image", "skyway:v2", "--env", "FAULT_ERROR_RATE=0.3"]))
