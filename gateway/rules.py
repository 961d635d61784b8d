"""Every input rule of the gateway, in one place: each mirrors the rule of the context that owns the value.

The flights context owns flight numbers, airport codes and flight ids (`flights/rules.py`, the
validators on its model fields); the reservations context owns seat numbers
(`reservations/validation.py`). The gateway may not import their code (a test enforces the context
boundaries), so it keeps this copy, and `tests/contract/test_input_rules_agree.py` proves the copies
agree on a table of examples. Change a rule in its owner first, then here; that test says where.

The gateway adds two leniencies of its own, both normalisations before the rule: surrounding white
space is dropped, and the value is sent upstream in its canonical case (seats and flight numbers in
upper case, flight ids in lower case). Whatever passes here passes the owner's rule as sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gateway.errors import InvalidInput

# -- mirrored from flights/rules.py ------------------------------------------------------------

FLIGHT_NO_PATTERN = r"^[A-Za-z]{1,4}[0-9]+$"  # [0-9]: \d would admit any script's digits
FLIGHT_NO_MIN_LENGTH = 3
FLIGHT_NO_MAX_LENGTH = 12
FLIGHT_NO_RULE = "must look like AA2532: 1-4 letters then digits, 3 to 12 characters"
# The same rule as one pattern, lengths included, for the OpenAPI document.
FLIGHT_NO_SCHEMA_PATTERN = (
    r"^([A-Za-z][0-9]{2,11}|[A-Za-z]{2}[0-9]{1,10}|[A-Za-z]{3}[0-9]{1,9}|[A-Za-z]{4}[0-9]{1,8})$"
)
IATA_PATTERN = r"^[A-Za-z]{3}$"
IATA_RULE = "must be a 3-letter IATA airport code, e.g. JFK"
# The canonical 36-character spelling only: flights refuses bare hex, braces and urn: forms.
FLIGHT_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

# -- mirrored from reservations/validation.py --------------------------------------------------

SEAT_PATTERN = r"^[1-9][0-9]{0,2}[A-Ka-k]$"  # row 1-999 without a leading zero, letter A-K
SEAT_RULE = "a row 1-999 and a letter A-K, like 12C"

# -- the gateway's own ---------------------------------------------------------------------------

IDEMPOTENCY_KEY_MAX_LENGTH = 255


def _rule(pattern: str, min_length: int = 0, max_length: int | None = None) -> Callable[[str], bool]:
    """A predicate: does a string follow the pattern, within the lengths?"""
    compiled = re.compile(pattern)

    def follows(value: str) -> bool:
        return (
            min_length <= len(value) <= (max_length or len(value)) and compiled.fullmatch(value) is not None
        )

    return follows


is_flight_no = _rule(FLIGHT_NO_PATTERN, FLIGHT_NO_MIN_LENGTH, FLIGHT_NO_MAX_LENGTH)
is_iata = _rule(IATA_PATTERN)
is_flight_id = _rule(FLIGHT_ID_PATTERN)
is_seat = _rule(SEAT_PATTERN)


def seat_clean(value: object) -> str:
    """`12c` → `12C`; anything else than a seat of the reservations rule → InvalidInput (400)."""
    text = str(value or "").strip().upper()
    if not is_seat(text):
        raise InvalidInput(f"seat: must be {SEAT_RULE}; got {str(value)[:20]!r}.")
    return text


def flight_id_clean(value: object) -> str:
    """A flight id as flights spells it (lower case); any other spelling → InvalidInput (400)."""
    text = str(value or "").strip()
    if not is_flight_id(text):
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
