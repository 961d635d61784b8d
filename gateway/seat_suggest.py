"""Seats together: the best free block for a party of N, from a seat chart's rows, columns and aisles.

Pure: it reads a chart layout (gateway.clients.flights.seat_layout_of) and the seats that are not free.
Candidates come in tiers, best first (docs/adr/0145):

1. ``row`` — N neighbouring seats of one row with no aisle between them;
2. ``across_aisle`` — N neighbouring seats of one row, an aisle between some of them;
3. ``rows`` — the party over consecutive rows, each part a run of neighbours, front to back;
4. ``scattered`` — any N free seats, front to back (only when nothing better is left).

Within a tier the preferences decide (each one a block meets scores 1: ``window``, ``aisle``,
``exit_row`` — any seat of the block has it), then the front-most row, then the leftmost column. A cabin
preference (``business``, ``economy``, … the seat map's cabin classes, lower case) is a filter, not a
score: a party that asked for business is never seated in economy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SCORED_PREFERENCES = ("window", "aisle", "exit_row")
TIERS = ("row", "across_aisle", "rows", "scattered")


@dataclass(frozen=True)
class Suggestion:
    seats: list[str]
    arrangement: str  # one of TIERS


@dataclass(frozen=True)
class _Seat:
    seat: str
    row: int
    position: int  # the column's index in its cabin
    traits: frozenset[str]


def cabin_classes(layout: list[dict[str, Any]]) -> list[str]:
    return [str(cabin["cabin_class"]).lower() for cabin in layout]


def seats_suggest(
    *, layout: list[dict[str, Any]], unavailable: Iterable[str], party: int, prefer: Iterable[str] = ()
) -> Suggestion | None:
    """The best seats for ``party`` people, or None when fewer free seats are left (in the cabin)."""
    prefer = {p.lower() for p in prefer}
    scored = prefer & set(SCORED_PREFERENCES)
    wanted_cabins = prefer - scored
    cabins = (
        [c for c in layout if str(c["cabin_class"]).lower() in wanted_cabins] if wanted_cabins else layout
    )
    taken = {seat.upper() for seat in unavailable}
    best: tuple | None = None
    for cabin in cabins:
        for candidate in _candidates(cabin, taken, party):
            tier, seats = candidate
            key = (
                TIERS.index(tier),
                -sum(1 for p in scored if any(p in s.traits for s in seats)),
                seats[0].row,
                seats[0].position,
            )
            if best is None or key < best[0]:
                best = (key, Suggestion([s.seat for s in seats], tier))
    return None if best is None else best[1]


def _cabin_rows(cabin: dict[str, Any], taken: set[str]) -> list[list[list[_Seat]]]:
    """Per row (front to back): its runs of free neighbouring seats, each run split where an aisle is.

    A row is a list of runs; a run is a list of sections (no aisle inside a section)."""
    positions = {col["letter"]: i for i, col in enumerate(cabin["columns"])}
    aisle_after = {col["letter"] for col in cabin["columns"] if col["aisle_after"]}
    rows = []
    for row in sorted(cabin["rows"], key=lambda r: r["number"]):
        runs: list[list[list[_Seat]]] = []
        previous: dict | None = None
        for seat in sorted(row["seats"], key=lambda s: positions.get(s["column"], 99)):
            if seat["seat"].upper() in taken:
                previous = None
                continue
            traits = set(seat["characteristics"])
            if row["exit"] or "exit" in traits:
                traits.add("exit_row")
            item = _Seat(seat["seat"], row["number"], positions.get(seat["column"], 99), frozenset(traits))
            if previous is not None and positions.get(previous["column"], -9) + 1 == item.position:
                if previous["column"] in aisle_after:
                    runs[-1].append([item])
                else:
                    runs[-1][-1].append(item)
            else:
                runs.append([[item]])
            previous = seat
        rows.append(runs)
    return rows


def _candidates(cabin: dict[str, Any], taken: set[str], party: int) -> Iterable[tuple[str, list[_Seat]]]:
    rows = _cabin_rows(cabin, taken)
    for runs in rows:
        for run in runs:
            for section in run:  # tier 1: inside one section
                for start in range(len(section) - party + 1):
                    yield "row", section[start : start + party]
            flat = [seat for section in run for seat in section]
            if len(run) > 1:  # tier 2: a run of neighbours crossing an aisle
                for start in range(len(flat) - party + 1):
                    block = flat[start : start + party]
                    if len({seat.position for seat in block}) == party and _crosses(run, block):
                        yield "across_aisle", block
    found = _over_rows(rows, party)
    if found is not None:
        yield "rows", found
    free = [seat for runs in rows for run in runs for section in run for seat in section]
    if len(free) >= party:
        yield "scattered", free[:party]


def _crosses(run: list[list[_Seat]], block: list[_Seat]) -> bool:
    return len({i for i, section in enumerate(run) for seat in section if seat in block}) > 1


def _over_rows(rows: list[list[list[list[_Seat]]]], party: int) -> list[_Seat] | None:
    """The front-most start row from which the longest run of each next row seats the party."""
    for start in range(len(rows)):
        seats: list[_Seat] = []
        for runs in rows[start:]:
            if not runs or (seats and runs[0][0][0].row != seats[-1].row + 1):
                break
            longest = max(([s for section in run for s in section] for run in runs), key=len)
            seats.extend(longest[: party - len(seats)])
            if len(seats) == party:
                if len({seat.row for seat in seats}) > 1:
                    return seats
                break
    return None
