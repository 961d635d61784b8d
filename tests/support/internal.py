"""How tests call the internal services: as the gateway does, with the service credential (ADR 0053)."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from skyway.service_auth import HEADER


def service_headers() -> dict[str, str]:
    """The header the gateway sends to flights and reservations (the first of SERVICE_TOKENS)."""
    return {HEADER: settings.SERVICE_TOKENS[0]}


def internal_client(cls: type[Client] = Client) -> Client:
    """A Django test client that presents the service credential on every request."""
    return cls(headers=service_headers())
