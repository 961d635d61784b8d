"""Idempotency-Key handling for unsafe requests (reserve): replay the first response of a key.

Keys live in the gateway database, per customer, with a hash of the request and the response.
The key row is claimed (inserted, status pending) *before* the upstream call and completed after
it, each in its own short autocommit statement: no transaction spans the upstream call.
Outages (5xx) release the claim so a retry with the same key can run again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway.errors import GatewayError, IdempotencyKeyInFlight, IdempotencyKeyReused, InvalidInput
from gateway.models import IdempotencyKey

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
# A claim older than this with no response belongs to a request that died; a retry may take it over.
PENDING_ABANDONED_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any
    replayed: bool = False


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        {"method": method, "path": path, "body": body}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_clean(value: str) -> str:
    key = value.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"Idempotency-Key: must be 1-{MAX_KEY_LENGTH} printable characters.")
    return key


def idempotent_run(
    *,
    customer_id: str,
    key: str,
    fingerprint: str,
    run: Callable[[], StoredResponse],
    problem_of: Callable[[GatewayError], StoredResponse],
) -> StoredResponse:
    """Run `run()` once per (customer, key); later calls with the same request replay its response.

    Same key with a different request → IdempotencyKeyReused (422); while the first is still
    running → IdempotencyKeyInFlight (409). A 4xx domain error is stored and replayed like a success
    (it is the answer to that request); an outage is not stored.
    """
    key = key_clean(key)
    try:
        # A savepoint of its own: a duplicate key must not poison an enclosing transaction.
        with transaction.atomic():
            record = IdempotencyKey.objects.create(customer_id=customer_id, key=key, request_hash=fingerprint)
    except IntegrityError:
        existing = IdempotencyKey.objects.filter(customer_id=customer_id, key=key).first()
        if existing is None:  # claimed and released between our insert and read: simply retry
            raise IdempotencyKeyInFlight() from None
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReused() from None
        if existing.status_code is None:
            if existing.created_at < timezone.now() - PENDING_ABANDONED_AFTER:
                # Its request died mid-way (process killed): reclaim the key once for this retry.
                IdempotencyKey.objects.filter(pk=existing.pk, status_code__isnull=True).delete()
                return idempotent_run(
                    customer_id=customer_id, key=key, fingerprint=fingerprint, run=run, problem_of=problem_of
                )
            raise IdempotencyKeyInFlight() from None
        logger.info("idempotent replay", extra={"idempotency_key": key, "customer_id": customer_id})
        return StoredResponse(existing.status_code, existing.response_body, replayed=True)

    try:
        result = run()
    except GatewayError as exc:
        if exc.status_code >= 500:
            record.delete()
            raise
        result = problem_of(exc)
    except BaseException:
        record.delete()
        raise
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=result.status_code, response_body=result.body, completed_at=timezone.now()
    )
    return result
