"""Every input rule of the gateway, in one place: what a seat, a flight id and an Idempotency-Key look like.

Services and the seat-move saga clean their input with these functions; a value that breaks its
rule is InvalidInput (400) with the rule in the message.
"""

from __future__ import annotations

import re

from gateway.errors import InvalidInput

SEAT_PATTERN = r"^[1-9][0-9]{0,2}[A-K]$"  # row 1-999 without a leading zero, letter A-K
SEAT_RULE = "a row 1-999 and a letter A-K, like 12C"
FLIGHT_ID_PATTERN = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
IDEMPOTENCY_KEY_MAX_LENGTH = 255

_SEAT = re.compile(SEAT_PATTERN)
_FLIGHT_ID = re.compile(FLIGHT_ID_PATTERN)


def seat_clean(value: object) -> str:
    """`12c` → `12C`; anything else than a seat → InvalidInput (400)."""
    text = str(value or "").strip().upper()
    if not _SEAT.match(text):
        raise InvalidInput(f"seat: must be {SEAT_RULE}; got {str(value)[:20]!r}.")
    return text


def flight_id_clean(value: object) -> str:
    """A flight id in lower case; anything else than a uuid → InvalidInput (400)."""
    text = str(value or "").strip()
    if not _FLIGHT_ID.match(text):
        raise InvalidInput("flight_id: must be a flight's uuid, like 3f2b5c1e-8a47-4a0c-9a65-3e2f7d0d4c11.")
    return text.lower()


def seat_sort_key(seat: str) -> tuple[int, str]:
    """Row number, then letter, of a seat that passed the rule: 2A before 10A (a string sort would not)."""
    return int(seat[:-1]), seat[-1]


def idempotency_key_clean(value: str) -> str:
    key = value.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise InvalidInput(f"Idempotency-Key: must be 1-{IDEMPOTENCY_KEY_MAX_LENGTH} printable characters.")
    return key
