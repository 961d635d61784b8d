"""Helpers to read what the deployable's one log handler writes (the log_lines fixture in tests/conftest.py)."""

from __future__ import annotations


def access_lines(lines: list[dict], path: str) -> list[dict]:
    return [line for line in lines if line.get("logger") == "skyway.access" and line.get("path") == path]
