"""What a flight id, a seat and a customer id look like. Precompiled and cheap: this is the hot path.

The patterns are the single source of truth: the API validates with these functions and its OpenAPI
serializers publish the same patterns. Ids are part of Redis key names and of the customer index
members (``flight_id|seat_no``), so the character sets exclude ``|``, ``:``, spaces and braces.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

_FLIGHT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.@+-]{1,64}")
# Row 1-999 without leading zero, letter A-K. Lowercase is accepted and normalized to upper case.
_SEAT = re.compile(r"[1-9][0-9]{0,2}[A-Ka-k]")
_OPERATION = re.compile(r"[A-Za-z0-9_.:-]{1,80}")
_STREAM_ID = re.compile(r"[0-9]{1,20}(-[0-9]{1,20})?")
# RFC 3339 date-time (section 5.6): the offset is required, "Z" or ±hh:mm; fractions of any length.
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# A hold id: its flight's id, a dot, 24 hex digits (reservations.holds: the id routes to the partition).
_HOLD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\.[0-9a-f]{24}")
# The same rules as anchored patterns, for the OpenAPI schema.
FLIGHT_ID_PATTERN = f"^{_FLIGHT_ID.pattern}$"
CUSTOMER_ID_PATTERN = f"^{_CUSTOMER_ID.pattern}$"
SEAT_PATTERN = f"^{_SEAT.pattern}$"
OPERATION_PATTERN = f"^{_OPERATION.pattern}$"
STREAM_ID_PATTERN = f"^{_STREAM_ID.pattern}$"
INSTANT_PATTERN = f"^{_INSTANT.pattern}$"
HOLD_ID_PATTERN = f"^{_HOLD_ID.pattern}$"
_U64_MAX = 2**64 - 1

FLIGHT_ID_RULE = "1-64 characters of letters, digits, '-' or '_'"
CUSTOMER_ID_RULE = "1-64 characters of letters, digits, '.', '_', '@', '+' or '-'"
SEAT_RULE = "a row 1-999 and a letter A-K, like 12C"
OPERATION_RULE = "1-80 characters of letters, digits, '.', '_', ':' or '-'"
INSTANT_RULE = (
    "an RFC 3339 date-time with its offset, like 2026-12-01T12:00:00.250Z or 2026-12-01T13:00:00+01:00"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOLD_ID_RULE = "a hold id as the hold's answer gave it: the flight id, a dot and 24 hex digits"


class InvalidValue(ValueError):
    """A value broke its rule; the message says the rule (the caller adds the field name)."""


def _required_str(value: object) -> str:
    if value is None or value == "":
        raise InvalidValue("is required")
    if not isinstance(value, str):
        raise InvalidValue(f"must be a string, got {type(value).__name__}")
    return value


def _matching(value: object, pattern: re.Pattern[str], rule: str) -> str:
    """The value, required, a string and all of it matching ``pattern``; else "must be <rule>"."""
    text = _required_str(value)
    if pattern.fullmatch(text) is None:
        raise InvalidValue(f"must be {rule}")
    return text


def flight_id_clean(value: object) -> str:
    return _matching(value, _FLIGHT_ID, FLIGHT_ID_RULE)


def customer_id_clean(value: object) -> str:
    return _matching(value, _CUSTOMER_ID, CUSTOMER_ID_RULE)


def seat_no_clean(value: object) -> str:
    """A seat like ``12C``; ``12c`` is accepted and returned as ``12C``."""
    return _matching(value, _SEAT, SEAT_RULE).upper()


def operation_clean(value: object) -> str | None:
    """An optional operation token (a saga step's id); absent → None."""
    if value is None:
        return None
    return _matching(value, _OPERATION, OPERATION_RULE)


def stream_id_clean(value: object) -> str:
    """A Redis stream id (``1700000000000-0``, or just the milliseconds part)."""
    text = _required_str(value)
    if _STREAM_ID.fullmatch(text) is None:
        raise InvalidValue("must be a stream id like 1700000000000-0 (or 0 for the beginning)")
    if any(int(part) > _U64_MAX for part in text.split("-")) or int(text.split("-")[0]) == _U64_MAX:
        raise InvalidValue("is out of range")
    return text


def instant_clean(value: object) -> datetime:
    """An RFC 3339 instant → an aware datetime (UTC). Stream ids count from 1970, so no earlier."""
    text = _required_str(value)
    if _INSTANT.fullmatch(text) is None:
        if re.fullmatch(
            r".*[0-9] [0-9]{2}:[0-9]{2}", text
        ):  # a '+' sent raw in a query string decodes to ' '
            raise InvalidValue(f"must be {INSTANT_RULE}; send a '+' offset as %2B in a query string")
        raise InvalidValue(f"must be {INSTANT_RULE}")
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError as exc:
        raise InvalidValue(f"is not a valid date-time ({exc})") from None
    if moment < _EPOCH:
        raise InvalidValue("must be on or after 1970-01-01T00:00:00Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is past datetime's range in UTC
        raise InvalidValue("is out of range") from None


def hold_id_clean(value: object) -> str:
    return _matching(value, _HOLD_ID, HOLD_ID_RULE)


def seats_clean(value: object, *, most: int) -> list[str]:
    """1..``most`` distinct seats (each as seat_no_clean has it), in the order given."""
    if not isinstance(value, list) or not value:
        raise InvalidValue(f"must be a list of 1 to {most} seats")
    if len(value) > most:
        raise InvalidValue(f"must name at most {most} seats, got {len(value)}")
    seats = []
    for item in value:
        try:
            seat = seat_no_clean(item)
        except InvalidValue as exc:
            raise InvalidValue(f"{str(item)[:8]!r} {exc}") from None
        if seat in seats:
            raise InvalidValue(f"names {seat} twice")
        seats.append(seat)
    return seats


@functools.lru_cache(maxsize=4096)  # a few hundred seat names in use: a flight's list sorts 150 per call
def seat_sort_key(seat_no: str) -> tuple[int, str]:
    """Row number, then letter: 2A before 10A (a string sort would not)."""
    return int(seat_no[:-1]), seat_no[-1]
