"""Token authentication with the per-process token → user cache (gateway.api.authentication)."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from gateway.api.authentication import CachedTokenAuthentication, token_users
from tests.gateway.conftest import GATEWAY_DBS

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)

ME = "/api/reservations"


def _key(client) -> str:
    return client._credentials["HTTP_AUTHORIZATION"].split()[1]


def test_a_cached_token_is_answered_without_a_query(alice, django_assert_num_queries):
    key = _key(alice)
    first = CachedTokenAuthentication().authenticate_credentials(key)

    with django_assert_num_queries(0):
        user, token = CachedTokenAuthentication().authenticate_credentials(key)

    assert (user.pk, token.key) == (first[0].pk, key)
    assert user is not first[0]  # each request gets its own copy


def test_with_ttl_zero_every_request_queries(alice, django_assert_num_queries):
    key = _key(alice)
    with override_settings(GATEWAY_TOKEN_CACHE_TTL=0):
        CachedTokenAuthentication().authenticate_credentials(key)
        with django_assert_num_queries(1):
            CachedTokenAuthentication().authenticate_credentials(key)


def test_an_unknown_token_is_refused_and_never_cached():
    with pytest.raises(AuthenticationFailed):
        CachedTokenAuthentication().authenticate_credentials("0" * 40)
    assert token_users.get("0" * 40) is None


def test_a_deleted_token_stops_working_at_once(alice, seeded):
    assert alice.get(ME).status_code == 200

    Token.objects.filter(key=_key(alice)).delete()  # a queryset delete still sends post_delete

    assert alice.get(ME).status_code == 401


def test_a_deactivated_user_stops_working_at_once(alice, seeded):
    assert alice.get(ME).status_code == 200
    token = Token.objects.select_related("user").get(key=_key(alice))

    token.user.is_active = False
    token.user.save()

    assert alice.get(ME).status_code == 401


def test_entries_expire_after_the_ttl(alice, monkeypatch):
    key = _key(alice)
    clock = [1000.0]
    monkeypatch.setattr("gateway.local_cache.time.monotonic", lambda: clock[0])
    with override_settings(GATEWAY_TOKEN_CACHE_TTL=10):
        CachedTokenAuthentication().authenticate_credentials(key)
        assert token_users.get(key) is not None
        clock[0] += 10.5
        assert token_users.get(key) is None


def test_the_cache_stays_bounded(alice):
    user, token = CachedTokenAuthentication().authenticate_credentials(_key(alice))
    for index in range(token_users.max_entries + 10):
        token_users.put(f"key-{index}", (user, token), ttl=60)
    assert len(token_users) <= token_users.max_entries
