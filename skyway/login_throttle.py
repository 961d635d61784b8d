"""Login protection for every deployable with a login (gateway API, Django admin): docs/adr/0065.

Two brakes, both counted in the shared cache `caches["login"]` (Redis), so every worker and pod of
a deployable sees the same numbers:

- per client address: every attempt counts, `GATEWAY_AUTH_THROTTLE_RATE` per window (fixed window,
  atomic INCR). The address is REMOTE_ADDR, or the entry `TRUSTED_PROXY_COUNT` hops from the right
  of X-Forwarded-For; with no trusted proxy the header is never read, so rotating it changes nothing.
- per account: failed attempts count (Django's `user_login_failed` signal, so any `authenticate()`
  call is covered); after `LOGIN_ACCOUNT_FAILURES` failures the username is locked, for
  `LOGIN_ACCOUNT_LOCK_SECONDS` doubling with every further failure up to `LOGIN_ACCOUNT_MAX_LOCK_SECONDS`.
  A success clears the account's count. Failures on one account never block another.

If the cache is unreachable the brakes open (logged): an outage of the throttle store must not
lock every customer out.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from skyway import embedded_redis

logger = logging.getLogger(__name__)

CACHE_ALIAS = "login"
# What an unreachable store raises: django-redis wraps redis-py's errors; the embedded server may fail to start.
_STORE_ERRORS = (ConnectionInterrupted, RedisError, RuntimeError, OSError)
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused and how many seconds until the next one may be made."""

    scope: str  # "address" or "account"
    retry_after: int

    @property
    def message(self) -> str:
        return f"Too many login attempts {'from this address' if self.scope == 'address' else 'for this account'}."


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/min' → (10, 60): DRF's rate syntax (the unit's first letter counts)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0]]


def client_address(request: HttpRequest) -> str:
    """The client's address: X-Forwarded-For is believed only as far as `TRUSTED_PROXY_COUNT` hops."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    # Each trusted proxy appends the peer it saw: the entry `trusted` from the right is the client.
    return hops[-min(trusted, len(hops))] if hops else remote


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _cache():
    if settings.LOGIN_EMBEDDED_REDIS_DIR is not None:
        embedded_redis.ensure_running(settings.LOGIN_EMBEDDED_REDIS_DIR)  # a stat once it runs
    return caches[CACHE_ALIAS]


def counts_clear() -> None:
    """Forget every count and lock of this deployable (its key prefix only): tests, or an operator's reset."""
    _cache().delete_pattern("*")


def _ttl(key: str, default: int) -> int:
    ttl = getattr(_cache(), "ttl", None)  # django-redis; other backends do not expose it
    remaining = ttl(key) if ttl else None
    return max(1, int(remaining)) if isinstance(remaining, int) and remaining > 0 else max(1, default)


def _hit(key: str, timeout: int) -> int:
    """Atomically count one event under `key` (expiring `timeout` s after its first); the new count."""
    cache = _cache()
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)  # INCRBY: keeps the key's expiry
    except ValueError:  # it expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def address_attempt(request: HttpRequest, *, scope: str) -> Refusal | None:
    """Count one attempt from the request's address; a Refusal once the window's budget is spent."""
    limit, window = parse_rate(settings.GATEWAY_AUTH_THROTTLE_RATE)
    key = f"addr:{scope}:{_digest(client_address(request))}"
    try:
        if _hit(key, window) > limit:
            return Refusal("address", _ttl(key, window))
    except _STORE_ERRORS:
        logger.warning("login throttle store unreachable; address brake open", exc_info=True)
    return None


def _account_keys(username: str) -> tuple[str, str]:
    digest = _digest(username.strip().casefold())
    return f"fail:{digest}", f"lock:{digest}"


def account_refusal(username: str | None) -> Refusal | None:
    """A Refusal while the account is locked after repeated failures."""
    if not username:
        return None
    _, lock_key = _account_keys(username)
    try:
        if _cache().get(lock_key) is not None:
            return Refusal("account", _ttl(lock_key, settings.LOGIN_ACCOUNT_LOCK_SECONDS))
    except _STORE_ERRORS:
        logger.warning("login throttle store unreachable; account brake open", exc_info=True)
    return None


def lock_seconds(failures: int) -> int:
    """The lock after `failures` failures: none below the limit, then base * 2**extra failures, capped."""
    extra = failures - settings.LOGIN_ACCOUNT_FAILURES
    if extra < 0:
        return 0
    return min(
        settings.LOGIN_ACCOUNT_LOCK_SECONDS * 2 ** min(extra, 32), settings.LOGIN_ACCOUNT_MAX_LOCK_SECONDS
    )


def account_failed(username: str | None) -> None:
    """Record one failed attempt on the account; lock it once the failures reach the limit."""
    if not username:
        return
    fail_key, lock_key = _account_keys(username)
    # The count outlives the longest lock, so a failure right after a lock ends doubles the next one.
    memory = settings.LOGIN_ACCOUNT_MAX_LOCK_SECONDS * 2
    try:
        failures = _hit(fail_key, memory)
        cache = _cache()
        cache.touch(fail_key, timeout=memory)
        seconds = lock_seconds(failures)
        if seconds:
            cache.set(lock_key, failures, timeout=seconds)
            logger.warning("login: account locked for %ss after %s failures", seconds, failures)
    except _STORE_ERRORS:
        logger.warning("login throttle store unreachable; failure not counted", exc_info=True)


def account_succeeded(username: str) -> None:
    try:
        _cache().delete_many(list(_account_keys(username)))
    except _STORE_ERRORS:
        logger.warning("login throttle store unreachable; success not recorded", exc_info=True)


@receiver(user_login_failed, dispatch_uid="skyway.login_throttle.failed")
def _on_login_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    account_failed(credentials.get("username"))


@receiver(user_logged_in, dispatch_uid="skyway.login_throttle.succeeded")
def _on_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    account_succeeded(user.get_username())


def login_refusal(request: HttpRequest, *, username: str | None, scope: str) -> Refusal | None:
    """Both brakes for one login attempt, before any password is checked."""
    return address_attempt(request, scope=scope) or account_refusal(username)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Too many login attempts</title></head>
<body><h1>Too many login attempts</h1><p>{message} Try again in {seconds} seconds.</p></body></html>
"""


def admin_login_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap the admin's login view: a POST over either limit gets a 429 page with Retry-After."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            refusal = login_refusal(request, username=request.POST.get("username"), scope="admin")
            if refusal is not None:
                response = HttpResponse(
                    _PAGE.format(message=refusal.message, seconds=refusal.retry_after), status=429
                )
                response["Retry-After"] = str(refusal.retry_after)
                return response
        return view(request, *args, **kwargs)

    return wrapped
