"""Customers for platform-mode gateway tests: a user with a token and an APIClient acting as them."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.support.factories import PASSWORD, CustomerFactory


def customer_client(username: str, password: str = PASSWORD) -> APIClient:
    """An APIClient authenticated by `username`'s token; `.customer_id` is the id the gateway uses."""
    user = CustomerFactory(username=username, password=password)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {user.auth_token.key}")
    client.customer_id = str(user.pk)
    return client
