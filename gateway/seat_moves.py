"""The seat-move saga, durable: every step is written to the gateway database before it runs.

    started → reserving_target → target_held → source_released → done
                     │                 │
                     └─ failed         └─ compensating → compensated | needs_attention

(docs/adr/0055, docs/design/seat-move-saga.puml.) A saga is keyed by the customer and the move's
Idempotency-Key, and carries an operation token the reservations store keeps beside the target's
holder: reserving the target again for the same saga is success, a seat the customer holds otherwise
is not mistaken for the saga's own, and the compensation releases only what the saga reserved.
`seat_moves_recover()` (at gateway start, `manage.py recover_seat_moves`, a CronJob) drives every
unfinished saga whose lease has expired to done or compensated.

No database transaction is held across an upstream call: each state write is one short statement.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.utils import timezone

from gateway import clients, idempotency, services
from gateway.errors import (
    GatewayError,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InvalidInput,
    NotYourReservation,
    ReservationNotFound,
    SeatLimitReached,
    SeatMoveFailed,
    SeatMoveIncomplete,
    SeatMoveInProgress,
    SeatTaken,
    UpstreamUnavailable,
)
from gateway.models import SeatMove
from gateway.rules import flight_id_clean, seat_clean

logger = logging.getLogger(__name__)
State = SeatMove.State

UNFINISHED = (
    State.STARTED,
    State.RESERVING_TARGET,
    State.TARGET_HELD,
    State.SOURCE_RELEASED,
    State.COMPENSATING,
)
FINISHED = (State.DONE, State.COMPENSATED, State.FAILED, State.NEEDS_ATTENTION)
PAUSE_STATES = frozenset(state.value for state in UNFINISHED)


@dataclass(frozen=True)
class SeatMoved:
    from_flight_id: str
    from_seat: str
    to_flight_id: str
    to_seat: str


def _log(saga: SeatMove, step: str, **data: object) -> None:
    logger.info(
        "seat move saga: %s",
        step,
        extra={
            "saga": "seat_move",
            "saga_id": saga.pk,
            "step": step,
            "customer_id": saga.customer_id,
            **data,
        },
    )


def _source(saga: SeatMove) -> dict[str, str]:
    return {"flight_id": saga.from_flight_id, "seat": saga.from_seat}


def _target(saga: SeatMove) -> dict[str, str]:
    return {"flight_id": saga.to_flight_id, "seat": saga.to_seat}


_RETRY_TO_FINISH = "retry with the same Idempotency-Key to finish it."


def _incomplete(
    saga: SeatMove, detail: str, outage: UpstreamUnavailable, *, target_first: bool = False
) -> SeatMoveIncomplete:
    """A 503 of reservations mid-saga: the customer may hold both seats (named in that order), retry later."""
    holds = [_target(saga), _source(saga)] if target_first else [_source(saga), _target(saga)]
    return SeatMoveIncomplete("reservations", detail, retry_after=outage.retry_after, holds=holds)


def _moved(saga: SeatMove) -> SeatMoved:
    return SeatMoved(saga.from_flight_id, saga.from_seat, saga.to_flight_id, saga.to_seat)


# -- persistence: one short statement per step -------------------------------------------------


def _advance(saga: SeatMove, state: str, detail: str = "") -> None:
    """Write the saga's next state (and renew its lease); a finished saga frees the source seat."""
    saga.state = state
    saga.detail = detail or saga.detail
    saga.lease_until = timezone.now() + idempotency.lease()
    if state in FINISHED:
        saga.source_lock = None
    saga.save(update_fields=["state", "detail", "lease_until", "source_lock", "updated_at"])
    _log(saga, state, detail=detail)
    _pause_if_asked(state)


def _pause_if_asked(state: str) -> None:
    """Test-only (settings.SEAT_MOVE_PAUSE_AT, refused in production): block here until killed.

    A marker file in VAR_DIR tells the fault test that the saga reached the state.
    """
    if state != settings.SEAT_MOVE_PAUSE_AT:
        return
    marker = Path(settings.VAR_DIR) / f"seat-move-paused-{state}"
    marker.write_text(str(time.time()))
    logger.warning("seat move saga paused at %s (SEAT_MOVE_PAUSE_AT): waiting to be killed", state)
    while True:
        time.sleep(3600)


def _lease_take(saga: SeatMove, now: datetime) -> bool:
    """Take an expired lease (compare-and-set on the old value: one taker wins)."""
    new_lease = now + idempotency.lease()
    taken = SeatMove.objects.filter(pk=saga.pk, lease_until=saga.lease_until, state=saga.state).update(
        lease_until=new_lease
    )
    if taken:
        saga.lease_until = new_lease
    return bool(taken)


def _start(
    *, customer_id: str, key: str, fingerprint: str, source: tuple[str, str], target: tuple[str, str]
) -> SeatMove:
    """The saga of this (customer, key): a new one, or the existing one this request may drive."""
    for _ in range(3):
        now = timezone.now()
        saga = SeatMove(
            customer_id=customer_id,
            key=key,
            operation=f"move-{uuid.uuid4().hex}",
            request_hash=fingerprint,
            from_flight_id=source[0],
            from_seat=source[1],
            to_flight_id=target[0],
            to_seat=target[1],
            source_lock=f"{source[0]}|{source[1]}",
            lease_until=now + idempotency.lease(),
        )
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not poison an outer transaction
                saga.save(force_insert=True)
            _log(saga, "started", source=source, target=target)
            return saga
        except IntegrityError:
            pass
        existing = SeatMove.objects.filter(customer_id=customer_id, key=key).first()
        if existing is not None:
            if existing.state in FINISHED and existing.updated_at < now - idempotency.key_ttl():
                SeatMove.objects.filter(pk=existing.pk, state__in=FINISHED).delete()  # an expired key
                continue
            if existing.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            if existing.state in FINISHED or _lease_take(existing, now):
                return existing
            raise IdempotencyKeyInFlight(retry_after=idempotency.retry_after_of(existing.lease_until, now))
        blocker = SeatMove.objects.filter(
            customer_id=customer_id, source_lock=f"{source[0]}|{source[1]}"
        ).first()
        if blocker is None:
            continue  # it finished between our insert and read
        if blocker.lease_until > now:
            raise SeatMoveInProgress(
                f"Another move of seat {source[1]} is still running; retry shortly.",
                retry_after=idempotency.retry_after_of(blocker.lease_until, now),
            )
        # Its process died: finish that saga first (so it never loses a seat), then start ours.
        if _lease_take(blocker, now):
            _drive_quietly(blocker)
    raise SeatMoveInProgress(retry_after=1)


# -- the saga ------------------------------------------------------------------------------------


def seat_move(
    *,
    customer_id: str,
    from_flight_id: str,
    from_seat: str,
    to_flight_id: str,
    to_seat: str,
    idempotency_key: str | None = None,
) -> SeatMoved:
    """Move a seat (same flight or another): reserve the new seat, then release the old one.

    The answer is what the store holds: 200 only once the old seat is gone and the new one is the
    customer's; every error lists what the customer holds (`holds`). A retry with the same key
    resumes (or replays) the same saga.
    """
    from_flight_id, to_flight_id = (
        flight_id_clean(from_flight_id),
        flight_id_clean(to_flight_id),
    )
    from_seat, to_seat = seat_clean(from_seat), seat_clean(to_seat)
    if (from_flight_id, from_seat) == (to_flight_id, to_seat):
        raise InvalidInput("to_seat: must differ from from_seat.")
    saga = _start(
        customer_id=customer_id,
        key=idempotency_key or f"auto-{uuid.uuid4().hex}",
        fingerprint=move_fingerprint(from_flight_id, from_seat, to_flight_id, to_seat),
        source=(from_flight_id, from_seat),
        target=(to_flight_id, to_seat),
    )
    return _drive(saga, live=True)


def seat_move_request(
    *,
    customer_id: str,
    idempotency_key: str | None,
    from_flight_id: str,
    from_seat: str,
    to_flight_id: str,
    to_seat: str,
) -> idempotency.Outcome:
    """`POST /api/reservations/move`: the saga under the Idempotency-Key protocol (200 + the move)."""
    from_flight_id, to_flight_id = (
        flight_id_clean(from_flight_id),
        flight_id_clean(to_flight_id),
    )
    from_seat, to_seat = seat_clean(from_seat), seat_clean(to_seat)

    def run() -> idempotency.Outcome:
        moved = seat_move(
            customer_id=customer_id,
            from_flight_id=from_flight_id,
            from_seat=from_seat,
            to_flight_id=to_flight_id,
            to_seat=to_seat,
            idempotency_key=idempotency_key,
        )
        return idempotency.Outcome(200, asdict(moved))

    return idempotency.idempotent_run(
        customer_id=customer_id,
        key=idempotency_key,
        fingerprint=move_fingerprint(from_flight_id, from_seat, to_flight_id, to_seat),
        run=run,
    )


def move_fingerprint(from_flight_id: str, from_seat: str, to_flight_id: str, to_seat: str) -> str:
    return idempotency.request_fingerprint(
        operation="move",
        from_flight_id=from_flight_id,
        from_seat=from_seat,
        to_flight_id=to_flight_id,
        to_seat=to_seat,
    )


def _drive(saga: SeatMove, *, live: bool) -> SeatMoved:
    """Run the saga from its state to the end, or raise what the customer must be told.

    `live` is a customer's request: an outage that leaves the outcome open is reported (503) and the
    saga stays unfinished for a retry or the recovery pass. Recovery (`live=False`) only goes forward
    or compensates; it raises the same errors, which the caller logs.
    """
    reservations = clients.reservations()
    while True:
        state = saga.state
        if state == State.STARTED:
            _check(saga)
            _advance(saga, State.RESERVING_TARGET)
        elif state == State.RESERVING_TARGET:
            _reserve_target(saga, reservations, live=live)
        elif state == State.TARGET_HELD:
            _release_source(saga, reservations, live=live)
        elif state == State.SOURCE_RELEASED:
            _advance(saga, State.DONE)
        elif state == State.COMPENSATING:
            _compensate(saga, reservations, live=live)
        else:
            return _finished(saga)


def _check(saga: SeatMove) -> None:
    """Step 0, no change yet: the customer holds the source, not already the target; the target exists."""
    holding = {
        (item["flight_id"], item["seat_no"].upper())
        for item in clients.reservations().seats_by_customer(saga.customer_id)
    }
    try:
        if (saga.from_flight_id, saga.from_seat) not in holding:
            raise ReservationNotFound(
                f"You hold no reservation for seat {saga.from_seat} on flight {saga.from_flight_id}."
            )
        if (saga.to_flight_id, saga.to_seat) in holding:
            raise SeatMoveFailed(
                f"You already hold seat {saga.to_seat} on that flight; cancel {saga.from_seat} instead."
            )
        services.seat_require_on_map(flight_id=saga.to_flight_id, seat=saga.to_seat)
        # Neither flight may have departed (ADR 76).
        services.flight_require_open(flight_id=saga.from_flight_id)
        if saga.to_flight_id != saga.from_flight_id:
            services.flight_require_open(flight_id=saga.to_flight_id)
    except GatewayError as exc:
        if exc.status_code >= 500:
            raise
        _advance(saga, State.FAILED, detail=exc.detail)
        raise


def _reserve_target(saga: SeatMove, reservations: clients.ReservationsClient, *, live: bool) -> None:
    """Step 1: reserve the target with the saga's token (idempotent: retried on outages)."""
    keep = [_source(saga)]
    try:
        mine = reservations.seat_reserve(
            flight_id=saga.to_flight_id,
            seat=saga.to_seat,
            customer_id=saga.customer_id,
            operation=saga.operation,
            # Within one flight the source is released next: it does not count towards the seat
            # limit, so a customer at the limit can still move (ADR 75).
            replaces=saga.from_seat if saga.to_flight_id == saga.from_flight_id else None,
        )
    except SeatLimitReached as exc:
        _advance(saga, State.FAILED, detail=exc.detail)
        raise SeatLimitReached(f"{exc.detail} You keep {saga.from_seat}.", holds=keep) from exc
    except SeatTaken as exc:
        _advance(saga, State.FAILED, detail=f"Seat {saga.to_seat} is already reserved.")
        raise SeatTaken(
            f"Seat {saga.to_seat} is already reserved; you keep {saga.from_seat}.", holds=keep
        ) from exc
    except UpstreamUnavailable as exc:
        # The reserve may still land: the saga stays here and a retry (or recovery) reserves again,
        # which is idempotent for this saga's token.
        detail = f"you hold {saga.from_seat} and may also hold {saga.to_seat}"
        raise _incomplete(
            saga, f"The move could not be confirmed: {detail}; {_RETRY_TO_FINISH}", exc
        ) from exc
    if not mine:
        # The customer got the target some other way meanwhile: it is not this saga's to move into.
        _advance(saga, State.FAILED, detail=f"You already hold seat {saga.to_seat}.")
        raise SeatMoveFailed(
            f"You already hold seat {saga.to_seat}; cancel {saga.from_seat} instead.",
            holds=[_source(saga), _target(saga)],
        )
    _advance(saga, State.TARGET_HELD)


def _release_source(saga: SeatMove, reservations: clients.ReservationsClient, *, live: bool) -> None:
    """Step 2: release the source. Gone already (an earlier attempt, or a cancel) counts as released."""
    try:
        reservations.seat_release(
            flight_id=saga.from_flight_id, seat=saga.from_seat, customer_id=saga.customer_id
        )
    except (ReservationNotFound, NotYourReservation):
        _log(saga, "source already released")
    except UpstreamUnavailable as release_error:
        # A timed-out release may have happened: find out before deciding.
        try:
            still_held = reservations.seat_held_by(
                flight_id=saga.from_flight_id, seat=saga.from_seat, customer_id=saga.customer_id
            )
        except UpstreamUnavailable:
            still_held = None
        if still_held is None or (still_held and not live):
            # Unknown (or recovery, which only goes forward): keep the target rather than risk none.
            detail = f"you hold {saga.to_seat} and may still hold {saga.from_seat}"
            raise _incomplete(
                saga,
                f"The move could not be confirmed: {detail}; {_RETRY_TO_FINISH}",
                release_error,
                target_first=True,
            ) from release_error
        if still_held:
            # The customer is waiting: undo now (503, compensated) rather than keep them in limbo.
            _advance(saga, State.COMPENSATING, detail="releasing the old seat failed")
            _compensate(saga, reservations, live=live)
            raise UpstreamUnavailable(
                "reservations",
                f"The move was undone because the reservations service failed; you keep {saga.from_seat}.",
                retry_after=release_error.retry_after,
                holds=[_source(saga)],
                compensated=True,
            ) from release_error
        _log(saga, "timed-out release had happened")
    _advance(saga, State.SOURCE_RELEASED)


def _compensate(saga: SeatMove, reservations: clients.ReservationsClient, *, live: bool) -> None:
    """Release the target again, but only the reservation this saga made (its operation token)."""
    try:
        reservations.seat_release(
            flight_id=saga.to_flight_id,
            seat=saga.to_seat,
            customer_id=saga.customer_id,
            operation=saga.operation,
        )
    except (ReservationNotFound, NotYourReservation):
        pass  # not (or no longer) the saga's: nothing to undo
    except UpstreamUnavailable as exc:
        detail = f"you hold both {saga.from_seat} and {saga.to_seat}; it will be undone automatically"
        raise _incomplete(saga, f"The move failed and could not be undone yet: {detail}.", exc) from exc
    _advance(saga, State.COMPENSATED)


def _finished(saga: SeatMove) -> SeatMoved:
    """The answer of a finished saga (a retry of its key after a crash gets it too)."""
    if saga.state == State.DONE:
        return _moved(saga)
    if saga.state == State.COMPENSATED:
        raise SeatMoveFailed(
            f"The move was undone; you keep {saga.from_seat}.", holds=[_source(saga)], compensated=True
        )
    if saga.state == State.NEEDS_ATTENTION:
        raise SeatMoveFailed(saga.detail or "The move needs attention from our staff.", needs_attention=True)
    raise SeatMoveFailed(saga.detail or "The move was refused; nothing changed.", holds=[_source(saga)])


# -- recovery ------------------------------------------------------------------------------------


@dataclass
class RecoveryReport:
    finished: dict[str, int] = field(default_factory=dict)  # final state → count
    left: int = 0  # still unfinished (an outage; the next pass retries)
    leased: int = 0  # owned by a live request now

    def summary(self) -> str:
        done = ", ".join(f"{count} {state}" for state, count in sorted(self.finished.items())) or "none"
        return f"finished: {done}; left unfinished: {self.left}; still leased: {self.leased}"


def seat_moves_recover(*, now: datetime | None = None) -> RecoveryReport:
    """Drive every unfinished saga whose lease has expired to done or compensated."""
    report = RecoveryReport()
    now = now or timezone.now()
    report.leased = SeatMove.objects.filter(state__in=UNFINISHED, lease_until__gt=now).count()
    for saga in SeatMove.objects.filter(state__in=UNFINISHED, lease_until__lte=now).order_by("pk"):
        if not _lease_take(saga, now):
            report.leased += 1
            continue
        saga.attempts += 1
        SeatMove.objects.filter(pk=saga.pk).update(attempts=saga.attempts)
        final = _drive_quietly(saga)
        if final in FINISHED:
            report.finished[final] = report.finished.get(final, 0) + 1
        elif saga.attempts >= settings.SEAT_MOVE_MAX_ATTEMPTS:
            _advance(saga, State.NEEDS_ATTENTION, detail=f"recovery gave up after {saga.attempts} passes")
            logger.error("seat move saga %s needs attention: %s", saga.pk, saga)
            report.finished[State.NEEDS_ATTENTION] = report.finished.get(State.NEEDS_ATTENTION, 0) + 1
        else:
            report.left += 1
    return report


def _drive_quietly(saga: SeatMove) -> str:
    """Drive a saga nobody waits for; its errors are logged, not raised. Returns its state."""
    try:
        _drive(saga, live=False)
    except GatewayError as exc:
        _log(saga, "recovery step failed", error=exc.detail)
    return saga.state


def seat_moves_recover_in_background() -> threading.Thread | None:
    """At process start: a recovery pass on a thread, repeated while sagas are still leased or left.

    A saga leased by a process that was just killed becomes recoverable when its lease ends; the
    thread waits for that (a few passes at most) rather than leaving it to the next CronJob run.
    """
    if not settings.SEAT_MOVE_RECOVER_ON_START:
        return None

    def recover() -> None:
        try:
            for _ in range(5):
                close_old_connections()
                report = seat_moves_recover()
                if report.finished or report.left:
                    logger.info("seat move recovery at start: %s", report.summary())
                if not (report.leased or report.left):
                    return
                time.sleep(settings.IDEMPOTENCY_LEASE_SECONDS)
        except Exception:
            logger.exception("seat move recovery at start failed; the CronJob will retry")
        finally:
            connections.close_all()

    thread = threading.Thread(target=recover, name="seat-move-recovery", daemon=True)
    thread.start()
    return thread


def seat_moves_purge(*, now: datetime | None = None) -> int:
    """Delete finished sagas older than the idempotency key TTL; returns how many."""
    cutoff = (now or timezone.now()) - idempotency.key_ttl()
    deleted, _ = SeatMove.objects.filter(state__in=FINISHED, updated_at__lt=cutoff).delete()
    return deleted
