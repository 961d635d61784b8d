"""GET /reservations/history: a flight's seats at an instant, through the real write path and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from reservations import history, store
from tests.reservations.test_history import T0, at, partition_key, reserve

RFC = "%Y-%m-%dT%H:%M:%S.%f"


def instant(ms: int) -> str:
    return at(ms).strftime(RFC)[:-3] + "Z"


def history_at(api, ms: int):
    """F1's seats at the instant `ms` (milliseconds since the epoch), through the API."""
    return api.get("/reservations/history", {"flight_id": "F1", "at": instant(ms)})


def reserved_then_snapshotted(redis, seats: int, every_ms: int) -> None:
    """Alice reserves F1's seats 1A, 2A, … (`seats` of them), one each `every_ms` after T0; then a
    snapshot pass over F1's partition."""
    for n in range(1, seats + 1):
        reserve(redis, f"{T0 + every_ms * n}-0", "F1", f"{n}A", "alice")
    history.snapshots_take(partition=store.partition_of("F1"))


def newest_event(redis, flight_id: str) -> str:
    """The id the store's last write gave the flight's partition (its ms is the write's instant)."""
    ((entry_id, _fields),) = redis.xrevrange(partition_key(flight_id, "events"), count=1)
    return entry_id.decode()


def test_reserve_cancel_and_move_through_the_api_read_back_at_each_instant(api, redis):
    steps: list[tuple[str, dict[str, str]]] = []  # (event id, the flight's seats just after it)

    def did(seats: dict[str, str]) -> None:
        steps.append((newest_event(redis, "F1"), dict(seats)))

    seats: dict[str, str] = {}
    for seat, customer in (("1A", "alice"), ("2B", "bob"), ("3C", "carol")):
        assert (
            api.put_json(
                "/reservations", {"flight_id": "F1", "seat_num": seat, "customer_id": customer}
            ).status_code
            == 200
        )
        seats[seat] = customer
        did(seats)
    assert api.delete("/reservations/F1/1A?customer_id=alice").status_code == 200  # cancel
    del seats["1A"]
    did(seats)
    move = {"flight_id": "F1", "seat_num": "4D", "customer_id": "bob", "replaces": "2B"}
    assert api.put_json("/reservations", move).status_code == 200  # move 2B → 4D: reserve the new seat ...
    seats["4D"] = "bob"
    did(seats)
    assert api.delete("/reservations/F1/2B?customer_id=bob").status_code == 200  # ... release the old
    del seats["2B"]
    did(seats)

    def expected_at(ms: int) -> tuple[dict[str, str], str]:
        before = [(event_id, s) for event_id, s in steps if history.id_key(event_id)[0] <= ms]
        return (before[-1][1], before[-1][0]) if before else ({}, "0")

    for event_id, _seats in steps:
        ms = history.id_key(event_id)[0]
        for moment in (ms - 1, ms, ms + 1):  # just before the event, its own millisecond, after
            response = history_at(api, moment)
            assert response.status_code == 200, response.content
            want, as_of = expected_at(moment)
            assert response.json() == [
                {"seat_no": seat, "customer_id": holder}
                for seat, holder in sorted(want.items(), key=lambda item: (int(item[0][:-1]), item[0][-1]))
            ], moment
            assert response["X-As-Of"] == instant(moment)
            assert response["X-As-Of-Event"] == as_of
    # the newest instant answers exactly what the live list says
    assert history_at(api, ms + 1).json() == api.get("/reservations", {"flight_id": "F1"}).json()


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=2)
def test_the_answer_names_its_snapshot_and_how_many_events_it_replayed(api, redis):
    reserved_then_snapshotted(redis, seats=5, every_ms=1)
    response = history_at(api, T0 + 5)
    assert response.status_code == 200
    assert [row["seat_no"] for row in response.json()] == ["1A", "2A", "3A", "4A", "5A"]
    assert response["X-Snapshot-Event"] == f"{T0 + 4}-0"
    assert response["X-Replayed-Events"] == "1"
    assert response["X-As-Of-Event"] == f"{T0 + 5}-0"


def test_an_offset_instant_means_the_same_moment(api, redis):
    reserve(redis, f"{T0 + 250}-0", "F1", "1A", "alice")  # 2026-01-01T00:00:00.250Z
    response = api.get("/reservations/history", {"flight_id": "F1", "at": "2026-01-01T01:00:00.250+01:00"})
    assert response.json() == [{"seat_no": "1A", "customer_id": "alice"}]
    assert response["X-As-Of"] == "2026-01-01T00:00:00.250Z"


@pytest.mark.parametrize(
    ("query", "field", "text"),
    [
        ({"flight_id": "F1"}, "at", "is required"),
        ({"at": "2026-01-01T00:00:00Z"}, "flight_id", "is required"),
        ({"flight_id": "F 1", "at": "2026-01-01T00:00:00Z"}, "flight_id", "must be"),
        ({"flight_id": "F1", "at": "yesterday"}, "at", "must be an RFC 3339 date-time with its offset"),
        ({"flight_id": "F1", "at": "2026-01-01T00:00:00"}, "at", "with its offset"),
        ({"flight_id": "F1", "at": "2026-01-01T00:00:00 01:00"}, "at", "send a '+' offset as %2B"),
        ({"flight_id": "F1", "at": "2026-02-30T00:00:00Z"}, "at", "is not a valid date-time"),
        ({"flight_id": "F1", "at": "1969-12-31T23:59:59Z"}, "at", "on or after 1970-01-01"),
        ({"flight_id": "F1", "at": "9999-12-31T23:59:59-01:00"}, "at", "is out of range"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, redis, query, field, text):
    response = api.get("/reservations/history", query)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Bad Request"
    assert body["description"].startswith(f"{field}: ")
    assert text in body["description"]


def test_a_future_instant_is_a_400_that_says_the_store_clock(api, redis):
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime(RFC)[:-3] + "Z"
    response = api.get("/reservations/history", {"flight_id": "F1", "at": later})
    assert response.status_code == 400
    assert "at: is in the future (the store's clock reads " in response.json()["description"]


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=2, RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS=1)
def test_an_instant_before_retention_is_a_410_naming_the_earliest_answerable_one(api, redis):
    reserved_then_snapshotted(redis, seats=4, every_ms=100)
    response = history_at(api, T0 + 399)
    assert response.status_code == 410
    assert response.json() == {
        "error": "Gone",
        "description": "The events before this instant were trimmed by the event retention "
        "(RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS); the earliest answerable instant of this flight is "
        "2026-01-01T00:00:00.400Z",
    }
    assert history_at(api, T0 + 400).status_code == 200


def test_redis_down_is_a_503(api, store_down):
    response = history_at(api, T0)
    assert response.status_code == 503
    assert response["Retry-After"]
