"""Token authentication with the token → user lookup kept in the process for a few seconds.

Every seat chart, reserve and list call carries `Authorization: Token …`; DRF's TokenAuthentication
answers it with an ORM query (token joined to its user) per request, about a fifth of the gateway's
CPU per seat chart. This keeps the answer per process for GATEWAY_TOKEN_CACHE_TTL seconds (0 = off):

- A deleted token, a deactivated user or a deleted user is dropped from this process's cache at once
  (model signals); other processes and pods notice within the TTL. See docs/adr/0038.
- Each request gets its own shallow copy of the cached user, so no request can change another's.
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from gateway.local_cache import LocalTTLCache

# token key → (user, token); the ORM's answer to DRF's lookup, kept per process.
token_users: LocalTTLCache[tuple[object, Token]] = LocalTTLCache(max_entries=10_000)


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, answered from this process's cache while the entry is fresh."""

    def authenticate_credentials(self, key: str):
        ttl = settings.GATEWAY_TOKEN_CACHE_TTL
        cached = token_users.get(key) if ttl > 0 else None
        if cached is None:
            # DRF's lookup: unknown key or inactive user → AuthenticationFailed (401), never cached.
            user, token = super().authenticate_credentials(key)
            if ttl > 0:
                token_users.put(key, (user, token), ttl)
        else:
            user, token = cached
        return copy.copy(user), copy.copy(token)


def connect_signals() -> None:
    """Drop entries the moment this process deletes a token or changes or deletes a user (apps.ready)."""
    user_model = get_user_model()
    post_delete.connect(_token_deleted, sender=Token, dispatch_uid="gateway-token-cache-token-deleted")
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="gateway-token-cache-user-saved")
    post_delete.connect(_user_changed, sender=user_model, dispatch_uid="gateway-token-cache-user-deleted")


def _token_deleted(sender, instance: Token, **kwargs) -> None:
    token_users.pop(instance.key)


def _user_changed(sender, instance, **kwargs) -> None:
    token_users.drop_where(lambda cached: cached[0].pk == instance.pk)
