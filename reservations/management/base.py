"""The base of the reservations management commands: store errors end the command with their text."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reservations.errors import ReservationsError


class ReservationsCommand(BaseCommand):
    """A command that calls the reservations services: a ReservationsError (Redis down, a store fault)
    becomes a CommandError, so the operator reads its description and the process exits 1, not a
    traceback."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except ReservationsError as exc:
            raise CommandError(exc.detail) from exc

    def write_report(self, report: Any) -> None:
        """Print a dataclass report as one line of JSON (what the jobs and gates parse)."""
        self.stdout.write(json.dumps(asdict(report)))
