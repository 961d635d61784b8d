"""Client of the flights context (book: ms-flights): flight lookup, seat maps, and their cache.

The client keeps, per flight, the seat map, its layout in the gateway's shape and the flight's
departure (`flight_entry`): one per-process TTL cache, owned here because only this client reads
flights, and rebuilt with the client (`gateway.clients.clients_reset`, GATEWAY_SEAT_MAP_TTL).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, NamedTuple, NotRequired, TypedDict
from urllib.parse import quote

from django.conf import settings

from gateway.clients.base import UpstreamClient, in_pool
from gateway.errors import FlightNotFound, GatewayError, InvalidInput, UpstreamError
from gateway.local_cache import LocalTTLCache

logger = logging.getLogger(__name__)


class Flight(TypedDict):
    flight_id: str
    flight_no: str
    departure: str
    origin_code: str
    destination_code: str
    aircraft: NotRequired[str]


class SeatMap(TypedDict):
    """The book's IATA-like seat map: {"Cabin": [{firstRow, lastRow, Wing, CabinClass, Column, Row}]}."""

    Cabin: list[dict[str, Any]]


_FLIGHT_KEYS = ("flight_id", "flight_no", "departure", "origin_code", "destination_code")


class FlightEntry(NamedTuple):
    """What the gateway keeps per flight: its seat map, the chart's layout, and the flight (departure)."""

    seat_map: SeatMap
    layout: list[dict[str, Any]]
    flight: Flight
    departure: datetime


class FlightsClient(UpstreamClient):
    """The flights context's API, with a per-process TTL cache of each flight's entry (bounded).

    The departure rides along with the seat map (one entry, one TTL): a reserve, cancel or move of a
    flight whose chart was just read needs no further flights call, and the departed-flight guard
    compares the cached departure with the clock on every call, so caching never keeps a departed
    flight open (only a rescheduled departure is seen up to one TTL late; ADR 0076).
    """

    service = "flights"
    url_setting = "FLIGHTS_URL"
    CACHE_MAX_ENTRIES = 2048

    def __init__(self) -> None:
        super().__init__()
        self._entries: LocalTTLCache[FlightEntry] = LocalTTLCache(self.CACHE_MAX_ENTRIES)

    # -- the cached entry ----------------------------------------------------------------------

    def flight_entry_fresh(self, flight_id: str) -> FlightEntry | None:
        """The cached entry while it is fresh, else None (no upstream call)."""
        return self._entries.get(flight_id) if settings.GATEWAY_SEAT_MAP_TTL > 0 else None

    def flight_entry(self, flight_id: str) -> FlightEntry:
        """The flight's entry: from the cache while fresh, else two upstream reads (unknown → FlightNotFound)."""
        cached = self.flight_entry_fresh(flight_id)
        if cached is not None:
            return cached
        seat_map = self.seat_map_get(flight_id)  # unknown flights are not cached
        flight = self.flight_get(flight_id)
        entry = FlightEntry(seat_map, seat_layout_of(seat_map), flight, _departure_of(flight))
        if settings.GATEWAY_SEAT_MAP_TTL > 0:
            self._entries.put(flight_id, entry, settings.GATEWAY_SEAT_MAP_TTL)
        return entry

    def close(self) -> None:
        self._entries.clear()
        super().close()

    # -- calls ---------------------------------------------------------------------------------

    def flights_search(
        self,
        *,
        flight_no: str | None = None,
        date: str | None = None,
        departure_date_time: str | None = None,
        origin_code: str | None = None,
        destination_code: str | None = None,
    ) -> list[Flight]:
        # The book's lookup is flight_no + departure_date_time (a minute or a whole day); the
        # extension finds flights by date and/or route without a flight number.
        params: dict[str, str] = {}
        if flight_no:
            params["flight_no"] = flight_no
            if departure_date_time or date:
                params["departure_date_time"] = departure_date_time or date or ""
        elif date:
            params["date"] = date
        if origin_code:
            params["origin_code"] = origin_code
        if destination_code:
            params["destination_code"] = destination_code
        response = self.request("GET", "/flights", params=params)
        if response.status_code == 404:
            return []
        if response.status_code >= 400:
            raise InvalidInput(self.description_of(response))
        body = self.json_of(response)
        if not isinstance(body, list):
            raise UpstreamError(self.service, "The flights service sent an unexpected flight list.")
        return [self._flight(item) for item in body]

    def flight_get(self, flight_id: str) -> Flight:
        response = self._flight_read(f"/flights/{quote(flight_id, safe='')}", flight_id)
        return self._flight(self.json_of(response))

    def flights_get_many(self, flight_ids: list[str]) -> dict[str, Flight | None]:
        """Several flights by id; one that vanished or an outage leaves None (a list is not failed by it).

        Over the network the reads run side by side on the shared pool; in-process they query this
        thread's database connection (and hold the GIL), so they run one after another here.
        """
        if self.in_process:
            return {flight_id: self._flight_or_none(flight_id) for flight_id in flight_ids}
        futures = {flight_id: in_pool(self._flight_or_none, flight_id) for flight_id in flight_ids}
        return {flight_id: future.result() for flight_id, future in futures.items()}

    def _flight_or_none(self, flight_id: str) -> Flight | None:
        try:
            return self.flight_get(flight_id)
        except GatewayError as exc:
            logger.warning("flight %s not read: %s", flight_id, exc)
            return None

    def seat_map_get(self, flight_id: str) -> SeatMap:
        response = self._flight_read(f"/flights/{quote(flight_id, safe='')}/seat_map", flight_id)
        body = self.json_of(response)
        if not isinstance(body, dict) or not isinstance(body.get("Cabin"), list):
            raise UpstreamError(self.service, "The flights service sent a seat map without cabins.")
        return body  # type: ignore[return-value]

    def _flight_read(self, path: str, flight_id: str) -> Any:
        """GET one flight's resource; an id flights does not know (or refuses) → FlightNotFound."""
        response = self.request("GET", path)
        if response.status_code in {400, 404}:
            raise FlightNotFound(f"No flight with id {flight_id}.")
        if response.status_code >= 400:
            raise UpstreamError(self.service, self.description_of(response))
        return response

    def _flight(self, item: Any) -> Flight:
        if not isinstance(item, dict) or any(key not in item for key in _FLIGHT_KEYS):
            raise UpstreamError(
                self.service, "The flights service sent a flight without its identifying fields."
            )
        flight: Flight = {key: str(item[key]) for key in _FLIGHT_KEYS}  # type: ignore[assignment]
        if item.get("aircraft"):
            flight["aircraft"] = str(item["aircraft"])
        return flight


def _departure_of(flight: Flight) -> datetime:
    try:
        departure = datetime.fromisoformat(flight["departure"])
    except ValueError as exc:
        raise UpstreamError("flights", "The flights service sent a departure that is not a date.") from exc
    return departure if departure.tzinfo else departure.replace(tzinfo=UTC)


# -- the seat map in the gateway's shape ---------------------------------------------------------


def _characteristics(
    column_traits: list[str], seat: dict, row_no: int, wing: tuple[int, int] | None
) -> list[str]:
    traits = [
        trait.lower() for trait in column_traits if trait.lower() in {"window", "aisle", "middle", "center"}
    ]
    if seat.get("exitRowInd"):
        traits.append("exit")
    if seat.get("premiumInd"):
        traits.append("premium")
    if seat.get("restrictedReclineInd"):
        traits.append("restricted_recline")
    if seat.get("noInfantInd"):
        traits.append("no_infant")
    if wing and wing[0] <= row_no <= wing[1]:
        traits.append("wing")
    return traits


def seat_layout_of(seat_map: SeatMap) -> list[dict[str, Any]]:
    """The book's seat map as the gateway's chart shape: cabins → rows → seats with characteristics.

    No status yet (gateway.seat_charts adds it per request); computed once per cached entry.
    """
    cabins = []
    for cabin in seat_map.get("Cabin", []):
        columns_raw = cabin.get("Column") or []
        traits_by_letter = {col.get("Column"): list(col.get("Characteristics") or []) for col in columns_raw}
        columns = []
        for index, col in enumerate(columns_raw):
            nxt = columns_raw[index + 1] if index + 1 < len(columns_raw) else None
            aisle_after = bool(
                nxt
                and "Aisle" in (col.get("Characteristics") or [])
                and "Aisle" in (nxt.get("Characteristics") or [])
            )
            columns.append({"letter": col.get("Column"), "aisle_after": aisle_after})
        wing_raw = cabin.get("Wing")
        wing = (int(wing_raw["firstRow"]), int(wing_raw["lastRow"])) if isinstance(wing_raw, dict) else None
        rows = []
        for row in cabin.get("Row") or []:
            row_no = int(row["RowNumber"])
            seats = [
                {
                    "seat": f"{row_no}{seat['Number']}",
                    "column": seat["Number"],
                    "characteristics": _characteristics(
                        traits_by_letter.get(seat["Number"], []), seat, row_no, wing
                    ),
                    "facilities": [
                        str((facility.get("Detail") or {}).get("content"))
                        for facility in seat.get("Facilities") or []
                        if isinstance(facility, dict)
                    ],
                }
                for seat in row.get("Seat") or []
            ]
            rows.append(
                {
                    "number": row_no,
                    "exit": any(seat.get("exitRowInd") for seat in row.get("Seat") or []),
                    "wing": bool(wing and wing[0] <= row_no <= wing[1]),
                    "seats": seats,
                }
            )
        cabins.append(
            {
                "cabin_class": (cabin.get("CabinClass") or {}).get("CabinType", "Economy"),
                "first_row": cabin.get("firstRow"),
                "last_row": cabin.get("lastRow"),
                "wing": {"first_row": wing[0], "last_row": wing[1]} if wing else None,
                "columns": columns,
                "rows": rows,
            }
        )
    return cabins


def seat_on_map(seat_map: SeatMap, seat: str) -> bool:
    return any(
        f"{row.get('RowNumber')}{item.get('Number')}" == seat
        for cabin in seat_map.get("Cabin", [])
        for row in cabin.get("Row") or []
        for item in row.get("Seat") or []
    )
