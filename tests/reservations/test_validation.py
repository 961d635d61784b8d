import pytest

from reservations import validation
from reservations.validation import InvalidValue


@pytest.mark.parametrize(("raw", "clean"), [("12C", "12C"), ("12c", "12C"), ("1A", "1A"), ("999K", "999K")])
def test_seat_numbers_are_normalized_to_upper_case(raw, clean):
    assert validation.seat_no_clean(raw) == clean


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0A",
        "012C",
        "1000A",
        "12L",
        "12",
        "C12",
        "12CC",
        "12C\n",
        " 12C",
        "\u0661\u0662C",
        None,
        12,
        ["12C"],
    ],
)
def test_malformed_seats_are_refused(raw):
    with pytest.raises(InvalidValue):
        validation.seat_no_clean(raw)


@pytest.mark.parametrize("raw", ["", "a" * 65, "F|1", "F:1", "F 1", "Fé", "F1\n", "F.1", None, 7])
def test_malformed_flight_ids_are_refused(raw):
    with pytest.raises(InvalidValue):
        validation.flight_id_clean(raw)


@pytest.mark.parametrize("raw", ["c", "a" * 64, "jane.doe+x@example_1-2", "0b0e7c6e-2f"])
def test_customer_ids_of_safe_characters_pass(raw):
    assert validation.customer_id_clean(raw) == raw


@pytest.mark.parametrize("raw", ["", "a" * 65, "c|1", "c 1", "c/1", "c:1", "cé", True])
def test_malformed_customer_ids_are_refused(raw):
    with pytest.raises(InvalidValue):
        validation.customer_id_clean(raw)


@pytest.mark.parametrize("raw", ["0", "1700000000000", "1700000000000-0", "1700000000000-42"])
def test_stream_ids_pass(raw):
    assert validation.stream_id_clean(raw) == raw


@pytest.mark.parametrize("raw", ["", "-1", "abc", "1-2-3", "18446744073709551615", "99999999999999999999"])
def test_malformed_or_out_of_range_stream_ids_are_refused(raw):
    with pytest.raises(InvalidValue):
        validation.stream_id_clean(raw)


def test_seats_sort_by_row_then_letter():
    assert sorted(["10A", "2C", "2A", "1K"], key=validation.seat_sort_key) == ["1K", "2A", "2C", "10A"]
