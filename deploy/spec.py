"""The rollout the local executor runs, read from the Kubernetes files Argo Rollouts runs on EKS.

One set of steps and thresholds for both executors (docs/adr/0088): the canary steps are the `setWeight`
steps of ``k8s/base/<service>/rollout.yaml`` (then 100 %, as Argo Rollouts does after the last step),
each step observed for its `pause` duration, and the thresholds are the args of the AnalysisTemplates the
Rollout's background analysis names (``k8s/base/shared/analysis-template.yaml``, and for reservations and
the gateway ``k8s/base/reservations/business-template.yaml``), with the Rollout's own args over the
templates' defaults.

    python -m deploy.spec flights [--k8s-dir k8s/base]      → JSON {steps, step_seconds, thresholds, …}
    python -m deploy.spec --lockstep gateway reservations   → JSON {services: in release order, specs, …}

A lockstep release (docs/adr/0148) releases services in the order of their Argo CD Applications' sync
waves (``k8s/argocd/apps``: reservations in wave 0, the gateway in wave 1), each through its own Rollout's
steps, and every later service's steps judge the earlier ones' analyses too.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

K8S_DIR = Path(__file__).resolve().parent.parent / "k8s" / "base"
APPS_DIR = K8S_DIR.parent / "argocd" / "apps"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
# AnalysisTemplate arg → the local analysis' threshold (deploy.analysis.Thresholds) and its type.
THRESHOLD_ARGS = {
    "max-error-rate": ("max_error_rate", float),
    "max-error-rate-increase": ("max_error_rate_increase", float),
    "max-latency-ratio": ("max_latency_ratio", float),
    "min-requests": ("min_requests", int),
}
# The load step (docs/adr/0134): a step `analysis` naming this template, between a setWeight and its pause,
# sends canary requests for `duration` s at `rate`/s so a quiet canary can be judged (deploy/load.py).
LOAD_TEMPLATE = "skyway-load"
# Args of the business template (skyway-reservations-business, docs/adr/0114): a Rollout that names it
# gets the reservations gates locally too — refused-free share per step and the hash-vs-log check.
BUSINESS_ARGS = {"max-refused-free-rate": ("max_refused_free_rate", float)}


class SpecError(ValueError):
    """The Kubernetes files do not describe a rollout the local executor can run."""


def duration_seconds(text: str) -> float:
    match = DURATION.match(str(text))
    if not match:
        raise SpecError(f"pause duration {text!r} is not like 30s, 2m or 500ms")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def document_of_kind(path: Path, kind: str, name: str | None = None) -> dict[str, Any]:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc.get("kind") == kind and (name is None or doc["metadata"]["name"] == name):
            return doc
    raise SpecError(f"{path}: no {kind}{' ' + name if name else ''}")


def analysis_template(k8s_dir: Path, name: str) -> dict[str, Any]:
    for path in sorted(k8s_dir.rglob("*.yaml")):
        if "AnalysisTemplate" not in path.read_text():
            continue
        try:
            return document_of_kind(path, "AnalysisTemplate", name)
        except SpecError:
            continue
    raise SpecError(f"{k8s_dir}: no AnalysisTemplate {name}")


def load_step(analysis: dict[str, Any]) -> bool:
    names = [ref.get("templateName") for ref in analysis.get("templates", [])]
    if LOAD_TEMPLATE in names and len(names) > 1:
        raise SpecError(f"the load template {LOAD_TEMPLATE} must be a step's only template")
    return names == [LOAD_TEMPLATE]


def load_args(analysis: dict[str, Any], k8s_dir: Path) -> dict[str, Any]:
    template = analysis_template(k8s_dir, LOAD_TEMPLATE)
    args = {arg["name"]: arg.get("value") for arg in template["spec"].get("args", [])}
    args.update({arg["name"]: arg.get("value") for arg in analysis.get("args", [])})
    try:
        duration, rate = float(args["duration"]), float(args["rate"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"load step: duration and rate must be numbers ({exc})") from None
    if not (0 < duration <= 600 and 0 < rate <= 200):
        raise SpecError(f"load step: duration {duration} s (0..600) and rate {rate}/s (0..200) out of bounds")
    return {"duration": duration, "rate": rate, "paths": str(args.get("paths") or "").split()}


def rollout_spec(service: str, k8s_dir: Path = K8S_DIR) -> dict[str, Any]:
    """Steps (percent, rising, ending at 100), seconds per step and thresholds for `service`'s canary."""
    rollout = document_of_kind(k8s_dir / service / "rollout.yaml", "Rollout")
    canary = rollout["spec"]["strategy"].get("canary")
    if canary is None:
        raise SpecError(f"{service}: the Rollout has no canary strategy")
    steps: list[int] = []
    pauses: list[float] = []
    loads: list[dict[str, Any] | None] = []
    for step in canary["steps"]:
        if "setWeight" in step:
            steps.append(int(step["setWeight"]))
            loads.append(None)
        elif "analysis" in step and steps and load_step(step["analysis"]):
            if len(pauses) == len(steps):
                raise SpecError(f"{service}: a load step must come between a setWeight and its pause")
            loads[-1] = load_args(step["analysis"], k8s_dir)
        elif "pause" in step and steps:
            if "duration" not in step["pause"]:
                raise SpecError(f"{service}: an indefinite pause cannot run unattended on one machine")
            pauses.append(duration_seconds(step["pause"]["duration"]))
    if not steps or steps != sorted(steps) or not all(0 < s <= 100 for s in steps):
        raise SpecError(f"{service}: setWeight steps {steps} must rise within 1..100")
    if len(pauses) != len(steps):
        raise SpecError(f"{service}: every setWeight needs a pause after it (the step's observation window)")
    if steps[-1] != 100:
        steps.append(100)  # Argo Rollouts sends all traffic to the canary after the last step
        pauses.append(pauses[-1])
        loads.append(loads[-1])  # … judged locally like the last step, with its load
    analysis = canary.get("analysis", {})
    templates = [ref["templateName"] for ref in analysis.get("templates", [])]
    if not templates:
        raise SpecError(f"{service}: the Rollout names no background analysis")
    args: dict[str, Any] = {}
    for name in templates:
        template = analysis_template(k8s_dir, name)
        args.update({arg["name"]: arg.get("value") for arg in template["spec"].get("args", [])})
    args.update({arg["name"]: arg.get("value") for arg in analysis.get("args", [])})
    thresholds = {}
    for arg, (name, kind) in THRESHOLD_ARGS.items():
        if args.get(arg) is None:
            raise SpecError(f"AnalysisTemplate {templates[0]}: arg {arg} has no value")
        thresholds[name] = kind(args[arg])
    business = all(args.get(arg) is not None for arg in BUSINESS_ARGS)
    if business:
        thresholds.update({name: kind(args[arg]) for arg, (name, kind) in BUSINESS_ARGS.items()})
    return {
        "service": service,
        "steps": steps,
        # The local loop observes every step for one window; the Rollout's first pause is it.
        "step_seconds": pauses[0],
        "step_seconds_each": pauses,
        # Per step: None, or the load step's {"duration": s, "rate": per s, "paths": [...]}.
        "loads": loads,
        "thresholds": thresholds,
        "analysis_template": templates[0],
        "analysis_templates": templates,
        "business_gates": business,
        "source": str(k8s_dir / service / "rollout.yaml"),
    }


def sync_waves(apps_dir: Path) -> dict[str, int]:
    """Service → the sync wave of the Argo CD Application that syncs it (the last part of its path)."""
    waves: dict[str, int] = {}
    for path in sorted(apps_dir.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "Application":
                continue
            service = Path(doc["spec"]["source"]["path"]).name
            annotations = doc["metadata"].get("annotations") or {}
            waves[service] = int(annotations.get(SYNC_WAVE, 0))
    return waves


def lockstep_spec(services: list[str], k8s_dir: Path = K8S_DIR, apps_dir: Path = APPS_DIR) -> dict[str, Any]:
    """The services of a lockstep release in release order (their Applications' sync waves, lowest
    first), each with its rollout spec. Refused: a service no Application syncs, two in one wave (no
    order), or a later Rollout whose background analysis does not carry an earlier one's business gate
    (on EKS that template in the later Rollout is what judges the earlier service at every step)."""
    if len(set(services)) != len(services) or len(services) < 2:
        raise SpecError(f"a lockstep release needs two or more different services, got {services}")
    waves = sync_waves(apps_dir)
    missing = [s for s in services if s not in waves]
    if missing:
        raise SpecError(f"{apps_dir}: no Argo CD Application syncs {', '.join(missing)}")
    if len({waves[s] for s in services}) != len(services):
        raise SpecError(
            f"{', '.join(services)} share a sync wave ({waves}): a lockstep release needs an order"
        )
    order = sorted(services, key=lambda s: waves[s])
    specs = {s: rollout_spec(s, k8s_dir) for s in order}
    for index, later in enumerate(order):
        for earlier in order[:index]:
            if specs[earlier]["business_gates"] and not specs[later]["business_gates"]:
                raise SpecError(
                    f"{later}'s Rollout must name {earlier}'s business AnalysisTemplate in its background"
                    f" analysis: it judges {earlier} at every step of {later}"
                )
    return {"services": order, "waves": {s: waves[s] for s in order}, "specs": specs, "source": str(apps_dir)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.spec", description=__doc__.splitlines()[0])
    parser.add_argument("service", nargs="+")
    parser.add_argument("--k8s-dir", type=Path, default=K8S_DIR)
    parser.add_argument(
        "--apps-dir", type=Path, default=APPS_DIR, help="the Argo CD Applications (sync waves)"
    )
    parser.add_argument("--lockstep", action="store_true", help="the release order and spec of each service")
    args = parser.parse_args(argv)
    if not args.lockstep and len(args.service) != 1:
        parser.error("one service, or --lockstep with several")
    try:
        if args.lockstep:
            print(json.dumps(lockstep_spec(args.service, args.k8s_dir, args.apps_dir)))
            return 0
        print(json.dumps(rollout_spec(args.service[0], args.k8s_dir)))
    except SpecError as exc:
        print(f"deploy.spec: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
