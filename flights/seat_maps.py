"""The seat map in the book's IATA-like shape: structural validation with exact paths, and a builder.

A seat map is ``{"Cabin": [{firstRow, lastRow, Wing?, CabinClass{CabinType}, Column[...], Row[...]}]}``;
a seat's id is its RowNumber followed by its Number (the column letter), e.g. ``"12C"``.
Validation is hand-written rather than JSON Schema because most rules relate fields to each other
(a seat's Number must be one of its cabin's columns, rows stay inside their cabin, ids are unique),
and every error names the offending path: ``Cabin[0].Row[3].Seat[1].Number: must be one of …``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flights.errors import SeatMapInvalid

CABIN_TYPES = ("First", "Business", "PremiumEconomy", "Economy")
COLUMN_LETTERS = "ABCDEFGHIJK"  # A-K (most airlines skip I, but it is a valid column)
CHARACTERISTICS = ("Window", "Aisle", "Middle", "Center")
INDICATORS = ("premiumInd", "exitRowInd", "restrictedReclineInd", "noInfantInd")
MAX_ROW_NUMBER = 999
MAX_CABINS = 8
MAX_ROWS_PER_CABIN = 120
MAX_FACILITIES = 10
MAX_ERRORS = 50

_ROOT_KEYS = {"Cabin"}
_CABIN_KEYS = {"firstRow", "lastRow", "Wing", "CabinClass", "Column", "Row"}
_CABIN_REQUIRED = ("firstRow", "lastRow", "CabinClass", "Column", "Row")
_SEAT_KEYS = {"Number", *INDICATORS, "Facilities"}


@dataclass(frozen=True)
class SeatMapSummary:
    """What a valid seat map holds: its seat ids (e.g. "12C") and cabin types, in order."""

    seat_ids: tuple[str, ...]
    cabin_types: tuple[str, ...]

    @property
    def seat_count(self) -> int:
        return len(self.seat_ids)


@dataclass
class _Checker:
    errors: list[str] = field(default_factory=list)

    def fail(self, path: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{path}: {message}")

    def obj(self, value: object, path: str, allowed: set[str], required: Iterable[str] = ()) -> bool:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, got {_kind(value)}")
            return False
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}" if path != "(root)" else key, "is required")
        for key in value:
            if key not in allowed:
                shown = str(key)[:40]
                self.fail(
                    f"{path}.{shown}" if path != "(root)" else shown,
                    f"unknown key (allowed: {', '.join(sorted(allowed))})",
                )
        return True

    def array(self, value: object, path: str, *, min_items: int, max_items: int) -> bool:
        if not isinstance(value, list):
            self.fail(path, f"must be an array, got {_kind(value)}")
            return False
        if not min_items <= len(value) <= max_items:
            self.fail(path, f"must hold {min_items} to {max_items} items, got {len(value)}")
            return False
        return True

    def row_number(self, value: object, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"must be an integer, got {_kind(value)}")
            return None
        if not 1 <= value <= MAX_ROW_NUMBER:
            self.fail(path, f"must be between 1 and {MAX_ROW_NUMBER}, got {value}")
            return None
        return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def seat_map_errors(seat_map: object) -> tuple[list[str], SeatMapSummary]:
    """Every shape error of `seat_map` (empty when valid) and what it holds."""
    check = _Checker()
    found = _Found()
    if check.obj(seat_map, "(root)", _ROOT_KEYS, _ROOT_KEYS) and "Cabin" in seat_map:  # type: ignore[operator]
        cabins = seat_map["Cabin"]  # type: ignore[index]
        if check.array(cabins, "Cabin", min_items=1, max_items=MAX_CABINS):
            for index, cabin in enumerate(cabins):
                _check_cabin(check, cabin, f"Cabin[{index}]", found)
    return check.errors, SeatMapSummary(tuple(found.seat_ids), tuple(found.cabin_types))


@dataclass
class _Found:
    """What the checked part of a seat map holds so far (for cross-cabin rules and the summary)."""

    seat_ids: list[str] = field(default_factory=list)
    cabin_types: list[str] = field(default_factory=list)
    rows: dict[int, str] = field(default_factory=dict)  # row number → path where it was defined
    ranges: list[tuple[int, int, str]] = field(default_factory=list)


def _check_cabin(check: _Checker, cabin: object, path: str, found: _Found) -> None:
    if not check.obj(cabin, path, _CABIN_KEYS, _CABIN_REQUIRED):
        return
    assert isinstance(cabin, dict)
    first = check.row_number(cabin["firstRow"], f"{path}.firstRow") if "firstRow" in cabin else None
    last = check.row_number(cabin["lastRow"], f"{path}.lastRow") if "lastRow" in cabin else None
    if first is not None and last is not None:
        if last < first:
            check.fail(f"{path}.lastRow", f"must not be below firstRow ({first}), got {last}")
        else:
            for other_first, other_last, other_path in found.ranges:
                if first <= other_last and other_first <= last:
                    check.fail(
                        path, f"rows {first}-{last} overlap {other_path} (rows {other_first}-{other_last})"
                    )
            found.ranges.append((first, last, path))
    if "Wing" in cabin:
        _check_wing(check, cabin["Wing"], f"{path}.Wing")
    if "CabinClass" in cabin:
        _check_cabin_class(check, cabin["CabinClass"], f"{path}.CabinClass", found)
    columns = _check_columns(check, cabin["Column"], f"{path}.Column") if "Column" in cabin else None
    if "Row" in cabin:
        _check_rows(check, cabin["Row"], f"{path}.Row", (first, last), columns, found)


def _check_cabin_class(check: _Checker, cabin_class: object, path: str, found: _Found) -> None:
    if not check.obj(cabin_class, path, {"CabinType"}, ("CabinType",)) or "CabinType" not in cabin_class:  # type: ignore[operator]
        return
    cabin_type = cabin_class["CabinType"]  # type: ignore[index]
    if cabin_type in CABIN_TYPES:
        found.cabin_types.append(cabin_type)
    else:
        check.fail(f"{path}.CabinType", f"must be one of {', '.join(CABIN_TYPES)}, got {_shown(cabin_type)}")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_wing(check: _Checker, wing: object, path: str) -> None:
    if not check.obj(wing, path, {"firstRow", "lastRow"}, ("firstRow", "lastRow")):
        return
    first = check.row_number(wing.get("firstRow"), f"{path}.firstRow") if "firstRow" in wing else None  # type: ignore[union-attr]
    last = check.row_number(wing.get("lastRow"), f"{path}.lastRow") if "lastRow" in wing else None  # type: ignore[union-attr]
    if first is not None and last is not None and last < first:
        check.fail(f"{path}.lastRow", f"must not be below firstRow ({first}), got {last}")


def _check_columns(check: _Checker, columns: object, path: str) -> tuple[str, ...] | None:
    """The cabin's column letters, or None when the list itself is unusable."""
    if not check.array(columns, path, min_items=1, max_items=len(COLUMN_LETTERS)):
        return None
    letters: list[str] = []
    for index, column in enumerate(columns):  # type: ignore[arg-type]
        item = f"{path}[{index}]"
        if not check.obj(column, item, {"Column", "Characteristics"}, ("Column", "Characteristics")):
            continue
        letter = column.get("Column")
        if "Column" in column:
            if not isinstance(letter, str) or len(letter) != 1 or letter not in COLUMN_LETTERS:
                check.fail(f"{item}.Column", f"must be one capital letter A-K, got {_shown(letter)}")
            elif letter in letters:
                check.fail(f"{item}.Column", f"duplicate column {letter}")
            else:
                letters.append(letter)
        if "Characteristics" in column:
            traits = column["Characteristics"]
            if check.array(traits, f"{item}.Characteristics", min_items=0, max_items=len(CHARACTERISTICS)):
                for t_index, trait in enumerate(traits):
                    if trait not in CHARACTERISTICS:
                        check.fail(
                            f"{item}.Characteristics[{t_index}]",
                            f"must be one of {', '.join(CHARACTERISTICS)}, got {_shown(trait)}",
                        )
    return tuple(letters)


def _check_rows(
    check: _Checker,
    rows: object,
    path: str,
    bounds: tuple[int | None, int | None],
    columns: tuple[str, ...] | None,
    found: _Found,
) -> None:
    if not check.array(rows, path, min_items=1, max_items=MAX_ROWS_PER_CABIN):
        return
    for index, row in enumerate(rows):  # type: ignore[arg-type]
        item = f"{path}[{index}]"
        if not check.obj(row, item, {"RowNumber", "Seat"}, ("RowNumber", "Seat")):
            continue
        number = check.row_number(row.get("RowNumber"), f"{item}.RowNumber") if "RowNumber" in row else None
        if number is not None:
            first, last = bounds
            if first is not None and last is not None and not first <= number <= last:
                check.fail(
                    f"{item}.RowNumber", f"must lie within the cabin's rows {first}-{last}, got {number}"
                )
            elif number in found.rows:
                check.fail(f"{item}.RowNumber", f"duplicate row {number} (already at {found.rows[number]})")
            else:
                found.rows[number] = item
        if "Seat" not in row or not check.array(
            row["Seat"], f"{item}.Seat", min_items=1, max_items=len(COLUMN_LETTERS)
        ):
            continue
        numbers: set[str] = set()
        for s_index, seat in enumerate(row["Seat"]):
            seat_path = f"{item}.Seat[{s_index}]"
            if not check.obj(seat, seat_path, _SEAT_KEYS, ("Number", *INDICATORS)):
                continue
            letter = seat.get("Number")
            if "Number" in seat:
                if not isinstance(letter, str) or len(letter) != 1:
                    check.fail(f"{seat_path}.Number", f"must be one column letter, got {_shown(letter)}")
                elif columns is not None and letter not in columns:
                    check.fail(
                        f"{seat_path}.Number",
                        f"must be one of the cabin's columns ({', '.join(columns)}), got {_shown(letter)}",
                    )
                elif letter in numbers:
                    check.fail(f"{seat_path}.Number", f"duplicate seat {letter} in row")
                else:
                    numbers.add(letter)
                    if number is not None:
                        found.seat_ids.append(f"{number}{letter}")
            for flag in INDICATORS:
                if flag in seat and not isinstance(seat[flag], bool):
                    check.fail(f"{seat_path}.{flag}", f"must be true or false, got {_kind(seat[flag])}")
            if "Facilities" in seat:
                _check_facilities(check, seat["Facilities"], f"{seat_path}.Facilities")


def _check_facilities(check: _Checker, facilities: object, path: str) -> None:
    if not check.array(facilities, path, min_items=0, max_items=MAX_FACILITIES):
        return
    for index, facility in enumerate(facilities):  # type: ignore[arg-type]
        item = f"{path}[{index}]"
        if not check.obj(facility, item, {"Detail"}, ("Detail",)):
            continue
        detail = facility.get("Detail")
        if "Detail" in facility and check.obj(detail, f"{item}.Detail", {"content"}, ("content",)):
            content = detail.get("content")
            if "content" in detail and (not isinstance(content, str) or not 1 <= len(content) <= 64):
                check.fail(
                    f"{item}.Detail.content", f"must be a text of 1 to 64 characters, got {_shown(content)}"
                )


def seat_map_validate(*, seat_map: object) -> SeatMapSummary:
    """Refuse a seat map of the wrong shape with SeatMapInvalid (every offending path); else summarise it."""
    errors, summary = seat_map_errors(seat_map)
    if errors:
        raise SeatMapInvalid(errors)
    return summary


# --- building seat maps (seed data, tests) -------------------------------------------------------


@dataclass(frozen=True)
class CabinSpec:
    """A cabin described the way a fleet planner would: rows, a seat pattern with aisles, special rows.

    `pattern` lists the column letters left to right with a space for each aisle ("ABC DEF").
    """

    cabin_type: str
    first_row: int
    last_row: int
    pattern: str
    wing: tuple[int, int] | None = None
    exit_rows: frozenset[int] = frozenset()
    extra_legroom_rows: frozenset[int] = frozenset()
    restricted_recline_rows: frozenset[int] = frozenset()
    facilities: tuple[str, ...] = ()


def _column_characteristics(pattern: str) -> list[dict]:
    letters = [(i, c) for i, c in enumerate(pattern) if c != " "]
    columns = []
    for position, (i, letter) in enumerate(letters):
        if position in (0, len(letters) - 1):
            trait = "Window"
        elif (i > 0 and pattern[i - 1] == " ") or (i + 1 < len(pattern) and pattern[i + 1] == " "):
            trait = "Aisle"
        else:
            trait = "Middle"
        columns.append({"Column": letter, "Characteristics": [trait]})
    return columns


def seat_map_build(*, cabins: Iterable[CabinSpec]) -> dict:
    """A seat map in the book's shape from cabin specs (validated before it is returned)."""
    built = []
    for spec in cabins:
        columns = _column_characteristics(spec.pattern)
        rows = []
        for number in range(spec.first_row, spec.last_row + 1):
            exit_row = number in spec.exit_rows
            legroom = exit_row or number in spec.extra_legroom_rows
            facilities = [{"Detail": {"content": name}} for name in spec.facilities]
            if legroom:
                facilities.append({"Detail": {"content": "LegSpaceExtra"}})
            seats = [
                {
                    "Number": column["Column"],
                    "premiumInd": legroom or spec.cabin_type != "Economy",
                    "exitRowInd": exit_row,
                    "restrictedReclineInd": number in spec.restricted_recline_rows,
                    "noInfantInd": exit_row,
                    "Facilities": list(facilities),
                }
                for column in columns
            ]
            rows.append({"RowNumber": number, "Seat": seats})
        cabin: dict = {"firstRow": spec.first_row, "lastRow": spec.last_row}
        if spec.wing is not None:
            cabin["Wing"] = {"firstRow": spec.wing[0], "lastRow": spec.wing[1]}
        cabin["CabinClass"] = {"CabinType": spec.cabin_type}
        cabin["Column"] = columns
        cabin["Row"] = rows
        built.append(cabin)
    seat_map = {"Cabin": built}
    seat_map_validate(seat_map=seat_map)
    return seat_map
