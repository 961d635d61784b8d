"""System checks of the kit's own settings; `manage.py check --deploy` runs the deploy-tagged ones."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def login_counts_shared_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Login throttle counts in a per-machine embedded Redis would let each pod allow its own guesses."""
    if "login" in settings.CACHES and settings.LOGIN_EMBEDDED_REDIS_DIR is not None:
        return [
            Warning(
                "Login throttle counts live in this machine's embedded Redis, so every pod counts alone.",
                hint="Set LOGIN_REDIS_URL (or REDIS_URL) to the Redis every pod shares (docs/adr/0065).",
                id="skyway.W001",
            )
        ]
    return []
