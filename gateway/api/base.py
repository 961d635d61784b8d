"""The gateway API's base view: its own authentication and permissions; errors are problem+json (skyway.errors, by its /api/ path)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework import parsers
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from gateway.api.renderers import FastJSONRenderer
from gateway.idempotency import Outcome
from skyway import login_throttle
from skyway.errors import error_headers, problem_document, problem_response

REPLAYED_HEADER = "Idempotent-Replayed"


@cache
def _authentication_classes(paths: tuple[str, ...]) -> list[type[BaseAuthentication]]:
    return [import_string(path) for path in paths]


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing absurdly deep nesting as bad input instead of a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc


class GatewayApiView(APIView):
    """Customer-facing endpoint: token or session auth (settings.REST_FRAMEWORK_GATEWAY_AUTH)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
    renderer_classes = [FastJSONRenderer, BrowsableAPIRenderer]

    def get_authenticators(self) -> list[BaseAuthentication]:
        classes = _authentication_classes(tuple(settings.REST_FRAMEWORK_GATEWAY_AUTH))
        return [cls() for cls in classes]


class InputFormMixin:
    """Exposes the view's Input serializer as ``get_serializer()``, so the browsable API draws a form
    with real fields. The view itself still validates with its Input class; nothing else reads this."""

    input_serializer: type[Serializer]

    def get_serializer(self, *args: object, **kwargs: object) -> Serializer:
        kwargs.setdefault("context", {"request": getattr(self, "request", None), "view": self})
        return self.input_serializer(*args, **kwargs)

    def validated_input(self, request: Request) -> dict[str, Any]:
        """The request body as the Input serializer cleaned it; invalid input is a 400 problem."""
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data


def outcome_response(request: Request, outcome: Outcome) -> Response:
    """Render a mutating call's outcome: its body, or its error as a problem; replays are marked."""
    headers = {REPLAYED_HEADER: "true"} if outcome.replayed else {}
    if outcome.error is not None:
        error = outcome.error
        body = problem_document(error, request.path)
        return problem_response(request, body, {**error_headers(error), **headers})
    return Response(outcome.body, status=outcome.status_code, headers=headers or None)


def command_response(request: Request, command: Callable[..., Outcome], **arguments: Any) -> Response:
    """Run one of the customer's idempotent writes, as them and under the request's Idempotency-Key,
    and render its outcome."""
    outcome = command(
        customer_id=customer_id_of(request),
        idempotency_key=request.headers.get("Idempotency-Key"),
        **arguments,
    )
    return outcome_response(request, outcome)


def customer_id_of(request: Request) -> str:
    """The customer's id: the authenticated user's primary key, never anything from the request."""
    return str(request.user.pk)


class AuthRateThrottle(BaseThrottle):
    """Per-address brake on credential checks: shared counts, client address via trusted proxies only."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.refusal = login_throttle.address_attempt(request, scope="api")
        return self.refusal is None

    def wait(self) -> float | None:
        return self.refusal.retry_after if self.refusal is not None else None
