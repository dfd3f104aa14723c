"""The bot's update queue: allowed_updates, getUpdates long polling and webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import json
import re
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request

from sandbox.telegram.model import ApiError, bad_request
from sandbox.telegram.params import Params
from sandbox.telegram.state import World, now

# Sent only when listed in allowed_updates; every other type is delivered by default.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass
class Update:
    """One update waiting for the bot."""

    update_id: int
    kind: str
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the Update object as the Bot API sends it."""
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class Webhook:
    """The webhook the bot set, and how its last delivery went."""

    url: str
    secret_token: str | None
    max_connections: int
    generation: int
    last_error_date: int | None = None
    last_error_message: str | None = None


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class UpdateFeed:
    """Queue updates for the bot and hand them out by long polling or webhook."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._ids = itertools.count(500_000_001)
        self._queue: deque[Update] = deque()
        self._allowed: frozenset[str] = frozenset()
        self._poll_generation = 0
        self.webhook: Webhook | None = None
        self._webhook_generation = 0
        self._webhook_tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def wants(self, kind: str) -> bool:
        """Return whether the bot's allowed_updates let `kind` through."""
        return kind in self._allowed if self._allowed else kind not in NOT_BY_DEFAULT

    def push(self, kind: str, payload: dict[str, Any]) -> None:
        """Queue an update unless allowed_updates filters it out (caller holds the lock)."""
        if self.wants(kind):
            self._queue.append(Update(next(self._ids), kind, payload))
        self._world.waiters.notify_all()

    def pending(self) -> int:
        """Return how many updates the bot has not confirmed yet."""
        return len(self._queue)

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        queue = self._queue
        if offset < 0:
            # A negative offset keeps only the last -offset updates and forgets the rest.
            while len(queue) > -offset:
                queue.popleft()
        else:
            while queue and queue[0].update_id < offset:
                queue.popleft()

    def _set_allowed(self, params: Params) -> None:
        allowed = params.json("allowed_updates")
        if allowed is not None:
            self._allowed = frozenset(str(kind) for kind in allowed)

    # ------------------------------------------------------------------ long polling

    async def get_updates(self, params: Params, request: Request) -> list[dict[str, Any]]:
        """Answer getUpdates: confirm, then wait up to `timeout` for updates."""
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        world = self._world
        with world.lock:
            if self.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
            self._confirm(offset)
            self._set_allowed(params)
            # The poll already waiting is the one Telegram terminates.
            self._poll_generation += 1
            generation = self._poll_generation
        world.waiters.notify_all()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        disconnected = asyncio.ensure_future(self._until_disconnected(request))
        try:
            while True:
                event = world.waiters.register()
                try:
                    with world.lock:
                        if self._poll_generation != generation:
                            raise ApiError(409, POLL_CONFLICT)
                        if self.webhook is not None:
                            raise ApiError(409, WEBHOOK_CONFLICT)
                        batch = [u.to_dict() for u in itertools.islice(self._queue, limit)]
                    remaining = deadline - loop.time()
                    if batch or remaining <= 0 or self._closed or disconnected.done():
                        return batch
                    woken = asyncio.ensure_future(event.wait())
                    await asyncio.wait(
                        {woken, disconnected},
                        timeout=remaining,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    woken.cancel()
                finally:
                    world.waiters.unregister(event)
        finally:
            disconnected.cancel()

    @staticmethod
    async def _until_disconnected(request: Request) -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    # ------------------------------------------------------------------ webhooks

    def set_webhook(self, params: Params) -> bool:
        """Answer setWebhook: start delivering to a loopback URL."""
        url = params.text("url") or ""
        if not url:
            return self.delete_webhook(params)
        if urlsplit(url).scheme not in ("http", "https") or not _is_loopback(url):
            raise bad_request("bad webhook: the fake Telegram delivers only to loopback URLs")
        secret = params.text("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self._queue.clear()
        self._set_allowed(params)
        self._webhook_generation += 1
        self.webhook = Webhook(
            url=url,
            secret_token=secret,
            max_connections=params.integer("max_connections") or 40,
            generation=self._webhook_generation,
        )
        task = asyncio.get_running_loop().create_task(self._deliver(self.webhook))
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)
        return True

    def delete_webhook(self, params: Params) -> bool:
        """Answer deleteWebhook."""
        if params.flag("drop_pending_updates"):
            self._queue.clear()
        self.webhook = None
        self._webhook_generation += 1
        return True

    def webhook_info(self, params: Params) -> dict[str, Any]:
        """Answer getWebhookInfo."""
        del params
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        hook = self.webhook
        if hook is not None:
            info["url"] = hook.url
            info["max_connections"] = hook.max_connections
            if self._allowed:
                info["allowed_updates"] = sorted(self._allowed)
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _deliver(self, hook: Webhook) -> None:
        world = self._world
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        backoff = 0.05
        async with httpx.AsyncClient(timeout=10.0) as client:
            while True:
                event = world.waiters.register()
                try:
                    with world.lock:
                        if self._webhook_generation != hook.generation or self._closed:
                            return
                        update = self._queue[0] if self._queue else None
                    if update is None:
                        await event.wait()
                        continue
                    error = await self._post_update(client, hook.url, headers, update)
                    with world.lock:
                        if error is None:
                            if self._queue and self._queue[0] is update:
                                self._queue.popleft()
                            backoff = 0.05
                        else:
                            hook.last_error_date = now()
                            hook.last_error_message = error
                    world.waiters.notify_all()
                    if error is not None:
                        # Telegram retries failed deliveries later, with growing delays.
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(asyncio.Event().wait(), backoff)
                        backoff = min(backoff * 2, 1.0)
                finally:
                    world.waiters.unregister(event)

    @staticmethod
    async def _post_update(
        client: httpx.AsyncClient, url: str, headers: dict[str, str], update: Update
    ) -> str | None:
        try:
            response = await client.post(url, content=json.dumps(update.to_dict()), headers=headers)
        except httpx.HTTPError as exc:
            return f"Connection failed: {type(exc).__name__}"
        if response.is_success:
            return None
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"

    async def aclose(self) -> None:
        """Release long polls and stop webhook delivery running on this loop."""
        with self._world.lock:
            self._closed = True
            self._webhook_generation += 1
            tasks = list(self._webhook_tasks)
        self._world.waiters.notify_all()
        loop = asyncio.get_running_loop()
        for task in tasks:
            if task.get_loop() is loop:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
