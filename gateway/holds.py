"""The gateway's seat holds (docs/adr/0142, 0145): hold chosen seats or a party's best block, confirm,
release, read; each mutation under the Idempotency-Key protocol, each hold visible to its holder only.

The hold itself is the reservations context's (all or nothing, expiring by the Redis clock); this
module checks what only the gateway knows (the flight is open, the seats are on its map), picks the
party's seats from the seat map (gateway.seat_suggest) and never reveals another customer's hold: any
hold id that is not one of yours is 404 ``hold-not-found``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gateway import clients, idempotency, seat_suggest
from gateway.clients.reservations import Hold
from gateway.errors import HoldNotFound, InvalidInput, NoSeatsTogether, SeatTaken
from gateway.idempotency import Outcome
from gateway.rules import flight_id_clean, seat_clean
from gateway.services import flight_require_open, seat_require_on_map

logger = logging.getLogger(__name__)

# Reservations' hold id: the flight's id, a dot, 24 hex digits; the gateway's flights are uuids.
HOLD_ID_RE = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[0-9a-f]{24}$")
SUGGEST_ATTEMPTS = 3  # a suggested block lost to a concurrent hold is suggested again, this often


def hold_output(hold: Hold, arrangement: str | None = None) -> dict[str, Any]:
    body = {
        "hold_id": hold["hold_id"],
        "flight_id": hold["flight_id"],
        "seats": list(hold["seats"]),
        "status": hold["status"],
        "created_at": hold.get("created_at"),
        "expires_at": hold["expires_at"],
    }
    if arrangement is not None:
        body["arrangement"] = arrangement
    return body


def hold_flight_of(hold_id: str) -> str:
    """The flight of a hold id; anything that is not a hold id is a hold you do not have (404)."""
    match = HOLD_ID_RE.match(str(hold_id or ""))
    if match is None:
        raise HoldNotFound()
    return match[1]


def seats_hold_chosen(*, flight_id: str, customer_id: str, seats: list[str]) -> Hold:
    flight_require_open(flight_id=flight_id)
    for seat in seats:
        seat_require_on_map(flight_id=flight_id, seat=seat)
    return clients.reservations().hold_create(flight_id=flight_id, customer_id=customer_id, seats=seats)


def seats_hold_party(*, flight_id: str, customer_id: str, party: int, prefer: list[str]) -> tuple[Hold, str]:
    """Hold the best block for the party (seat_suggest); a block taken meanwhile is suggested anew."""
    flight_require_open(flight_id=flight_id)
    layout = clients.flights().flight_entry(flight_id).layout
    unknown = set(prefer) - set(seat_suggest.SCORED_PREFERENCES) - set(seat_suggest.cabin_classes(layout))
    if unknown:
        allowed = [*seat_suggest.SCORED_PREFERENCES, *seat_suggest.cabin_classes(layout)]
        raise InvalidInput(
            f"prefer: {', '.join(sorted(unknown))} is not one of {', '.join(allowed)} on this flight."
        )
    reservations = clients.reservations()
    lost: set[str] = set()
    for _attempt in range(SUGGEST_ATTEMPTS):
        unavailable = {h["seat_no"] for h in reservations.seats_by_flight(flight_id)}
        unavailable |= {h["seat_no"] for h in reservations.holds_by_flight(flight_id)} | lost
        suggestion = seat_suggest.seats_suggest(
            layout=layout, unavailable=unavailable, party=party, prefer=prefer
        )
        if suggestion is None:
            where = " in the cabin asked for" if set(prefer) - set(seat_suggest.SCORED_PREFERENCES) else ""
            raise NoSeatsTogether(f"There are not {party} free seats on this flight{where}.")
        try:
            hold = reservations.hold_create(
                flight_id=flight_id, customer_id=customer_id, seats=suggestion.seats
            )
        except SeatTaken as exc:  # another hold won some of them between our read and our hold
            lost |= set(exc.extra.get("seats") or [])
            continue
        return hold, suggestion.arrangement
    raise SeatTaken("The seats kept being taken while we held them; try again.")


def hold_create(
    *,
    customer_id: str,
    flight_id: str,
    seats: list[str] | None = None,
    party: int | None = None,
    prefer: list[str] | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    """`POST /api/flights/{id}/holds` under the Idempotency-Key protocol (201 + the hold)."""
    flight_id = flight_id_clean(flight_id)
    chosen = [seat_clean(seat) for seat in seats] if seats else None
    prefer = sorted({p.lower() for p in prefer or []})

    def run() -> Outcome:
        if chosen is not None:
            hold = seats_hold_chosen(flight_id=flight_id, customer_id=customer_id, seats=chosen)
            arrangement = None
        else:
            hold, arrangement = seats_hold_party(
                flight_id=flight_id, customer_id=customer_id, party=int(party or 0), prefer=prefer
            )
        logger.info("seats held", extra={"flight_id": flight_id, "hold_id": hold["hold_id"]})
        return Outcome(201, hold_output(hold, arrangement))

    return idempotency.idempotent_run(
        customer_id=customer_id,
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint(
            operation="hold", flight_id=flight_id, seats=chosen, party=party, prefer=prefer
        ),
        run=run,
    )


def hold_read(*, customer_id: str, hold_id: str) -> dict[str, Any]:
    hold_flight_of(hold_id)
    return hold_output(clients.reservations().hold_get(hold_id=hold_id, customer_id=customer_id))


def hold_confirm(*, customer_id: str, hold_id: str, idempotency_key: str | None = None) -> Outcome:
    """`POST /api/holds/{id}/confirm`: the seats become your reservations (200 + the hold)."""
    flight_id = hold_flight_of(hold_id)

    def run() -> Outcome:
        reservations = clients.reservations()
        reservations.hold_get(hold_id=hold_id, customer_id=customer_id)  # not yours → 404 before the flight
        flight_require_open(flight_id=flight_id)
        hold = reservations.hold_confirm(hold_id=hold_id, customer_id=customer_id)
        logger.info("hold confirmed", extra={"flight_id": flight_id, "hold_id": hold_id})
        return Outcome(200, hold_output(hold))

    return idempotency.idempotent_run(
        customer_id=customer_id,
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint(operation="hold-confirm", hold_id=hold_id),
        run=run,
    )


def hold_release(*, customer_id: str, hold_id: str, idempotency_key: str | None = None) -> Outcome:
    """`DELETE /api/holds/{id}`: give the seats back (204; an expired or released hold too)."""
    hold_flight_of(hold_id)

    def run() -> Outcome:
        clients.reservations().hold_release(hold_id=hold_id, customer_id=customer_id)
        logger.info("hold released", extra={"hold_id": hold_id})
        return Outcome(204)

    return idempotency.idempotent_run(
        customer_id=customer_id,
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint(operation="hold-release", hold_id=hold_id),
        run=run,
    )
