"""Prometheus metrics and contact tracking, owned by the composition root (no global registry)."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

from bot.ratelimit import PriorityRateLimiter
from plantid import UsageInfo
from storage.operations import OperationsStore, StateCount

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Photo -> status message is meant to take a second or two; a result waits on Telegram only.
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass
class Contact:
    """When a remote service last answered, and since when it has been failing, if it is."""

    last_success: float | None = None
    failing_since: float | None = None
    last_failure: str | None = None

    def succeeded(self, now: float) -> None:
        """Record an answer from the service."""
        self.last_success = now
        self.failing_since = None

    def failed(self, now: float, reason: str) -> None:
        """Record a request that got no usable answer."""
        if self.failing_since is None:
            self.failing_since = now
        self.last_failure = reason


def plantid_endpoint(path: str, base_path: str) -> str:
    """Name the Plant.id endpoint of a request path, without ids (bounded label values)."""
    relative = path[len(base_path) :] if path.startswith(base_path) else path
    parts = [part for part in relative.split("/") if part and not part.isdigit()]
    return "/".join(parts) or "unknown"


def _environment_proxy(url: str) -> str | None:
    """Return the proxy the environment sets for `url`, as httpx itself would honour it."""
    host = httpx.URL(url).host
    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(httpx.URL(url).scheme) or proxies.get("all")


class MeteredTransport(httpx.AsyncBaseTransport):
    """Count each Plant.id request by endpoint and status, and track the last contact."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        base_path: str,
        requests: Counter,
        contact: Contact,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._inner = inner
        self._base_path = base_path.rstrip("/")
        self._requests = requests
        self._contact = contact
        self._clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request through the wrapped transport, counting how it ended."""
        endpoint = plantid_endpoint(request.url.path, self._base_path)
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError as error:
            self._requests.labels(endpoint=endpoint, status="error").inc()
            self._contact.failed(self._clock(), type(error).__name__)
            raise
        self._requests.labels(endpoint=endpoint, status=str(response.status_code)).inc()
        if response.status_code >= 500:
            self._contact.failed(self._clock(), f"HTTP {response.status_code}")
        else:
            self._contact.succeeded(self._clock())
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


class ObservedRequest(HTTPXRequest):
    """PTB's HTTPX request that remembers when Telegram last answered."""

    def __init__(
        self, contact: Contact, *, clock: Callable[[], float] = time.time, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._contact = contact
        self._clock = clock

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Send one Bot API request, recording whether Telegram answered it."""
        try:
            status, payload = await super().do_request(*args, **kwargs)
        except NetworkError as error:
            self._contact.failed(self._clock(), type(error).__name__)
            raise
        if status >= 500:
            self._contact.failed(self._clock(), f"HTTP {status}")
        else:
            self._contact.succeeded(self._clock())
        return status, payload


class CountingRateLimiter(PriorityRateLimiter):
    """The bot's rate limiter that also tells how many Bot API calls are waiting in it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.waiting = 0

    async def process_request(
        self,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Run the request through the limiter, counting it as waiting until it is sent."""
        started = False

        async def send(*call_args: Any, **call_kwargs: Any) -> Any:
            nonlocal started
            if not started:
                started = True
                self.waiting -= 1
            return await callback(*call_args, **call_kwargs)

        self.waiting += 1
        try:
            return await super().process_request(
                send, args, kwargs, endpoint, data, rate_limit_args
            )
        finally:
            if not started:
                self.waiting -= 1


class _StoredFigures(Collector):
    """Expose the counts read from the database at the last scrape."""

    def __init__(self) -> None:
        self.states: Sequence[StateCount] = ()
        self.inbox: int | None = None

    def collect(self) -> Iterable[Metric]:
        """Yield the identifications per state and outcome and the update inbox's size."""
        family = GaugeMetricFamily(
            "plantbot_identifications",
            "Stored identifications by state and outcome.",
            labels=["state", "outcome"],
        )
        for count in self.states:
            family.add_metric([count.state, count.outcome], count.count)
        yield family
        if self.inbox is not None:
            yield GaugeMetricFamily(
                "plantbot_telegram_inbox_updates",
                "Telegram updates stored but not yet handled.",
                value=self.inbox,
            )


class Metrics:
    """Every instrument of the bot, registered in one registry made for this bot."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        self._clock = clock
        self.plantid_requests = Counter(
            "plantbot_plantid_requests",
            "Plant.id HTTP requests by endpoint and status (error: no answer).",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.telegram_errors = Counter(
            "plantbot_telegram_errors",
            "Telegram errors met by the identification flow, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.photo_to_status = Histogram(
            "plantbot_photo_to_status_seconds",
            "Seconds from a photo's arrival to the bot's status reply.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ready_to_shown = Histogram(
            "plantbot_ready_to_shown_seconds",
            "Seconds from Plant.id's finished result to the result shown in Telegram.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.credits_left = Gauge(
            "plantbot_plantid_credits_left",
            "Plant.id credits left on the key (the tightest limit), as last checked.",
            registry=self.registry,
        )
        self.credits_left.set(float("nan"))
        self.rate_limiter_waiting = Gauge(
            "plantbot_telegram_rate_limiter_waiting",
            "Bot API calls waiting in the rate limiter.",
            registry=self.registry,
        )
        self.plantid_contact = Contact()
        self.telegram_contact = Contact()
        self._stored = _StoredFigures()
        self.registry.register(self._stored)
        started = clock()
        self._status_watermark = started
        self._shown_watermark = started

    def telegram_error(self, kind: str) -> None:
        """Count one Telegram error of `kind`."""
        self.telegram_errors.labels(kind=kind).inc()

    def watch_rate_limiter(self, limiter: CountingRateLimiter) -> None:
        """Report how many calls wait in `limiter`."""
        self.rate_limiter_waiting.set_function(lambda: float(limiter.waiting))

    def plantid_transport(
        self, base_url: str, inner: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncBaseTransport:
        """Wrap the Plant.id transport (default: a plain one honouring the proxy environment)."""
        if inner is None:
            inner = httpx.AsyncHTTPTransport(proxy=_environment_proxy(base_url))
        return MeteredTransport(
            inner,
            base_path=httpx.URL(base_url).path,
            requests=self.plantid_requests,
            contact=self.plantid_contact,
            clock=self._clock,
        )

    def set_credits(self, usage: UsageInfo) -> None:
        """Record the credits left from a `usage_info` answer (NaN: unlimited)."""
        left = credits_left(usage)
        self.credits_left.set(float("nan") if left is None else left)

    async def refresh(self, store: OperationsStore) -> None:
        """Read the figures kept in the database, and the latencies new since the last read."""
        self._stored.states = await store.state_counts()
        self._stored.inbox = await store.inbox_size()
        latencies = await store.latencies_since(self._status_watermark, self._shown_watermark)
        for seconds in latencies.photo_to_status:
            self.photo_to_status.observe(seconds)
        for seconds in latencies.ready_to_shown:
            self.ready_to_shown.observe(seconds)
        self._status_watermark = latencies.status_watermark
        self._shown_watermark = latencies.shown_watermark

    def exposition(self) -> bytes:
        """Return every metric in Prometheus' text format."""
        return generate_latest(self.registry)


def credits_left(usage: UsageInfo) -> float | None:
    """Return the tightest `remaining_*` figure of a usage_info answer (None: no limit)."""
    figures = [
        float(value)
        for value in (
            usage.remaining_day,
            usage.remaining_week,
            usage.remaining_month,
            usage.remaining_total,
        )
        if value is not None
    ]
    return min(figures) if figures else None
