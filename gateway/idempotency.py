"""Idempotency-Key for every mutating gateway call (reserve, cancel, move), with Stripe's semantics.

Keys live in the gateway database, per customer, with a hash of the operation's input and the
response. The key row is claimed (inserted, status pending) *before* the upstream calls and completed
after them, each in its own short autocommit statement: no transaction spans an upstream call.

- same key, same input, done → the first response again, marked replayed (`Idempotent-Replayed`);
- same key, other input → IdempotencyKeyReused (422);
- same key while the first request still runs → IdempotencyKeyInFlight (409 + Retry-After); a claim
  older than settings.IDEMPOTENCY_LEASE_SECONDS belongs to a request that died and is taken over;
- a key older than settings.IDEMPOTENCY_KEY_TTL_HOURS is a new key (`keys_purge` deletes those rows);
- outages (5xx) release the claim, so a retry with the same key runs again and converges on the
  real outcome (every operation behind a key is safe to run again: docs/adr/0056).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway.errors import GatewayError, IdempotencyKeyInFlight, IdempotencyKeyReused
from gateway.models import IdempotencyKey
from gateway.rules import idempotency_key_clean

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The answer of a mutating call: a status and JSON body, or the domain error it ended with."""

    status_code: int
    body: Any = None
    error: GatewayError | None = None
    replayed: bool = False


class StoredError(GatewayError):
    """A domain error read back from a key's stored response (rendered exactly like the original)."""

    def __init__(self, *, status_code: int, code: str, title: str, detail: str, extra: dict) -> None:
        self.status_code = status_code
        self.title = title
        super().__init__(detail, code=code, **extra)


def request_fingerprint(*, operation: str, **fields: Any) -> str:
    """sha256 of the operation's name and its cleaned input (what "the same body" means)."""
    canonical = json.dumps({"operation": operation, **fields}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def lease() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


def retry_after_of(lease_until: datetime, now: datetime | None = None) -> int:
    """Whole seconds until a lease ends (at least 1): the Retry-After of a 409."""
    return max(1, math.ceil((lease_until - (now or timezone.now())).total_seconds()))


def _stored(outcome: Outcome) -> tuple[int, Any]:
    if outcome.error is None:
        return outcome.status_code, outcome.body
    exc = outcome.error
    return exc.status_code, {"code": exc.code, "title": exc.title, "detail": exc.detail, "extra": exc.extra}


def _replay(record: IdempotencyKey) -> Outcome:
    body = record.response_body
    if record.status_code is not None and record.status_code >= 400 and isinstance(body, dict):
        if "type" in body:  # stored before docs/adr/0056: the problem document itself
            extra = {
                k: v for k, v in body.items() if k not in {"type", "title", "status", "detail", "instance"}
            }
            extra.pop("request_id", None)
            code = str(body["type"]).rsplit("/", 1)[-1]
            body = {"code": code, "title": body.get("title"), "detail": body.get("detail"), "extra": extra}
        error = StoredError(
            status_code=record.status_code,
            code=str(body.get("code") or "invalid"),
            title=str(body.get("title") or "Error"),
            detail=str(body.get("detail") or ""),
            extra=dict(body.get("extra") or {}),
        )
        return Outcome(record.status_code, error=error, replayed=True)
    return Outcome(record.status_code or 200, body, replayed=True)


def idempotent_run(
    *, customer_id: str, key: str | None, fingerprint: str, run: Callable[[], Outcome]
) -> Outcome:
    """Run `run()` once per (customer, key); later calls with the same input replay its outcome.

    Without a key, `run()` simply runs. A 4xx domain error is stored and replayed like a success
    (it is the answer to that request); an outage (5xx) is not stored and releases the key.
    """
    if key is None:
        try:
            return run()
        except GatewayError as exc:
            if exc.status_code >= 500:
                raise
            return Outcome(exc.status_code, error=exc)
    key = idempotency_key_clean(key)
    record = _claim(customer_id=customer_id, key=key, fingerprint=fingerprint)
    if isinstance(record, Outcome):
        return record
    try:
        outcome = run()
    except GatewayError as exc:
        if exc.status_code >= 500:
            record.delete()
            raise
        outcome = Outcome(exc.status_code, error=exc)
    except BaseException:
        record.delete()
        raise
    status_code, body = _stored(outcome)
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=status_code, response_body=body, completed_at=timezone.now()
    )
    return outcome


def _claim(*, customer_id: str, key: str, fingerprint: str, attempts: int = 3) -> IdempotencyKey | Outcome:
    """Insert the pending row, or answer from the row already there (replay, 422, 409)."""
    for _ in range(attempts):
        try:
            # A savepoint of its own: a duplicate key must not poison an enclosing transaction.
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    customer_id=customer_id, key=key, request_hash=fingerprint
                )
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(customer_id=customer_id, key=key).first()
        if existing is None:  # released between our insert and read: claim again
            continue
        now = timezone.now()
        if existing.created_at < now - key_ttl():
            # Expired: the key is new again. Delete exactly that row (a racing claimer's is younger).
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        if existing.status_code is None:
            lease_until = existing.created_at + lease()
            if lease_until <= now:
                # Its request died mid-way (process killed): take the key over for this retry.
                logger.info("idempotency key taken over", extra={"idempotency_key": key})
                IdempotencyKey.objects.filter(pk=existing.pk, status_code__isnull=True).delete()
                continue
            raise IdempotencyKeyInFlight(retry_after=retry_after_of(lease_until, now))
        logger.info("idempotent replay", extra={"idempotency_key": key, "customer_id": customer_id})
        return _replay(existing)
    raise IdempotencyKeyInFlight(retry_after=1)


def keys_purge(*, now: datetime | None = None) -> int:
    """Delete every key older than the TTL; returns how many."""
    cutoff = (now or timezone.now()) - key_ttl()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
