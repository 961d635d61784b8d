"""Customers for platform-mode gateway tests: a user with a token and an APIClient acting as them.

The `alice` and `bob` fixtures are shared by the suites that import them into their conftest (gateway,
security); a suite overrides `customer_password` to give them another password.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.support.factories import PASSWORD, CustomerFactory


def customer_client(username: str, password: str = PASSWORD) -> APIClient:
    """An APIClient authenticated by `username`'s token; `.customer_id` is the id the gateway uses."""
    user = CustomerFactory(username=username, password=password)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {user.auth_token.key}")
    client.customer_id = str(user.pk)
    return client


@pytest.fixture
def customer_password() -> str:
    """The password of `alice` and `bob`: the demo customers' own unless a suite says otherwise."""
    return PASSWORD


@pytest.fixture
def alice(db, customer_password: str) -> APIClient:
    return customer_client("alice", password=customer_password)


@pytest.fixture
def bob(db, customer_password: str) -> APIClient:
    return customer_client("bob", password=customer_password)
