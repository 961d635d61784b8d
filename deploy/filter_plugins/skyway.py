"""Filters the Skyway playbooks use (kept in Python where Jinja would be unreadable)."""

from __future__ import annotations

from typing import Any


def traffic_target_arg(target: dict[str, Any]) -> str:
    """{name, url, weight} → "name=url@weight" for `python -m deploy.routes set --target`."""
    return f"{target['name']}={target['url']}@{int(target['weight'])}"


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"traffic_target_arg": traffic_target_arg}
