"""Customers for platform-mode gateway tests: a user with a token and an APIClient acting as them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def customer_client(username: str, password: str = "skyway-demo") -> APIClient:
    """An APIClient authenticated by `username`'s token; `.customer_id` is the id the gateway uses."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    client.customer_id = str(user.pk)
    return client
