"""The one HTTP client every upstream client is built on: transport, timeouts, retries, breakers, metrics.

- Transport is configuration: a URL → pooled keep-alive HTTP (gateway.clients.http, on urllib3); no
  URL → this process's own Django app through httpx.WSGITransport (settings.platform,
  `manage.py runserver` alone). Both answer with httpx.Response and raise httpx's errors.
- settings.GATEWAY_ROUTES_FILE, when set, picks a weighted target per request (canary / blue-green).
- Every call has connect and read timeouts; idempotent reads retry with jittered exponential backoff
  (tenacity); every (service, target) has a circuit breaker (ours, ADR 104); X-Request-ID travels along.
- Deadlines (skyway.deadline, ADR 80): inside a request, each try's timeouts are cut to what is
  left of the request's budget, a retry happens only when the rest still holds a full try after
  its backoff, the rest travels as X-Request-Budget-Ms, and a spent budget raises at once.
- Failures become gateway domain errors: UpstreamUnavailable (503 + Retry-After) or CircuitOpen.
"""

from __future__ import annotations

import contextvars
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler, get_script_name
from django.urls import set_script_prefix
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from gateway.clients import metrics
from gateway.clients.http import PooledHTTPClient
from gateway.errors import CircuitOpen, CredentialRefused, UpstreamError, UpstreamUnavailable
from skyway import deadline
from skyway.request_id import HEADER as REQUEST_ID_HEADER
from skyway.request_id import current_request_id
from skyway.routes import RouteTable, Target
from skyway.service_auth import HEADER as SERVICE_TOKEN_HEADER
from skyway.service_auth import outgoing_token

logger = logging.getLogger(__name__)
# httpx logs every request at INFO: on the gateway's hot path that is a JSON line per upstream call
# that the metrics and our own warnings already cover.
logging.getLogger("httpx").setLevel(logging.WARNING)

DEFAULT_TARGET = "default"
# The name of the target that answered, on every response (httpx.Response.extensions): the typed clients'
# business metrics count per target, as the upstream metrics do.
TARGET_EXTENSION = "skyway_target"
_POOL_SIZE = 64


# Shared by every request: upstream reads that run side by side (the seat chart's two, a list's
# flight details) run on it.
_executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="gateway-fanout")


def in_pool(fn: Callable[..., Any], *args: Any) -> Future:
    """Run fn on the shared pool with this request's context (its request id and deadline travel along)."""
    return _executor.submit(contextvars.copy_context().run, fn, *args)


class _NoCookies(httpx.Cookies):
    """A cookie jar that never stores anything."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class StatelessClient(httpx.Client):
    """httpx.Client without a cookie jar.

    One client serves every customer's calls, so a Set-Cookie from an upstream (a session or CSRF
    cookie of the in-process app, say) must never be replayed on later calls; skipping the jar also
    saves httpx's per-response cookie parsing on the seat chart's hot path.
    """

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        if cookies:
            raise ValueError("StatelessClient keeps no cookies.")


class InProcessWSGIHandler(WSGIHandler):
    """This process's Django app, called re-entrantly from inside a gateway request.

    Unlike WSGIHandler it sends neither request_started nor request_finished: their receiver
    close_old_connections would close the *outer* request's database connections (and break any
    transaction it holds) in the middle of that request. The outer request owns the connections.
    """

    def __call__(self, environ: dict, start_response: Any) -> list[bytes]:
        set_script_prefix(get_script_name(environ))
        request = self.request_class(environ)
        response = self.get_response(request)
        headers = [
            *response.items(),
            *(("Set-Cookie", cookie.OutputString()) for cookie in response.cookies.values()),
        ]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [b"".join(response)]


_in_process_app: InProcessWSGIHandler | None = None
_in_process_lock = threading.Lock()


def in_process_app() -> InProcessWSGIHandler:
    global _in_process_app
    with _in_process_lock:
        if _in_process_app is None:
            _in_process_app = InProcessWSGIHandler()
        return _in_process_app


def in_process_host() -> str:
    """A Host header this process accepts: 127.0.0.1 unless ALLOWED_HOSTS says otherwise."""
    allowed = [host for host in settings.ALLOWED_HOSTS if host not in {"*", ""} and not host.startswith(".")]
    if "*" in settings.ALLOWED_HOSTS or "127.0.0.1" in allowed or not allowed:
        return "127.0.0.1"
    return allowed[0]


class Breaker:
    """One upstream target's circuit breaker, on one clock and one lock (ADR 104).

    closed → open after ``fail_max`` consecutive failures; open rejects calls for ``reset_seconds``
    (``time.monotonic()``); then half-open admits **one** probe at a time (ADR 80) — the others keep
    being refused until its outcome is known, or until ``probe_seconds`` (a full try) pass without
    one; the probe's success closes the breaker, its failure re-opens it. The lock covers the state
    transitions only, never the HTTP call, so calls to a healthy upstream never queue behind each other.
    """

    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

    def __init__(
        self,
        name: str,
        fail_max: int,
        reset_seconds: float,
        probe_seconds: float = 0.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.name = name
        self._clock = clock  # None: time.monotonic, looked up per call (tests freeze it)
        self.fail_max = max(1, fail_max)
        self.reset_seconds = reset_seconds
        self.probe_seconds = probe_seconds
        self._state = self.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_until = 0.0
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        return self._state

    def _now(self) -> float:
        return self._clock() if self._clock is not None else time.monotonic()

    def open_for(self) -> float:
        """Seconds this breaker still rejects calls; 0 when a call may go through (closed, or the probe)."""
        if self._state == self.CLOSED:
            return 0.0
        with self._lock:
            now = self._now()
            if self._state == self.OPEN:
                wait = self._opened_at + self.reset_seconds - now
                if wait > 0:
                    return wait
                self._transition(self.HALF_OPEN)
            if self._state == self.HALF_OPEN:
                if now >= self._probe_until:  # this caller is the probe
                    self._probe_until = now + self.probe_seconds
                    return 0.0
                return self._probe_until - now
            return 0.0

    def record_success(self) -> None:
        """A call went well: closed stays closed (count reset); the probe's success closes it.

        A late answer to a call made before the breaker opened does not end the open period.
        """
        with self._lock:
            if self._state == self.OPEN:
                return
            self._failures = 0
            self._probe_until = 0.0
            if self._state == self.HALF_OPEN:
                self._transition(self.CLOSED)

    def record_failure(self, exc: BaseException) -> None:
        """A call failed: the ``fail_max``-th in a row opens the breaker, a failed probe re-opens it."""
        with self._lock:
            if self._state == self.OPEN:
                return  # a late failure neither stretches nor restarts the open period
            self._failures += 1
            self._probe_until = 0.0
            if self._state == self.HALF_OPEN or self._failures >= self.fail_max:
                self._opened_at = self._now()
                self._transition(self.OPEN)

    def _transition(self, state: str) -> None:
        self._state = state
        if state == self.OPEN:
            logger.warning("circuit breaker %s opened", self.name)
        else:
            logger.info("circuit breaker %s is %s", self.name, state)


def _credential_headers() -> dict[str, str]:
    """The internal services' credential (skyway.service_auth): the first of SERVICE_TOKENS."""
    token = outgoing_token()
    return {SERVICE_TOKEN_HEADER: token} if token else {}


def _retry_after(response: httpx.Response, default: int) -> int:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isascii() and value.isdigit() else default  # isdigit() alone takes "²"


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, UpstreamUnavailable) and not isinstance(exc, CircuitOpen)


class UpstreamClient:
    """Base of the typed clients: `request()` returns any response below 500 or raises a domain error."""

    service: str = ""
    url_setting: str = ""

    def __init__(self) -> None:
        self.default_target = Target(DEFAULT_TARGET, (getattr(settings, self.url_setting, None) or None), 1)
        routes_file = getattr(settings, "GATEWAY_ROUTES_FILE", None)
        self.routes = RouteTable(routes_file) if routes_file else None
        self.timeout = httpx.Timeout(
            connect=settings.UPSTREAM_CONNECT_TIMEOUT,
            read=settings.UPSTREAM_READ_TIMEOUT,
            write=settings.UPSTREAM_READ_TIMEOUT,
            pool=settings.UPSTREAM_CONNECT_TIMEOUT,
        )
        self.read_retries = settings.UPSTREAM_READ_RETRIES
        # One try at its longest: what the rest of a budget must still hold for a retry to be worth it.
        self.full_try_seconds = settings.UPSTREAM_CONNECT_TIMEOUT + settings.UPSTREAM_READ_TIMEOUT
        # Built once (tenacity keeps each call's state thread-local); building it per call cost ~0.25 ms.
        self._read_retrying = Retrying(
            stop=stop_after_attempt(self.read_retries + 1) | self._budget_spent_for_a_retry,
            wait=wait_exponential_jitter(multiplier=0.05, max=0.5, jitter=0.05),
            retry=retry_if_exception(_is_retryable),
            reraise=True,
            before_sleep=self._retry_log,
        )
        self.breaker_fail_max = settings.BREAKER_FAIL_MAX
        self.breaker_reset_seconds = settings.BREAKER_RESET_SECONDS
        self.unavailable_retry_after = max(1, math.ceil(settings.BREAKER_RESET_SECONDS))
        self._http: dict[str | None, httpx.Client] = {}
        self._breakers: dict[str, Breaker] = {}
        self._lock = threading.Lock()

    # -- targets -------------------------------------------------------------------------------

    def targets(self) -> list[Target]:
        """Every target this service may be routed to now (for health checks)."""
        routed = self.routes.targets(self.service) if self.routes else ()
        return list(routed) or [self.default_target]

    @property
    def in_process(self) -> bool:
        """True when every call goes through this process's own WSGI app (platform mode)."""
        return self.default_target.url is None and not (self.routes and self.routes.targets(self.service))

    def target_pick(self) -> Target:
        if self.routes is not None:
            picked = self.routes.pick(self.service)
            if picked is not None:
                return picked
        return self.default_target

    def breaker_for(self, target: Target) -> Breaker:
        breaker = self._breakers.get(target.name)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.setdefault(
                    target.name,
                    Breaker(
                        f"{self.service}:{target.name}",
                        self.breaker_fail_max,
                        self.breaker_reset_seconds,
                        probe_seconds=self.full_try_seconds,
                    ),
                )
        return breaker

    def http_for(self, target: Target) -> httpx.Client | PooledHTTPClient:
        client = self._http.get(target.url)
        if client is None:
            with self._lock:
                client = self._http.get(target.url)
                if client is None:
                    client = self._http[target.url] = self._http_build(target.url)
        return client

    def _http_build(self, url: str | None) -> httpx.Client | PooledHTTPClient:
        if url is None:
            return StatelessClient(
                transport=httpx.WSGITransport(app=in_process_app()),
                base_url=f"http://{in_process_host()}",
                timeout=self.timeout,
            )
        return PooledHTTPClient(url, timeout=self.timeout, maxsize=_POOL_SIZE)

    def close(self) -> None:
        with self._lock:
            for client in self._http.values():
                client.close()
            self._http.clear()

    # -- calls ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """One upstream call. Reads (GET/HEAD, or idempotent=True) are retried on outages only."""
        if idempotent is None:
            idempotent = method in {"GET", "HEAD"}
        left = deadline.remaining()
        if left is not None and left <= 0:
            raise self._out_of_budget()
        if not idempotent or self.read_retries <= 0:
            return self._attempt(method, path, params, json)
        return self._read_retrying(self._attempt, method, path, params, json)

    def _budget_spent_for_a_retry(self, state: RetryCallState) -> bool:
        """Stop retrying unless the budget still holds the backoff and a full try after it."""
        left = deadline.remaining()
        return left is not None and left - (state.upcoming_sleep or 0.0) < self.full_try_seconds

    def _out_of_budget(self) -> UpstreamUnavailable:
        return UpstreamUnavailable(
            self.service,
            f"The {self.service} service did not answer within this request's time budget; retry later.",
            retry_after=self.unavailable_retry_after,
        )

    def _timeout_within(self, left: float) -> httpx.Timeout:
        """This try's timeouts: the configured ones, cut to what is left of the request's budget."""
        connect, read = min(self.timeout.connect or left, left), min(self.timeout.read or left, left)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def _retry_log(self, state: RetryCallState) -> None:
        method, path = state.args[:2]
        exc = state.outcome.exception() if state.outcome else None
        logger.info("retrying %s %s %s after %s", self.service, method, path, exc)

    def _attempt(self, method: str, path: str, params: Mapping[str, str] | None, json: Any) -> httpx.Response:
        target = self.target_pick()
        breaker = self.breaker_for(target)
        wait = breaker.open_for()
        if wait > 0:
            metrics.record(self.service, target.name, "breaker_open")
            fallback = self._failover(target)
            if fallback is None:
                raise CircuitOpen(
                    self.service,
                    f"The {self.service} service is failing; its circuit breaker is open.",
                    retry_after=math.ceil(wait),
                )
            target, breaker = fallback, self.breaker_for(fallback)
        headers = {}
        request_id = current_request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        headers.update(_credential_headers())
        left = deadline.remaining()
        if left is not None:
            if left <= 0:
                raise self._out_of_budget()
            headers[deadline.HEADER] = deadline.header_value(left)
        started = time.perf_counter()
        try:
            # No budget → no timeout argument: httpx reads timeout=None as "never time out".
            within = {} if left is None else {"timeout": self._timeout_within(left)}
            response = self.http_for(target).request(
                method, path, params=params, json=json, headers=headers, **within
            )
        except httpx.TimeoutException as exc:
            self._failed(target, breaker, "timeout", started, exc)
            after = deadline.remaining()
            if after is not None and after <= 0.01:  # the try was cut short by the budget
                raise self._out_of_budget() from exc
            raise UpstreamUnavailable(
                self.service,
                f"The {self.service} service timed out.",
                retry_after=self.unavailable_retry_after,
            ) from exc
        except httpx.TransportError as exc:
            self._failed(target, breaker, "connection_error", started, exc)
            raise UpstreamUnavailable(
                self.service,
                f"The {self.service} service is unreachable.",
                retry_after=self.unavailable_retry_after,
            ) from exc
        elapsed = time.perf_counter() - started
        if response.status_code == 401:
            # Only the service-credential fence answers 401 (the contexts have no customer auth): the
            # gateway's own credential was refused — a deployment fault, never the customer's. The
            # upstream's wording stays in the log.
            metrics.record(self.service, target.name, "credential_refused", elapsed)
            breaker.record_failure(CredentialRefused(self.service))
            logger.error(
                "upstream %s:%s refused the gateway's service credential (%s %s): %s",
                self.service, target.name, method, path, self.description_of(response),
            )  # fmt: skip
            raise CredentialRefused(self.service, retry_after=self.unavailable_retry_after)
        if response.status_code >= 500:
            exc = UpstreamUnavailable(
                self.service,
                f"The {self.service} service failed ({response.status_code}); retry later.",
                retry_after=_retry_after(response, self.unavailable_retry_after),
            )
            metrics.record(self.service, target.name, "server_error", elapsed)
            breaker.record_failure(exc)
            logger.warning(
                "upstream %s:%s %s %s → %s", self.service, target.name, method, path, response.status_code
            )
            raise exc
        metrics.record(
            self.service, target.name, "success" if response.status_code < 400 else "client_error", elapsed
        )
        breaker.record_success()  # a 4xx is a business answer, not a sign of an unhealthy upstream
        response.extensions[TARGET_EXTENSION] = target.name
        return response

    def _failover(self, broken: Target) -> Target | None:
        """Another routed target whose breaker lets calls through (a failing canary sheds its share)."""
        if self.routes is None:
            return None
        healthy = [
            target
            for target in self.routes.targets(self.service)
            if target.weight > 0 and target.name != broken.name and self.breaker_for(target).open_for() == 0
        ]
        if not healthy:
            return None
        return random.choices(healthy, weights=[target.weight for target in healthy])[0]

    def _failed(self, target: Target, breaker: Breaker, outcome: str, started: float, exc: Exception) -> None:
        metrics.record(self.service, target.name, outcome, time.perf_counter() - started)
        breaker.record_failure(exc)
        logger.warning("upstream %s:%s %s: %s", self.service, target.name, outcome, exc)

    # -- helpers for the typed clients ---------------------------------------------------------

    def json_of(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise UpstreamError(
                self.service, f"The {self.service} service sent a body that is not JSON."
            ) from exc

    @staticmethod
    def description_of(response: httpx.Response) -> str:
        """The human message of the book's error envelope {"error", "description"}."""
        try:
            body = response.json()
        except ValueError:
            return response.text[:300] or response.reason_phrase
        if isinstance(body, dict):
            return str(body.get("description") or body.get("error") or body.get("detail") or body)[:300]
        return str(body)[:300]

    def ping(self, target: Target) -> None:
        """GET /ping on one target, bypassing routing and retries (health checks).

        It presents the service credential: /ping is open, but a presented credential is always
        checked, so a refused one shows here first (CredentialRefused → the gateway is unready).
        """
        response = self.http_for(target).get(
            "/ping",
            headers={REQUEST_ID_HEADER: current_request_id() or "health", **_credential_headers()},
        )
        if response.status_code == 401:
            raise CredentialRefused(self.service)
        if response.status_code >= 400:
            raise UpstreamError(self.service, f"GET /ping answered {response.status_code}.")
