"""The base of every reservations API view: an internal service, JSON only, the book's error envelope."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from reservations.api.errors import reservations_exception_handler


class JSONOnly(BaseContentNegotiation):
    """This internal API speaks JSON only: skip Accept/Content-Type negotiation on every request."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReservationsApiView(APIView):
    """Base of every reservations view: no auth, JSON only, the book's error envelope."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def get_exception_handler(self) -> Callable:
        return reservations_exception_handler
