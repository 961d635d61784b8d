"""The gateway's only table of its own: idempotency keys of customers' reserve requests."""

from __future__ import annotations

from django.db import models


class IdempotencyKey(models.Model):
    """One Idempotency-Key of one customer: the request it was first used with and its response.

    `status_code` is null while the first request is still running (a concurrent retry gets 409).
    """

    customer_id = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="sha256 of method, path and canonical body")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer_id", "key"], name="gateway_idempotency_customer_key_uniq"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="gateway_idem_created_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.key} → {self.status_code or 'pending'}"
