"""Client of the flights context (book: ms-flights): flight lookup and seat maps."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict
from urllib.parse import quote

from gateway.clients.base import UpstreamClient
from gateway.errors import FlightNotFound, InvalidInput, UpstreamError


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


class FlightsClient(UpstreamClient):
    service = "flights"
    url_setting = "FLIGHTS_URL"

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
        response = self.request("GET", f"/flights/{quote(flight_id, safe='')}")
        if response.status_code in {400, 404}:
            raise FlightNotFound(f"No flight with id {flight_id}.")
        if response.status_code >= 400:
            raise UpstreamError(self.service, self.description_of(response))
        return self._flight(self.json_of(response))

    def seat_map_get(self, flight_id: str) -> SeatMap:
        response = self.request("GET", f"/flights/{quote(flight_id, safe='')}/seat_map")
        if response.status_code in {400, 404}:
            raise FlightNotFound(f"No flight with id {flight_id}.")
        if response.status_code >= 400:
            raise UpstreamError(self.service, self.description_of(response))
        body = self.json_of(response)
        if not isinstance(body, dict) or not isinstance(body.get("Cabin"), list):
            raise UpstreamError(self.service, "The flights service sent a seat map without cabins.")
        return body  # type: ignore[return-value]

    def _flight(self, item: Any) -> Flight:
        if not isinstance(item, dict) or any(key not in item for key in _FLIGHT_KEYS):
            raise UpstreamError(
                self.service, "The flights service sent a flight without its identifying fields."
            )
        flight: Flight = {key: str(item[key]) for key in _FLIGHT_KEYS}  # type: ignore[assignment]
        if item.get("aircraft"):
            flight["aircraft"] = str(item["aircraft"])
        return flight
