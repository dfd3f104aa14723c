"""Nothing lost at the door: Telegram updates are stored before they count as delivered.

Long polling acknowledges updates with the next getUpdates offset, and a webhook with its 200
answer; both happen only after `UpdateInbox.store` returned. Stored updates are then handed to
the Application one chat at a time, in order, and forgotten once handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.locks import KeyedLocks
from bot.ratelimit import urgent_calls
from storage.inbox import InboxItem, InboxRepository

logger = logging.getLogger(__name__)

# A handler that has not finished within the lease is presumed dead with its process; the update
# is handled again (handlers are idempotent for messages).
HANDLING_LEASE = 120.0
# An update whose handling was started this often without finishing is dropped (poison).
MAX_HANDLING_ATTEMPTS = 5
CONCURRENT_CHATS = 64
# Updates in hand at once: enough to keep every slot busy, few enough that a backlog of
# thousands waits in the database rather than as parsed updates and tasks in memory.
IN_HAND = CONCURRENT_CHATS * 4


def chat_of(payload: Mapping[str, Any]) -> int | None:
    """Return the chat an update belongs to, so one chat's updates are handled in order."""
    for kind in ("message", "edited_message", "channel_post", "my_chat_member", "chat_member"):
        body = payload.get(kind)
        if isinstance(body, Mapping):
            chat = body.get("chat")
            if isinstance(chat, Mapping) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    query = payload.get("callback_query")
    if isinstance(query, Mapping):
        message = query.get("message")
        if isinstance(message, Mapping) and isinstance(message.get("chat"), Mapping):
            chat_id = message["chat"].get("id")
            return int(chat_id) if isinstance(chat_id, int) else None
    return None


class UpdateInbox:
    """Store raw updates durably, then hand them to the Application and forget them."""

    def __init__(
        self,
        repository: InboxRepository,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        clock: Callable[[], float] = time.time,
        lease_seconds: float = HANDLING_LEASE,
    ) -> None:
        self._repository = repository
        self._application = application
        self._lease_seconds = lease_seconds
        self._clock = clock
        self._wake = asyncio.Event()
        self._chats = KeyedLocks()
        self._slots = asyncio.Semaphore(CONCURRENT_CHATS)
        self._task: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[None]] = set()

    async def store(self, payloads: Sequence[Mapping[str, Any]], *, now: float) -> None:
        """Persist updates (idempotent by update_id) and wake the dispatcher."""
        rows = [(int(payload["update_id"]), json.dumps(payload)) for payload in payloads]
        await self._repository.add(rows, now=now)
        self._wake.set()

    def start(self) -> None:
        """Start handing stored updates to the Application."""
        if self._task is None:
            self._task = asyncio.create_task(self._dispatch(), name="update-inbox")

    async def stop(self) -> None:
        """Stop dispatching; updates not yet handled stay stored for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._handling):
            task.cancel()
        await asyncio.gather(*self._handling, return_exceptions=True)

    async def backlog(self) -> int:
        """Return how many updates wait to be handled."""
        return await self._repository.count()

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            try:
                room = IN_HAND - len(self._handling)
                if room < CONCURRENT_CHATS:
                    # A finishing handler wakes the dispatcher once there is room for a batch.
                    due = None
                else:
                    now = self._clock()
                    items = await self._repository.claim(
                        now=now, lease_until=now + self._lease_seconds, limit=room
                    )
                    for item in items:
                        task = asyncio.create_task(self._handle(item))
                        self._handling.add(task)
                        task.add_done_callback(self._handled)
                    due = await self._repository.next_due_at()
            except Exception:
                logger.exception("the update inbox failed; pausing before the next round")
                due = self._clock() + 1.0
            # Another process on this database may store updates (it polls, or serves the
            # webhook): look again once a lease even when nothing is due here.
            timeout = self._lease_seconds if due is None else max(0.5, due - self._clock())
            # Not wait_for: on Python 3.11 it swallows a cancel that arrives as the event is
            # set, and stop() may cancel just as the poller stores updates.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    def _handled(self, task: asyncio.Task[None]) -> None:
        self._handling.discard(task)
        if len(self._handling) == IN_HAND - CONCURRENT_CHATS:
            self._wake.set()

    async def _handle(self, item: InboxItem) -> None:
        payload = json.loads(item.payload)
        if item.attempts > MAX_HANDLING_ATTEMPTS:
            logger.error("update %s failed %d times; dropping it", item.update_id, item.attempts)
            await self._repository.done(item.update_id, now=self._clock())
            return
        chat_id = chat_of(payload)
        async with self._slots, self._chats.hold(chat_id if chat_id is not None else 0):
            update = Update.de_json(payload, self._application.bot)
            if update.callback_query is not None:
                # A button press handled twice could undo itself: at most once is right for it.
                await self._repository.done(item.update_id, now=self._clock())
            # The Application runs the error handler for anything a handler raises. Whatever it
            # sends answers what a person just did, so it passes results waiting for the limit.
            with urgent_calls():
                await self._application.process_update(update)
            if update.callback_query is None:
                await self._repository.done(item.update_id, now=self._clock())


class TelegramPoller:
    """Long-poll getUpdates, storing each batch before the next offset acknowledges it."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        inbox: UpdateInbox,
        allowed_updates: Sequence[str],
        *,
        timeout: int = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._application = application
        self._inbox = inbox
        self._allowed_updates = list(allowed_updates)
        self._timeout = timeout
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling as a task."""
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name="telegram-poller")

    async def stop(self) -> None:
        """Stop polling; fetched but unstored updates were never acknowledged."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        bot = self._application.bot
        offset: int | None = None
        failures = 0
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=self._timeout,
                    allowed_updates=self._allowed_updates,
                    read_timeout=self._timeout + 10,
                )
            except InvalidToken:
                logger.critical("Telegram rejected TELEGRAM_BOT_TOKEN while polling; stopping")
                self._application.stop_running()
                return
            except Conflict:
                failures += 1
                # Telegram ends the older of two long polls for one token with 409 Conflict.
                logger.error(
                    "another instance of this bot is polling Telegram with the same token "
                    "(409 Conflict: only one may poll; run one poller or use a webhook). "
                    "Retrying in %.0f s",
                    self._pause(failures),
                )
                await asyncio.sleep(self._pause(failures))
                continue
            except RetryAfter as error:
                delay = error.retry_after
                await asyncio.sleep(delay if isinstance(delay, int | float) else 5.0)
                continue
            except (NetworkError, TelegramError) as error:
                failures += 1
                logger.warning(
                    "getUpdates failed: %s; retrying in %.0f s", error, self._pause(failures)
                )
                await asyncio.sleep(self._pause(failures))
                continue
            failures = 0
            if not updates:
                continue
            await self._inbox.store([update.to_dict() for update in updates], now=self._clock())
            offset = updates[-1].update_id + 1

    @staticmethod
    def _pause(failures: int) -> float:
        return float(min(30, 2 ** min(failures, 5)))
