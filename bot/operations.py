"""Run the bot's operational side: webhook or polling set-up, callbacks, health and metrics.

The composition root makes one `Operations` per bot, wraps the Plant.id transport and the Bot API
request with it (so calls are counted where they leave the process), hands it to the service as
the source of callback URLs in webhook mode, and calls `start` / `stop` in the lifecycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
from telegram import Bot

from bot.health import HealthCheck, HealthLimits, Heartbeat
from bot.logs import redact_also
from bot.metrics import CountingRateLimiter, Metrics, ObservedRequest
from bot.settings import Settings
from bot.web import (
    CALLBACK_PATH,
    TELEGRAM_PATH,
    PlantIdCallbacks,
    TelegramWebhook,
    UpdateStore,
    WebServer,
    create_web_app,
    public_path,
    public_url,
)
from plantid import PlantIdClient, PlantIdError
from storage.database import Database
from storage.operations import OperationsStore

logger = logging.getLogger(__name__)

WEBHOOK_SECRET_KEY = "webhook_secret"


class Operations:
    """Webhook, Plant.id callbacks, /healthz and /metrics for one running bot."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._clock = clock
        self.metrics = Metrics(clock=clock)
        self._store: OperationsStore | None = None
        self._server: WebServer | None = None
        self._credits_task: asyncio.Task[None] | None = None

    @property
    def webhook_mode(self) -> bool:
        """Tell whether Telegram delivers updates to WEBHOOK_URL instead of long polling."""
        return self._settings.webhook_url is not None

    @property
    def server(self) -> WebServer | None:
        """Return the HTTP server, if one runs (webhook mode, or HEALTH_PORT set)."""
        return self._server

    # -- parts the composition root builds the bot with -----------------------------------------

    def plantid_transport(
        self, inner: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncBaseTransport:
        """Return the Plant.id transport that counts every request by endpoint and status."""
        return self.metrics.plantid_transport(self._settings.plant_id_base_url, inner)

    def telegram_request(self, **kwargs: Any) -> ObservedRequest:
        """Return a Bot API request object that tracks Telegram's answers (HTTPXRequest args)."""
        return ObservedRequest(self.metrics.telegram_contact, clock=self._clock, **kwargs)

    def rate_limiter(self, **kwargs: Any) -> CountingRateLimiter:
        """Return the Bot API rate limiter whose queue /metrics shows (AIORateLimiter args)."""
        limiter = CountingRateLimiter(**kwargs)
        self.metrics.watch_rate_limiter(limiter)
        return limiter

    def telegram_error(self, kind: str) -> None:
        """Count a Telegram error met by the flow."""
        self.metrics.telegram_error(kind)

    async def callback_url(self, identification_id: int) -> str:
        """Return where Plant.id tells the bot that this identification is done."""
        webhook_url = self._settings.webhook_url
        if self._store is None or webhook_url is None:
            raise RuntimeError("callbacks need webhook mode and a started Operations")
        token = await self._store.callback_token(identification_id)
        return public_url(str(webhook_url), f"{CALLBACK_PATH}/{token}")

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(
        self,
        *,
        bot: Bot,
        database: Database,
        updates: UpdateStore,
        plantid: PlantIdClient,
        worker: Callable[[], Heartbeat | None],
        wake_polls: Callable[[], None],
        allowed_updates: list[str],
    ) -> None:
        """Serve HTTP as configured and point Telegram at the webhook, or away from it."""
        settings = self._settings
        store = self._store = OperationsStore(database)
        health = HealthCheck(
            store,
            worker=worker,
            telegram=self.metrics.telegram_contact,
            plantid=self.metrics.plantid_contact,
            limits=HealthLimits(worker_silent_after=max(90.0, 3 * settings.lease_seconds)),
            clock=self._clock,
        )
        if settings.webhook_url is None:
            # Telegram refuses getUpdates while a webhook is set: switching back removes it,
            # keeping the updates it holds for the polling that follows.
            await bot.delete_webhook(drop_pending_updates=False)
            if settings.health_port is not None:
                app = create_web_app(
                    health=health, metrics=self.metrics, operations=store, clock=self._clock
                )
                await self._serve(app, settings.health_port)
        else:
            webhook_url = str(settings.webhook_url)
            secret = await self._webhook_secret(store)
            app = create_web_app(
                health=health,
                metrics=self.metrics,
                operations=store,
                telegram=TelegramWebhook(
                    public_path(webhook_url, TELEGRAM_PATH),
                    secret,
                    updates,
                    self.metrics.telegram_contact,
                ),
                callbacks=PlantIdCallbacks(
                    public_path(webhook_url, CALLBACK_PATH), store, wake_polls
                ),
                clock=self._clock,
            )
            await self._serve(app, settings.listen_port)
            await bot.set_webhook(
                url=public_url(webhook_url, TELEGRAM_PATH),
                secret_token=secret,
                allowed_updates=allowed_updates,
                # Updates waiting while the bot was down are still wanted.
                drop_pending_updates=False,
            )
            logger.info("Telegram delivers updates to %s", public_url(webhook_url, TELEGRAM_PATH))
        if self._server is not None:
            self._credits_task = asyncio.create_task(
                self._watch_credits(plantid), name="plantid-credits"
            )

    async def stop(self) -> None:
        """Stop serving HTTP; the webhook stays set, so Telegram keeps updates until restart."""
        if self._credits_task is not None:
            self._credits_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._credits_task
            self._credits_task = None
        if self._server is not None:
            await self._server.stop()
            self._server = None
        self._store = None

    async def _serve(self, app: Any, port: int) -> None:
        server = WebServer(app, self._settings.listen_host, port)
        await server.start()
        self._server = server

    async def _webhook_secret(self, store: OperationsStore) -> str:
        """Return WEBHOOK_SECRET, or the secret generated once and kept in the database."""
        configured = self._settings.webhook_secret
        if configured is not None:
            return configured.get_secret_value()
        secret = await store.setting_or_store(
            WEBHOOK_SECRET_KEY, secrets.token_urlsafe(32), now=self._clock()
        )
        redact_also(secret)
        return secret

    async def _watch_credits(self, plantid: PlantIdClient) -> None:
        """Keep the credits-left gauge current, checking every CREDITS_CHECK_INTERVAL."""
        while True:
            try:
                self.metrics.set_credits(await plantid.usage_info())
            except PlantIdError as error:
                logger.info("Plant.id credits not checked: %s", error)
            await asyncio.sleep(self._settings.credits_check_interval)
