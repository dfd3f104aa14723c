"""The bot's HTTP side: Telegram's webhook, Plant.id's callbacks, /healthz and /metrics.

Path layout: WEBHOOK_URL is the public base (`https://bot.example.org` or with a path prefix,
`https://example.org/plantbot`); Telegram posts to `<WEBHOOK_URL>/telegram` and Plant.id to
`<WEBHOOK_URL>/plantid/callback/<token>`, and the server listens on those same paths, so a reverse
proxy forwards them unchanged. `/healthz` and `/metrics` are served at the root, for the local
health check and a scraper; a proxy should not publish them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import socket
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.health import HealthCheck
from bot.metrics import CONTENT_TYPE, Contact, Metrics
from storage.operations import OperationsStore

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_PATH = "/telegram"
CALLBACK_PATH = "/plantid/callback"
# Tokens are made by `secrets.token_urlsafe(24)`; anything else is refused before the database.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class UpdateStore(Protocol):
    """Where webhook updates go; `bot.inbox.UpdateInbox` is the real one."""

    async def store(self, payloads: Sequence[Mapping[str, Any]], *, now: float) -> None: ...


@dataclass(frozen=True)
class TelegramWebhook:
    """Receive Telegram updates at `path`, only with the secret, into `store`."""

    path: str
    secret: str
    store: UpdateStore
    contact: Contact


@dataclass(frozen=True)
class PlantIdCallbacks:
    """Receive Plant.id's callbacks under `path`; each only makes its identification due."""

    path: str
    store: OperationsStore
    wake_polls: Callable[[], None]


def public_path(webhook_url: str, path: str) -> str:
    """Return `path` under the path of the public WEBHOOK_URL (its prefix, if it has one)."""
    prefix = urlsplit(webhook_url).path.strip("/")
    return f"/{prefix}{path}" if prefix else path


def public_url(webhook_url: str, path: str) -> str:
    """Return the public URL of `path` under WEBHOOK_URL."""
    return webhook_url.rstrip("/") + path


def create_web_app(
    *,
    health: HealthCheck,
    metrics: Metrics,
    operations: OperationsStore,
    telegram: TelegramWebhook | None = None,
    callbacks: PlantIdCallbacks | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """Build the ASGI app: health and metrics always, the webhook and callbacks if given."""

    async def healthz(request: Request) -> Response:
        report = await health.report()
        return JSONResponse(report.as_json(), status_code=200 if report.healthy else 503)

    async def metrics_page(request: Request) -> Response:
        try:
            await metrics.refresh(operations)
        except (sqlite3.Error, ValueError) as error:
            # The process's own figures still help when the database does not answer.
            logger.warning("metrics from the database unavailable: %s", error)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    if telegram is not None:
        routes.append(Route(telegram.path, _webhook_endpoint(telegram, clock), methods=["POST"]))
    if callbacks is not None:
        routes.append(
            Route(
                callbacks.path + "/{token}",
                _callback_endpoint(callbacks, clock),
                methods=["POST"],
            )
        )
    return Starlette(routes=routes)


def _webhook_endpoint(
    webhook: TelegramWebhook, clock: Callable[[], float]
) -> Callable[[Request], Any]:
    expected = webhook.secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("not JSON", status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return PlainTextResponse("not a Telegram update", status_code=400)
        webhook.contact.succeeded(clock())
        try:
            await webhook.store.store([payload], now=clock())
        except (sqlite3.Error, ValueError) as error:
            # Not 200: Telegram keeps the update and delivers it again later.
            logger.error("update %s not stored: %s", payload["update_id"], error)
            return PlainTextResponse("not stored, try again", status_code=503)
        return PlainTextResponse("ok")

    return receive


def _callback_endpoint(
    callbacks: PlantIdCallbacks, clock: Callable[[], float]
) -> Callable[[Request], Any]:
    async def receive(request: Request) -> Response:
        token = str(request.path_params["token"])
        # The body is never read: anyone can post here, so the bot asks Plant.id itself.
        identification_id = (
            await callbacks.store.find_by_callback_token(token) if _TOKEN.fullmatch(token) else None
        )
        if identification_id is None:
            return PlainTextResponse("unknown", status_code=404)
        if await callbacks.store.poll_now(identification_id, now=clock()):
            callbacks.wake_polls()
        return PlainTextResponse("ok")

    return receive


class _QuietServer(uvicorn.Server):
    """Uvicorn that leaves signal handling to the bot's own lifecycle."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        """Do not take over SIGINT/SIGTERM; the bot stops the server itself."""
        yield


class WebServer:
    """Serve an ASGI app with uvicorn as a task on the running event loop."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """Return the port the server listens on (useful when started on port 0)."""
        if self._socket is None:
            raise RuntimeError("the server is not running")
        return int(self._socket.getsockname()[1])

    async def start(self) -> None:
        """Listen on host:port and serve until `stop`; raise OSError if the port is taken."""
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # Bound here, so a taken port is an OSError for the caller instead of uvicorn's exit.
        self._socket = socket.create_server((self._host, self._port), family=family)
        config = uvicorn.Config(
            self._app, lifespan="off", access_log=False, log_config=None, log_level="warning"
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(
            self._server.serve(sockets=[self._socket]), name="web-server"
        )
        while not self._server.started:
            if self._task.done():
                await self._task
                raise OSError(f"cannot serve on {self._host}:{self._port}")
            await asyncio.sleep(0.01)
        logger.info("serving HTTP on %s:%d", self._host, self.port)

    async def stop(self) -> None:
        """Stop accepting requests, finish the ones in flight, and close the socket."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            try:
                async with asyncio.timeout(10):
                    await self._task
            except TimeoutError:
                self._server.force_exit = True
                await self._task
        if self._socket is not None:
            self._socket.close()
        self._server = self._task = self._socket = None
