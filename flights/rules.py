"""Formats the flights context accepts at every door: API input, services, the model's fields, the admin.

This module is the one place each rule is written. The model fields carry the validators below, the
API's serializers and the OpenAPI document use the patterns, services and selectors the normalisers.
The gateway mirrors these rules in gateway/rules.py (it may not import this module), and
tests/contract/test_input_rules_agree.py proves the two agree.
"""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError

from flights.errors import InvalidInput

# The book's rule: 1-4 letters then digits, at least 3 characters. We also cap the length.
FLIGHT_NO_PATTERN = r"^[A-Za-z]{1,4}[0-9]+$"  # [0-9]: \d would admit any script's digits
FLIGHT_NO_MIN_LENGTH = 3
FLIGHT_NO_MAX_LENGTH = 12
FLIGHT_NO_RULE = "must look like AA2532: 1-4 letters then digits, 3 to 12 characters"
# The same rule as one pattern, lengths included, for the OpenAPI document (clients and fuzzers read it).
FLIGHT_NO_SCHEMA_PATTERN = (
    r"^([A-Za-z][0-9]{2,11}|[A-Za-z]{2}[0-9]{1,10}|[A-Za-z]{3}[0-9]{1,9}|[A-Za-z]{4}[0-9]{1,8})$"
)
FLIGHT_ID_SCHEMA_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
IATA_PATTERN = r"^[A-Za-z]{3}$"
IATA_RULE = "must be a 3-letter IATA airport code, e.g. JFK"

_FLIGHT_NO = re.compile(FLIGHT_NO_PATTERN)
_IATA = re.compile(IATA_PATTERN)
_FLIGHT_ID = re.compile(FLIGHT_ID_SCHEMA_PATTERN)


def is_flight_no(value: str) -> bool:
    return FLIGHT_NO_MIN_LENGTH <= len(value) <= FLIGHT_NO_MAX_LENGTH and bool(_FLIGHT_NO.fullmatch(value))


def is_iata(value: str) -> bool:
    return bool(_IATA.fullmatch(value))


def validate_flight_no(value: object) -> None:
    """Model-field validator (Flight.flight_no): the admin and full_clean() refuse with the rule."""
    if not isinstance(value, str) or not is_flight_no(value):
        raise ValidationError(FLIGHT_NO_RULE, code="invalid")


def validate_iata(value: object) -> None:
    """Model-field validator (Flight.origin_code, destination_code)."""
    if not isinstance(value, str) or not is_iata(value):
        raise ValidationError(IATA_RULE, code="invalid")


def flight_no_normalize(value: str) -> str:
    """`aa2532` → `AA2532`; anything else than a flight number is refused."""
    if not isinstance(value, str) or not is_flight_no(value):
        raise InvalidInput(f"flight_no: {FLIGHT_NO_RULE}", fields={"flight_no": [FLIGHT_NO_RULE]})
    return value.upper()


def iata_normalize(value: str, *, field: str) -> str:
    if not isinstance(value, str) or not is_iata(value):
        raise InvalidInput(f"{field}: {IATA_RULE}", fields={field: [IATA_RULE]})
    return value.upper()


def flight_id_parse(value: str) -> uuid.UUID | None:
    """A flight id in its canonical 36-character form (FLIGHT_ID_SCHEMA_PATTERN), else None.

    uuid.UUID alone would also take `urn:` + 32 hex digits or hyphens anywhere, in 36 characters.
    """
    if not isinstance(value, str) or _FLIGHT_ID.fullmatch(value) is None:
        return None
    return uuid.UUID(value)
