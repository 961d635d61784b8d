"""The customer index projector: consumer group ``customer-index`` on every partition's stream.

"My seats" spans partitions (a customer holds seats on flights of many slots), so no seat script
writes it: this worker builds it from the logs (docs/adr/0116). Each cycle, for every partition:
XAUTOCLAIM the entries another consumer read and left unacknowledged longer than
RESERVATIONS_PROJECTOR_CLAIM_IDLE_SECONDS (it crashed mid-batch), XREADGROUP new ones, apply them
to the customer hashes (last writer wins by event id: redelivered or reordered entries change
nothing), XACK, and report the lag the customer read's freshness headers show. Any number of
projectors may run; they share the work through the group.

Each cycle also takes the partitions' rolling snapshots and applies event retention
(``history.snapshots_take``, docs/adr/0120, 0121): when nothing is due that is one pipelined round
trip, and it runs after the XACK, so retention, which never trims what the group has not yet read
or acknowledged, can trim up to where this cycle got.

The write path already applies each winning write to its customer's hash (write-through), so the
index is right without this worker; it converges what a write-through missed (a process that died
between its script and the index update, a Redis error) and rebuilds a deleted index.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from reservations import history, store
from reservations.errors import StoreUnavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleReport:
    delivered: int  # entries handed to this consumer (reclaimed included)
    reclaimed: int  # of those, taken over from consumers that did not acknowledge them
    changed: int  # customer index fields changed (0 for entries already applied)
    lag: int  # events of every partition not yet applied after the cycle
    snapshots: int = 0  # rolling snapshots taken (history.snapshots_take)
    trimmed: int = 0  # stream entries event retention removed


def consumer_name_default() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def projector_cycle(
    *, consumer: str, batch: int | None = None, claim_idle_seconds: float | None = None
) -> CycleReport:
    """One pass over every partition: reclaim, read, apply, acknowledge, report."""
    batch = batch or settings.RESERVATIONS_PROJECTOR_BATCH
    idle = (
        settings.RESERVATIONS_PROJECTOR_CLAIM_IDLE_SECONDS
        if claim_idle_seconds is None
        else claim_idle_seconds
    )
    deliveries = store.index_read(consumer=consumer, count=batch, pending_idle_ms=int(idle * 1000))
    changed = store.index_apply_events(event for delivery in deliveries for event in delivery.events)
    store.index_ack(deliveries)  # only after applying: a crash before this leaves them pending
    snapshots = history.snapshots_take()
    lag = store.index_lag()
    store.index_status_write(lag=lag, consumer=consumer)
    return CycleReport(
        delivered=sum(len(d.events) for d in deliveries),
        reclaimed=sum(len(d.events) for d in deliveries if d.reclaimed),
        changed=changed,
        lag=lag,
        snapshots=snapshots.taken,
        trimmed=snapshots.trimmed,
    )


def projector_run(
    *,
    consumer: str,
    once: bool = False,
    batch: int | None = None,
    claim_idle_seconds: float | None = None,
    poll_seconds: float = 0.5,
    stop: threading.Event | None = None,
    on_cycle: Callable[[CycleReport], None] | None = None,
) -> CycleReport:
    """Run cycles until ``stop`` is set; with ``once``, until a cycle finds nothing to apply.

    Returns the totals. A cycle that delivered nothing waits ``poll_seconds`` (or until ``stop``); a
    long-running projector rides out an unavailable store (logged, tried again), ``once`` raises.
    """
    stop = stop or threading.Event()
    store.index_groups_ensure()
    delivered = reclaimed = changed = snapshots = trimmed = 0
    report = CycleReport(delivered=0, reclaimed=0, changed=0, lag=0)
    while not stop.is_set():
        try:
            report = projector_cycle(consumer=consumer, batch=batch, claim_idle_seconds=claim_idle_seconds)
        except StoreUnavailable:
            if once:
                raise
            logger.warning("customer index projector: store unavailable; retrying", exc_info=True)
            stop.wait(poll_seconds)
            continue
        delivered, reclaimed, changed = (
            delivered + report.delivered,
            reclaimed + report.reclaimed,
            changed + report.changed,
        )
        snapshots, trimmed = snapshots + report.snapshots, trimmed + report.trimmed
        if on_cycle is not None:
            on_cycle(report)
        if report.delivered == 0:
            if once:
                break
            stop.wait(poll_seconds)
    return CycleReport(
        delivered=delivered,
        reclaimed=reclaimed,
        changed=changed,
        lag=report.lag,
        snapshots=snapshots,
        trimmed=trimmed,
    )
