"""Typed clients of the gateway's upstreams: the only code that knows where an upstream lives.

`flights()` and `reservations()` return this process's client of each (pooled connections, one
breaker per target). They are rebuilt when a gateway setting changes (override_settings in tests).
"""

from __future__ import annotations

import threading

from django.core.signals import setting_changed
from django.dispatch import receiver

from gateway.clients.base import UpstreamClient
from gateway.clients.flights import Flight, FlightsClient, SeatMap
from gateway.clients.reservations import Reservation, ReservationsClient, SeatHolder

__all__ = [
    "Flight",
    "FlightsClient",
    "Reservation",
    "ReservationsClient",
    "SeatHolder",
    "SeatMap",
    "all_clients",
    "clients_reset",
    "flights",
    "reservations",
]

_clients: dict[str, UpstreamClient] = {}
_lock = threading.Lock()
_SETTINGS = {
    "FLIGHTS_URL",
    "RESERVATIONS_URL",
    "GATEWAY_ROUTES_FILE",
    "UPSTREAM_CONNECT_TIMEOUT",
    "UPSTREAM_READ_TIMEOUT",
    "UPSTREAM_READ_RETRIES",
    "BREAKER_FAIL_MAX",
    "BREAKER_RESET_SECONDS",
    "GATEWAY_SEAT_MAP_TTL",
}


def _get(name: str, cls: type[UpstreamClient]) -> UpstreamClient:
    client = _clients.get(name)
    if client is None:
        with _lock:
            client = _clients.get(name)
            if client is None:
                client = _clients[name] = cls()
    return client


def flights() -> FlightsClient:
    return _get("flights", FlightsClient)  # type: ignore[return-value]


def reservations() -> ReservationsClient:
    return _get("reservations", ReservationsClient)  # type: ignore[return-value]


def all_clients() -> list[UpstreamClient]:
    return [flights(), reservations()]


def clients_reset() -> None:
    """Forget every client (connections, breakers, the flights client's cached seat maps); rebuilt lazily."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: object) -> None:
    if setting in _SETTINGS:
        clients_reset()
