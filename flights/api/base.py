"""The base of every flights API view: an internal service with the book's error envelope."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from flights.api.errors import flights_exception_handler


class FlightsApiView(APIView):
    # Internal service: only the gateway reaches it (NetworkPolicy in a cluster); it has no users.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_exception_handler(self) -> Callable:
        return flights_exception_handler
