"""`manage.py purge_idempotency_keys`: delete keys (and finished seat moves) older than their TTL."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from gateway.idempotency import keys_purge
from gateway.seat_moves import seat_moves_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records and finished seat-move sagas older than IDEMPOTENCY_KEY_TTL_HOURS."

    def handle(self, *args, **options) -> None:
        keys, moves = keys_purge(), seat_moves_purge()
        self.stdout.write(
            f"purged {keys} idempotency keys and {moves} finished seat moves older than "
            f"{settings.IDEMPOTENCY_KEY_TTL_HOURS:g} h"
        )
