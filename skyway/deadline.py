"""Deadlines end to end: every request has a time budget, and the rest of it travels upstream.

The gateway gives each customer request settings.REQUEST_BUDGET_SECONDS (3 s by default, well under
a browser's patience); the gateway's clients fit every upstream call (connect, read, retries and
backoff together) into what is left and send it along as ``X-Request-Budget-Ms`` (milliseconds
left, relative, so no clocks need to agree). Every deployable mounts DeadlineMiddleware: a request
whose header says the budget is spent is answered 503 (its door's envelope) before any work starts,
and code below can ask remaining() (a context variable, copied into the seat chart's fan-out
threads). The budget is the smaller of the header's and this process's own. See ADR 80.

Only the internal services honour the header: they sit behind the service credential, so their
caller is the gateway. The public door ignores it (a customer cannot make the gateway give up on
work, or treat a made-up header as an outage); a request that re-enters this process (platform
mode's in-process upstream calls) keeps the deadline it already runs under.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from skyway.errors import ApplicationError, error_http_response
from skyway.service_auth import EVERYTHING

HEADER = "X-Request-Budget-Ms"
_META_KEY = "HTTP_X_REQUEST_BUDGET_MS"
_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)
clock: Callable[[], float] = time.monotonic  # replaced in tests that need a clock they drive


class DeadlineExceeded(ApplicationError):
    status_code = 503
    default_code = "deadline_exceeded"
    default_detail = "The caller's time budget was spent before this service started."
    title = "Time budget spent"
    retry_after = 1


def remaining() -> float | None:
    """Seconds left of the current request's budget (may be negative); None outside a request."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - clock()


def header_value(left: float) -> str:
    """The header's value for ``left`` seconds: whole milliseconds, rounded down, never negative."""
    return str(max(0, math.floor(left * 1000)))


@contextlib.contextmanager
def bound(seconds: float) -> Iterator[None]:
    """Run the block under a deadline ``seconds`` from now (the middleware's, or a command's)."""
    token = _deadline.set(clock() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _budget_of(request: HttpRequest) -> float | None:
    budgets = [settings.REQUEST_BUDGET_SECONDS or None, remaining()]
    if settings.SERVICE_AUTH_REQUIRED_FOR == EVERYTHING:  # an internal service: the caller is the gateway
        raw = request.META.get(_META_KEY, "")
        budgets.append(int(raw) / 1000 if raw.isascii() and raw.isdigit() else None)
    known = [budget for budget in budgets if budget is not None]
    return min(known) if known else None


class DeadlineMiddleware:
    """Binds the request's deadline; refuses work that nobody waits for any more."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        budget = _budget_of(request)
        if budget is None:
            return self.get_response(request)
        if budget <= 0:
            return error_http_response(DeadlineExceeded(), request)  # the door's envelope
        with bound(budget):
            return self.get_response(request)
