"""A customer's calls on the gateway's API in platform-mode tests, through a DRF APIClient.

The gateway and security suites make the same reserve, move and "what do I hold" calls; one copy here
keeps their request shapes in step with the API.
"""

from __future__ import annotations

from rest_framework.test import APIClient


def reserve(client: APIClient, flight_id: str, seat: str, **headers: str):
    return client.post(
        f"/api/flights/{flight_id}/reservations", {"seat": seat}, format="json", headers=headers
    )


def move(client: APIClient, from_flight: str, from_seat: str, to_flight: str, to_seat: str, **headers: str):
    body = {
        "from_flight_id": from_flight,
        "from_seat": from_seat,
        "to_flight_id": to_flight,
        "to_seat": to_seat,
    }
    return client.post("/api/reservations/move", body, format="json", headers=headers)


def held(client: APIClient) -> set[tuple[str, str]]:
    """The (flight_id, seat) pairs the customer holds, as the gateway lists them."""
    return {(item["flight_id"], item["seat"]) for item in client.get("/api/reservations").json()}
