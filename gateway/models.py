"""The gateway's own tables: idempotency keys of customers' requests and the seat-move sagas."""

from __future__ import annotations

from django.db import models


class IdempotencyKey(models.Model):
    """One Idempotency-Key of one customer: the request it was first used with and its response.

    `status_code` is null while the first request is still running (a concurrent retry gets 409).
    A response of 400 or more stores the domain error it answered with (docs/adr/0056).
    """

    customer_id = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(
        max_length=64, help_text="sha256 of the operation and its canonical input"
    )
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


class SeatMove(models.Model):
    """One seat-move saga: its request, the step it reached, and who drives it (docs/adr/0055).

    The state is written before each step. `source_lock` is set while the saga is unfinished: the
    unique (customer_id, source_lock) serialises two moves of one seat by one customer. `lease_until`
    says how long the process that wrote last owns the saga; recovery takes only expired ones.
    """

    class State(models.TextChoices):
        STARTED = "started", "started (checks pending, nothing changed)"
        RESERVING_TARGET = "reserving_target", "reserving the target (the reserve may be in flight)"
        TARGET_HELD = "target_held", "target held (source not released yet)"
        SOURCE_RELEASED = "source_released", "source released"
        DONE = "done", "done"
        COMPENSATING = "compensating", "compensating (releasing the target again)"
        COMPENSATED = "compensated", "compensated (the customer keeps the source)"
        FAILED = "failed", "refused before any change"
        NEEDS_ATTENTION = "needs_attention", "needs attention (recovery gave up)"

    customer_id = models.CharField(max_length=64)
    key = models.CharField(max_length=255, help_text="the move's Idempotency-Key (generated when none)")
    operation = models.CharField(max_length=80, unique=True, help_text="token the reservations store keeps")
    request_hash = models.CharField(max_length=64)
    from_flight_id = models.CharField(max_length=64)
    from_seat = models.CharField(max_length=4)
    to_flight_id = models.CharField(max_length=64)
    to_seat = models.CharField(max_length=4)
    state = models.CharField(max_length=20, choices=State.choices, default=State.STARTED)
    # NULL = no lock: a unique index treats NULLs as distinct, so finished sagas never collide.
    source_lock = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001
    detail = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0, help_text="recovery passes that drove it")
    lease_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer_id", "key"], name="gateway_seatmove_customer_key_uniq"),
            models.UniqueConstraint(
                fields=["customer_id", "source_lock"], name="gateway_seatmove_one_move_per_seat"
            ),
        ]
        indexes = [models.Index(fields=["state", "lease_until"], name="gateway_seatmove_state_idx")]

    def __str__(self) -> str:
        return (
            f"move {self.customer_id}:{self.key} {self.from_flight_id}/{self.from_seat} → "
            f"{self.to_flight_id}/{self.to_seat}: {self.state}"
        )


class SeatHolders(models.Model):
    """No table: the admin's read-only "Seat holders" page hangs on it (gateway/admin.py).

    Flights and reservations belong to other contexts; the page reads them through the gateway's
    clients at request time, so nothing here is stored (docs/adr/0109).
    """

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "seat holders of a flight"
        verbose_name_plural = "seat holders"

    def __str__(self) -> str:
        return "seat holders"
