"""Seat maps are validated on write; every error names the offending path."""

from __future__ import annotations

import copy
import random

import pytest

from flights.errors import SeatMapInvalid
from flights.seat_maps import CabinSpec, seat_map_build, seat_map_errors, seat_map_validate
from flights.seed_data import LAYOUTS
from tests.support.factories import SMALL_CABINS


def _small() -> dict:
    return seat_map_build(cabins=SMALL_CABINS)


def _mutated(change) -> dict:
    seat_map = copy.deepcopy(_small())
    change(seat_map)
    return seat_map


def _set(path: tuple, value):
    def change(seat_map):
        target = seat_map
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: tuple):
    def change(seat_map):
        target = seat_map
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def test_a_built_seat_map_is_valid_and_lists_its_seat_ids():
    summary = seat_map_validate(seat_map=_small())
    assert summary.seat_count == 2 * 4 + 4 * 6
    assert summary.seat_ids[:4] == ("1A", "1C", "1D", "1F")
    assert "10F" in summary.seat_ids
    assert summary.cabin_types == ("Business", "Economy")


def test_columns_carry_window_aisle_and_middle_characteristics():
    economy = _small()["Cabin"][1]
    traits = {column["Column"]: column["Characteristics"] for column in economy["Column"]}
    assert traits == {
        "A": ["Window"],
        "B": ["Middle"],
        "C": ["Aisle"],
        "D": ["Aisle"],
        "E": ["Middle"],
        "F": ["Window"],
    }


def test_exit_rows_are_marked_with_extra_legroom_and_no_infants():
    economy = _small()["Cabin"][1]
    row_8 = next(row for row in economy["Row"] if row["RowNumber"] == 8)
    seat = row_8["Seat"][0]
    assert seat["exitRowInd"] is True
    assert seat["noInfantInd"] is True
    assert {"Detail": {"content": "LegSpaceExtra"}} in seat["Facilities"]
    assert economy["Wing"] == {"firstRow": 8, "lastRow": 9}


@pytest.mark.parametrize("definition", LAYOUTS, ids=lambda d: d.code)
def test_seed_layouts_hold_150_to_180_seats_in_business_and_economy(definition):
    summary = seat_map_validate(seat_map=seat_map_build(cabins=definition.cabins))
    assert 150 <= summary.seat_count <= 180
    assert set(summary.cabin_types) == {"Business", "Economy"}
    assert len(set(summary.seat_ids)) == summary.seat_count


@pytest.mark.parametrize(
    ("seat_map", "expected"),
    [
        pytest.param(None, "(root): must be an object, got null", id="null"),
        pytest.param([], "(root): must be an object, got an array", id="array"),
        pytest.param({}, "Cabin: is required", id="no-cabin"),
        pytest.param({"Cabin": []}, "Cabin: must hold 1 to 8 items, got 0", id="empty-cabin"),
        pytest.param({"Cabin": "x"}, "Cabin: must be an array, got a string", id="cabin-not-array"),
        pytest.param({"Cabin": [{}], "Cabins": 1}, "Cabins: unknown key", id="unknown-root-key"),
        pytest.param(
            _mutated(_set(("Cabin", 0, "Row", 1, "Seat", 1, "Number"), "B")),
            "Cabin[0].Row[1].Seat[1].Number: must be one of the cabin's columns (A, C, D, F), got 'B'",
            id="seat-not-in-columns",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 0, "Row", 0, "Seat", 0, "Number"), ["A"])),
            "Cabin[0].Row[0].Seat[0].Number: must be one column letter, got ['A']",
            id="seat-number-not-text",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Row", 3, "Seat", 1, "Number"), "A")),
            "Cabin[1].Row[3].Seat[1].Number: duplicate seat A in row",
            id="duplicate-seat",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Row", 0, "RowNumber"), 30)),
            "Cabin[1].Row[0].RowNumber: must lie within the cabin's rows 7-10, got 30",
            id="row-outside-cabin",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Row", 1, "RowNumber"), 7)),
            "Cabin[1].Row[1].RowNumber: duplicate row 7",
            id="duplicate-row",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 0, "Row", 0, "RowNumber"), True)),
            "Cabin[0].Row[0].RowNumber: must be an integer, got a boolean",
            id="row-number-bool",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 0, "CabinClass", "CabinType"), "Premium")),
            "Cabin[0].CabinClass.CabinType: must be one of First, Business, PremiumEconomy, Economy, got 'Premium'",
            id="unknown-cabin-type",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Row", 2, "Seat", 0, "exitRowInd"), "yes")),
            "Cabin[1].Row[2].Seat[0].exitRowInd: must be true or false, got a string",
            id="indicator-not-bool",
        ),
        pytest.param(
            _mutated(_delete(("Cabin", 1, "Row", 2, "Seat", 0, "premiumInd"))),
            "Cabin[1].Row[2].Seat[0].premiumInd: is required",
            id="indicator-missing",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 0, "lastRow"), 0)),
            "Cabin[0].lastRow: must be between 1 and 999, got 0",
            id="row-zero",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "firstRow"), 12)),
            "Cabin[1].lastRow: must not be below firstRow (12), got 10",
            id="last-below-first",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "firstRow"), 2)),
            "Cabin[1]: rows 2-10 overlap Cabin[0] (rows 1-2)",
            id="overlapping-cabins",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Column", 0, "Column"), "a")),
            "Cabin[1].Column[0].Column: must be one capital letter A-K, got 'a'",
            id="lowercase-column",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Column", 1, "Column"), "A")),
            "Cabin[1].Column[1].Column: duplicate column A",
            id="duplicate-column",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Column", 0, "Characteristics"), ["Sunny"])),
            "Cabin[1].Column[0].Characteristics[0]: must be one of Window, Aisle, Middle, Center, got 'Sunny'",
            id="unknown-characteristic",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Row", 1, "Seat", 2, "Facilities"), [{"Detail": {"content": 5}}])),
            "Cabin[1].Row[1].Seat[2].Facilities[0].Detail.content: must be a text of 1 to 64 characters, got 5",
            id="facility-content",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 1, "Wing"), {"firstRow": 9})),
            "Cabin[1].Wing.lastRow: is required",
            id="wing-incomplete",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 0, "Row", 0, "Seat"), [])),
            "Cabin[0].Row[0].Seat: must hold 1 to 11 items, got 0",
            id="row-without-seats",
        ),
        pytest.param(
            _mutated(_set(("Cabin", 0, "Row", 0, "Seat", 0, "Exit"), True)),
            "Cabin[0].Row[0].Seat[0].Exit: unknown key",
            id="unknown-seat-key",
        ),
    ],
)
def test_a_malformed_seat_map_is_refused_naming_the_offending_path(seat_map, expected):
    with pytest.raises(SeatMapInvalid) as caught:
        seat_map_validate(seat_map=seat_map)
    assert any(error.startswith(expected) for error in caught.value.errors), caught.value.errors
    assert expected.split(":")[0] in str(caught.value)


def test_errors_are_reported_together_not_one_at_a_time():
    def break_two_things(seat_map):
        seat_map["Cabin"][0]["CabinClass"]["CabinType"] = "Luxury"
        seat_map["Cabin"][1]["Row"][0]["Seat"][0]["Number"] = "Q"

    errors, _ = seat_map_errors(_mutated(break_two_things))
    assert len(errors) == 2


def test_the_error_list_is_capped_for_huge_garbage():
    garbage = {"Cabin": [{"firstRow": 1, "lastRow": 5, "CabinClass": {"CabinType": "Economy"},
                          "Column": [{"Column": "A", "Characteristics": []}],
                          "Row": [{"RowNumber": n, "Seat": [{"Number": "Z"}]} for n in range(1, 6)] * 20}]}  # fmt: skip
    errors, _ = seat_map_errors(garbage)
    assert len(errors) == 50


def test_the_builder_refuses_a_spec_it_cannot_express():
    with pytest.raises(SeatMapInvalid):
        seat_map_build(cabins=(CabinSpec("Luxury", 1, 2, "AB"),))


_ODD_VALUES = [None, True, 0, -1, 10**6, 1.5, "", "A", "x" * 100, [], ["A"], {}, {"Detail": None}]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def test_the_validator_never_crashes_on_mangled_seat_maps():
    """Replace one random node of a valid map with an odd value, 400 times: always a verdict, never a crash."""
    valid = _small()
    paths = [path for path in _paths(valid) if path]
    chooser = random.Random(20260517)  # fixed: the same cases on every run
    refused = 0
    for _ in range(400):
        path = chooser.choice(paths)
        mangled = _mutated(_set(path, chooser.choice(_ODD_VALUES)))
        errors, _summary = seat_map_errors(mangled)
        refused += bool(errors)
        for error in errors:
            assert ": " in error, error  # every error names a path
    assert refused > 300  # nearly every odd value breaks the shape (a few, like True for a flag, don't)
