"""Filters the Skyway playbooks use (kept in Python where Jinja would be unreadable)."""

from __future__ import annotations

import copy
from typing import Any


def traffic_target_arg(target: dict[str, Any]) -> str:
    """{name, url, weight} → "name=url@weight" for `python -m deploy.routes set --target`."""
    return f"{target['name']}={target['url']}@{int(target['weight'])}"


def canary_deployment(stable: dict[str, Any], image: str, release: str, replicas: int = 1) -> dict[str, Any]:
    """The canary Deployment: the stable one's spec with the new image, the canary track label and
    a literal RELEASE_ID; cluster-managed metadata and Argo CD's tracking are stripped."""
    name = stable["metadata"]["name"]
    canary = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": f"{name}-canary",
            "namespace": stable["metadata"]["namespace"],
            "labels": {**stable["metadata"].get("labels", {}), "skyway.io/track": "canary"},
            "annotations": {"skyway.io/release": release},
        },
        "spec": copy.deepcopy(stable["spec"]),
    }
    canary["metadata"]["labels"].pop("app.kubernetes.io/instance", None)  # not Argo CD's to prune
    spec = canary["spec"]
    spec["replicas"] = replicas
    spec["selector"]["matchLabels"]["skyway.io/track"] = "canary"
    spec["template"]["metadata"]["labels"]["skyway.io/track"] = "canary"
    for container in spec["template"]["spec"]["containers"]:
        container["image"] = image
        container["env"] = [e for e in container.get("env", []) if e["name"] != "RELEASE_ID"]
        container["env"].append({"name": "RELEASE_ID", "value": release})
    return canary


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"traffic_target_arg": traffic_target_arg, "canary_deployment": canary_deployment}
