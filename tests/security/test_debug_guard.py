"""DEBUG's pages (and DEBUG's open internal paths) are served to this machine only (ADR 54)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from skyway.debug_guard import is_loopback
from tests.security.conftest import DATABASES


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.5", False),
        ("172.17.0.1", False),  # a container's published port
        ("192.168.1.20", False),
        ("::ffff:10.0.0.5", False),
        ("", False),
        ("not-an-address", False),
    ],
)
def test_only_loopback_peers_count_as_this_machine(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


@pytest.mark.django_db(databases=DATABASES)
@pytest.mark.parametrize("path", ["/no/such/page", "/flights?flight_no=AA2532", "/api/", "/admin/"])
def test_in_debug_another_machine_gets_403_not_a_debug_page(redis_client, path: str) -> None:
    with override_settings(DEBUG=True, SERVICE_TOKENS=[]):
        response = Client(REMOTE_ADDR="10.0.0.5").get(path)
        assert response.status_code == 403
        body = response.json()  # the door's envelope: RFC 7807 under /api/, the book's elsewhere
        assert "serves this machine only" in (body.get("detail") or body["description"])
        assert b"Django tried these URL patterns" not in response.content


@pytest.mark.django_db(databases=DATABASES)
def test_in_debug_this_machine_gets_the_debug_page(redis_client) -> None:
    with override_settings(DEBUG=True, SERVICE_TOKENS=[]):
        response = Client(REMOTE_ADDR="127.0.0.1").get("/no/such/page")
        assert response.status_code == 404  # Django's technical 404: the developer's own machine


@pytest.mark.django_db(databases=DATABASES)
def test_a_forwarded_header_does_not_make_a_remote_peer_local(redis_client) -> None:
    with override_settings(DEBUG=True, SERVICE_TOKENS=[]):
        response = Client(REMOTE_ADDR="10.0.0.5").get("/ping", headers={"X-Forwarded-For": "127.0.0.1"})
        assert response.status_code == 403


@pytest.mark.django_db(databases=DATABASES)
def test_outside_debug_the_guard_is_not_in_the_way(redis_client) -> None:
    assert Client(REMOTE_ADDR="10.0.0.5").get("/ping").status_code == 200
