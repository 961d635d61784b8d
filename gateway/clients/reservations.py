"""Client of the reservations context (book: ms-reservations): hold, release and list seats."""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import quote

from gateway.clients import metrics
from gateway.clients.base import DEFAULT_TARGET, TARGET_EXTENSION, UpstreamClient
from gateway.errors import (
    GatewayError,
    HoldConfirmed,
    HoldEnded,
    HoldExpired,
    HoldNotFound,
    HoldReleased,
    InvalidInput,
    NotYourReservation,
    ReservationNotFound,
    SeatLimitReached,
    SeatTaken,
    UpstreamError,
)


class SeatHolder(TypedDict):
    seat_no: str
    customer_id: str


class Reservation(TypedDict):
    flight_id: str
    seat_no: str
    customer_id: str


class Hold(TypedDict):
    hold_id: str
    flight_id: str
    customer_id: str
    seats: list[str]
    status: str
    created_at: str
    expires_at: str
    ended_at: str | None


class HeldSeat(TypedDict):
    seat_no: str
    customer_id: str
    hold_id: str
    expires_at: str


SEAT_LIMIT_REACHED = "Seat Limit Reached"  # the `error` of reservations' 409 for the seat limit
SEATS_UNAVAILABLE = "Seats Unavailable"  # a hold's 409: some seats reserved or held (`seats` names them)
_HOLD_ENDED = {"Hold Expired": HoldExpired, "Hold Released": HoldReleased, "Hold Confirmed": HoldConfirmed}


class ReservationsClient(UpstreamClient):
    service = "reservations"
    url_setting = "RESERVATIONS_URL"

    def seat_reserve(
        self,
        *,
        flight_id: str,
        seat: str,
        customer_id: str,
        operation: str | None = None,
        replaces: str | None = None,
    ) -> bool:
        """PUT /reservations; a seat someone holds → SeatTaken (the holder is not told to us).

        True when the customer holds the seat now. With an `operation` token (a saga step) the call is
        idempotent for that operation and is retried on outages like a read; False then means the
        customer holds the seat, but not through this operation (the saga must not count it as its own).
        The customer's seat limit on the flight reached → SeatLimitReached (``replaces``, a seat of the
        same flight released right after, does not count; ADR 75).
        """
        body = {"flight_id": flight_id, "customer_id": customer_id, "seat_num": seat}
        if operation:
            body["operation"] = operation
        if replaces is not None:
            body["replaces"] = replaces
        response = self.request("PUT", "/reservations", json=body, idempotent=bool(operation))
        target = response.extensions.get(TARGET_EXTENSION, DEFAULT_TARGET)
        if response.status_code == 403:
            metrics.reserve_record(target, self._refusal_checked(flight_id=flight_id, seat=seat))
            raise SeatTaken(f"Seat {seat} is already reserved.")
        metrics.reserve_record(target, "reserved" if response.status_code < 400 else "other")
        if response.status_code == 409 and self.error_of(response) == SEAT_LIMIT_REACHED:
            raise SeatLimitReached(f"Seat {seat} was not reserved: {self.description_of(response)}.")
        return self._held_through(response, operation)

    def _refusal_checked(self, *, flight_id: str, seat: str) -> str:
        """After a 403: is the seat held by anyone? One read, no retries, only on refusals (the rollout's
        business gate, docs/adr/0114). A seat released in between reads as free: rare, and the gate's
        threshold allows for it."""
        try:
            holders = self.request("GET", "/reservations", params={"flight_id": flight_id}, idempotent=False)
            held = any(
                str(item.get("seat_no", "")).upper() == seat.upper()
                for item in self._list(holders)
                if isinstance(item, dict)
            )
        except GatewayError:
            return "refused_unchecked"
        return "refused_held" if held else "refused_free"

    def seat_release(
        self, *, flight_id: str, seat: str, customer_id: str, operation: str | None = None
    ) -> bool:
        """DELETE one of the customer's seats; another's → NotYourReservation, none → ReservationNotFound.

        Not retried automatically: the saga decides what a failed release means. With an `operation`
        token only the reservation that operation made is released; False means the customer holds the
        seat otherwise (nothing was released).
        """
        params = {"customer_id": customer_id}
        if operation:
            params["operation"] = operation
        response = self.request(
            "DELETE", f"/reservations/{quote(flight_id, safe='')}/{quote(seat, safe='')}", params=params
        )
        if response.status_code == 403:
            raise NotYourReservation(f"Seat {seat} is held by another customer.")
        if response.status_code == 404:
            raise ReservationNotFound(f"You hold no reservation for seat {seat} on this flight.")
        return self._held_through(response, operation)

    def _held_through(self, response, operation: str | None) -> bool:
        """The rest of a reserve's or release's answers: a 409 with an operation → False (the customer
        holds the seat, not through it); another 4xx → InvalidInput; else True."""
        if response.status_code == 409 and operation:
            return False
        if response.status_code >= 400:
            raise InvalidInput(self.description_of(response))
        return True

    @staticmethod
    def error_of(response) -> str:
        """The `error` member of the book's envelope, or '' (other 409s carry `Conflict`)."""
        try:
            body = response.json()
        except ValueError:
            return ""
        return str(body.get("error", "")) if isinstance(body, dict) else ""

    def seat_held_by(self, *, flight_id: str, seat: str, customer_id: str) -> bool:
        """Whether the customer holds the seat now: one attempt, no retries (it follows a failed write,
        whose timeout already spent part of the request's budget)."""
        response = self.request("GET", "/reservations", params={"customer_id": customer_id}, idempotent=False)
        return any(
            str(item.get("flight_id")) == flight_id and str(item.get("seat_no", "")).upper() == seat
            for item in self._list(response)
            if isinstance(item, dict)
        )

    def seats_by_flight(self, flight_id: str) -> list[SeatHolder]:
        response = self.request("GET", "/reservations", params={"flight_id": flight_id})
        body = self._list(response)
        return [
            {"seat_no": str(item["seat_no"]), "customer_id": str(item["customer_id"])}
            for item in body
            if isinstance(item, dict) and "seat_no" in item and "customer_id" in item
        ]

    def seats_by_flight_at(self, flight_id: str, at: str) -> list[SeatHolder]:
        """The flight's seats as they were at the RFC 3339 instant ``at`` (staff's history read).

        The service's 400 (a malformed or future instant) and 410 (before what event retention kept)
        come back as InvalidInput with the service's own description, which names what to change.
        """
        response = self.request("GET", "/reservations/history", params={"flight_id": flight_id, "at": at})
        return [
            {"seat_no": str(item["seat_no"]), "customer_id": str(item["customer_id"])}
            for item in self._list(response)
            if isinstance(item, dict) and "seat_no" in item and "customer_id" in item
        ]

    def seats_by_customer(self, customer_id: str) -> list[Reservation]:
        response = self.request("GET", "/reservations", params={"customer_id": customer_id})
        body = self._list(response)
        return [
            {
                "flight_id": str(item["flight_id"]),
                "seat_no": str(item["seat_no"]),
                "customer_id": str(item.get("customer_id", customer_id)),
            }
            for item in body
            if isinstance(item, dict) and "seat_no" in item and "flight_id" in item
        ]

    def _list(self, response) -> list:
        if response.status_code >= 400:
            raise InvalidInput(self.description_of(response))
        body = self.json_of(response)
        if not isinstance(body, list):
            raise UpstreamError(self.service, "The reservations service sent an unexpected list.")
        return body

    # -- seat holds (docs/adr/0142) ------------------------------------------------------------------

    def hold_create(self, *, flight_id: str, customer_id: str, seats: list[str]) -> Hold:
        """POST /reservations/holds: every seat or none. Some taken → SeatTaken with ``seats``; past the
        seat limit (held and reserved seats count) → SeatLimitReached. Not retried (not idempotent)."""
        response = self.request(
            "POST",
            "/reservations/holds",
            json={"flight_id": flight_id, "customer_id": customer_id, "seats": seats},
        )
        if response.status_code == 409:
            error = self.error_of(response)
            if error == SEATS_UNAVAILABLE:
                taken = [str(seat) for seat in (self.json_of(response).get("seats") or [])]
                noun = "Seat" if len(taken) == 1 else "Seats"
                raise SeatTaken(
                    f"{noun} {', '.join(taken)} {'is' if len(taken) == 1 else 'are'} already reserved or "
                    "held; nothing was held.",
                    seats=taken,
                )
            if error == SEAT_LIMIT_REACHED:
                raise SeatLimitReached(f"The seats were not held: {self.description_of(response)}.")
        return self._hold(response)

    def hold_get(self, *, hold_id: str, customer_id: str) -> Hold:
        return self._hold_call("GET", hold_id, params={"customer_id": customer_id})

    def hold_confirm(self, *, hold_id: str, customer_id: str) -> Hold:
        """Confirming is idempotent (a confirmed hold confirms again), so an outage is retried."""
        return self._hold_call(
            "POST", hold_id, "/confirm", json={"customer_id": customer_id}, idempotent=True
        )

    def hold_release(self, *, hold_id: str, customer_id: str) -> Hold:
        """Releasing is idempotent (released or expired already answers the hold), so it is retried."""
        return self._hold_call("DELETE", hold_id, params={"customer_id": customer_id}, idempotent=True)

    def _hold_call(self, method: str, hold_id: str, action: str = "", **request: Any) -> Hold:
        """One call on /reservations/holds/<hold_id>[action], answered by the hold (or its refusal)."""
        return self._hold(
            self.request(method, f"/reservations/holds/{quote(hold_id, safe='')}{action}", **request)
        )

    def holds_by_flight(self, flight_id: str) -> list[HeldSeat]:
        """The flight's seats in live holds (GET /reservations/holds?flight_id=; the book's list has
        reserved seats only)."""
        body = self._list(self.request("GET", "/reservations/holds", params={"flight_id": flight_id}))
        return [
            {
                "seat_no": str(item["seat_no"]),
                "customer_id": str(item["customer_id"]),
                "hold_id": str(item["hold_id"]),
                "expires_at": str(item["expires_at"]),
            }
            for item in body
            if isinstance(item, dict) and {"seat_no", "customer_id", "hold_id", "expires_at"} <= set(item)
        ]

    def _hold(self, response) -> Hold:
        if response.status_code == 404:
            raise HoldNotFound()
        if response.status_code == 409:
            raise _HOLD_ENDED.get(self.error_of(response), HoldEnded)()
        if response.status_code >= 400:
            raise InvalidInput(self.description_of(response))
        body = self.json_of(response)
        if not isinstance(body, dict) or not {"hold_id", "flight_id", "seats", "status", "expires_at"} <= set(
            body
        ):
            raise UpstreamError(self.service, "The reservations service sent an unexpected hold.")
        return body  # type: ignore[return-value]
