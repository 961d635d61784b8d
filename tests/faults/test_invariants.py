"""The fault runs' "nothing lost" checker flags every kind of broken promise (fast, no processes).

A checker that cannot fail proves nothing: each case below feeds it one specific defect.
"""

from __future__ import annotations

from tests.support.load import Attempt, Reserve, StoreSnapshot, clear_failure, invariant_violations

R1 = Reserve("F1", "1A", "alice")
R2 = Reserve("F1", "1B", "bob")


def attempt(reserve: Reserve = R1, status: int | None = 200, body: object = None, **kw: object) -> Attempt:
    return Attempt(reserve, started=0.0, elapsed=kw.pop("elapsed", 0.01), status=status, body=body, **kw)  # type: ignore[arg-type]


def reserved(reserve: Reserve) -> dict[str, str]:
    return {
        "type": "SeatReserved",
        "flight_id": reserve.flight_id,
        "seat_no": reserve.seat,
        "customer_id": reserve.customer_id,
    }


def released(reserve: Reserve) -> dict[str, str]:
    return {**reserved(reserve), "type": "SeatReleased"}


CONSISTENT = StoreSnapshot({"F1": {"1A": "alice"}}, [reserved(R1)])


def test_a_consistent_run_has_no_violations() -> None:
    refusal = attempt(R2, 503, {"title": "Service unavailable", "detail": "retry"}, retry_after="1")
    assert invariant_violations([attempt(), refusal], CONSISTENT) == []


def test_an_acknowledged_seat_missing_from_the_store_is_a_violation() -> None:
    snapshot = StoreSnapshot({"F1": {}}, [])
    assert any("store says None" in v for v in invariant_violations([attempt()], snapshot))


def test_an_acknowledged_seat_held_by_someone_else_is_a_violation() -> None:
    snapshot = StoreSnapshot({"F1": {"1A": "mallory"}}, [reserved(Reserve("F1", "1A", "mallory"))])
    assert any("store says mallory" in v for v in invariant_violations([attempt()], snapshot))


def test_a_seat_given_twice_in_the_log_is_a_double_booking() -> None:
    snapshot = StoreSnapshot({"F1": {"1A": "alice"}}, [reserved(Reserve("F1", "1A", "bob")), reserved(R1)])
    assert any("while bob holds it" in v for v in invariant_violations([], snapshot))


def test_a_release_by_someone_other_than_the_holder_is_flagged() -> None:
    snapshot = StoreSnapshot({"F1": {}}, [reserved(R1), released(Reserve("F1", "1A", "bob"))])
    assert any("releases F1/1A by bob" in v for v in invariant_violations([], snapshot))


def test_a_hash_that_disagrees_with_its_log_is_a_violation() -> None:
    snapshot = StoreSnapshot({"F1": {"1A": "alice", "1B": "bob"}}, [reserved(R1)])
    assert any("disagrees" in v for v in invariant_violations([], snapshot))


def test_unclear_failures_are_violations() -> None:
    unclear = [
        attempt(status=500, body={"detail": "boom"}),
        attempt(status=503, body={"detail": "down"}),  # no Retry-After
        attempt(status=400, body="<html>Bad Request</html>"),
        attempt(status=404, body={"detail": ""}),
        attempt(status=302, body={"detail": "moved"}),
    ]
    assert not any(clear_failure(a) for a in unclear)
    assert len(invariant_violations(unclear, CONSISTENT)) == len(unclear)


def test_clear_refusals_in_either_envelope_pass() -> None:
    book = attempt(
        status=403, body={"error": "Conflict", "description": "Seat already reserved. Cannot double-book"}
    )
    problem = attempt(status=409, body={"title": "Seat taken", "detail": "Seat 1A is taken."})
    assert clear_failure(book)
    assert clear_failure(problem)


def test_no_answer_is_a_violation_unless_the_run_allows_it_and_a_timeout_never_is() -> None:
    refused = attempt(status=None, error="ConnectError: refused")
    timed_out = attempt(status=None, error="ReadTimeout: timed out")
    assert len(invariant_violations([refused, timed_out], CONSISTENT)) == 2
    allowed = invariant_violations([refused, timed_out], CONSISTENT, transport_errors_allowed=lambda a: True)
    assert allowed == ["F1/1A: no HTTP answer (ReadTimeout: timed out)"]


def test_an_answer_slower_than_the_bound_is_a_violation() -> None:
    assert invariant_violations([attempt(elapsed=7.5)], CONSISTENT, max_wall_s=5.0) == [
        "F1/1A: took 7.50s > 5.0s"
    ]


def test_a_customer_index_that_disagrees_with_the_hashes_is_a_violation() -> None:
    good = StoreSnapshot({"F1": {"1A": "alice"}}, [reserved(R1)], {"alice": {"F1|1A", "F9|2C"}, "bob": set()})
    assert invariant_violations([attempt()], good) == []  # F9 is outside the snapshot: not judged
    stale = StoreSnapshot({"F1": {"1A": "alice"}}, [reserved(R1)], {"alice": set(), "bob": {"F1|1A"}})
    assert len(invariant_violations([attempt()], stale)) == 2
