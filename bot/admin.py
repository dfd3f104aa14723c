"""The operator's side: notices to the admin chat, the credits check, and /stats."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from bot.i18n import Translator
from bot.model import ChatError, IdentificationState
from plantid import BadCredentials, OutOfCredits, PlantIdClient, PlantIdError, PlantIdRefused
from storage.preferences import SqliteOperatorRepository

logger = logging.getLogger(__name__)

KEY_REFUSED = "key_refused"
OUT_OF_CREDITS = "out_of_credits"
CREDITS_LOW = "credits_low"
WEEK = 7 * 24 * 3600.0

LanguageOf = Callable[[int, str | None], Awaitable[str]]


class Poster(Protocol):
    """Sends a message to a chat (`bot.chat.TelegramChat` does)."""

    async def post(self, chat_id: int, text: str) -> int: ...


class Operator:
    """Tell the admin chat once per event when Plant.id refuses the bot or credits run low."""

    def __init__(
        self,
        *,
        admin_chat_id: int | None,
        poster: Poster,
        repository: SqliteOperatorRepository,
        plantid: PlantIdClient,
        translate: Translator,
        language_of: LanguageOf,
        warn_below: int,
        check_interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._admin_chat_id = admin_chat_id
        self._poster = poster
        self._repository = repository
        self._plantid = plantid
        self._translate = translate
        self._language_of = language_of
        self._warn_below = warn_below
        self._check_interval = check_interval
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._checker: asyncio.Task[None] | None = None

    @property
    def is_told(self) -> bool:
        """Tell whether an admin chat hears about problems (failure texts may say so)."""
        return self._admin_chat_id is not None

    def is_admin_chat(self, chat_id: int) -> bool:
        """Tell whether `chat_id` is the configured admin chat."""
        return self._admin_chat_id is not None and chat_id == self._admin_chat_id

    def plantid_refused(self, error: PlantIdRefused) -> None:
        """Note a refusal seen by the flow; the notice goes out without holding the caller up."""
        if isinstance(error, BadCredentials):
            self._spawn(self._begin(KEY_REFUSED))
        elif isinstance(error, OutOfCredits):
            self._spawn(self._begin(OUT_OF_CREDITS))

    def start(self) -> None:
        """Start checking the credits left every `check_interval` seconds (with an admin chat)."""
        if self._admin_chat_id is not None and self._checker is None:
            self._checker = asyncio.create_task(self._check_forever(), name="credits-check")

    async def stop(self) -> None:
        """Stop the credits check and wait for notices being sent."""
        if self._checker is not None:
            self._checker.cancel()
            await asyncio.gather(self._checker, return_exceptions=True)
            self._checker = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def check_credits(self) -> int | float | None:
        """Ask Plant.id for the credits left, tell the operator what changed; return them."""
        try:
            usage = await self._plantid.usage_info()
        except BadCredentials:
            await self._begin(KEY_REFUSED)
            return None
        except PlantIdError as error:
            logger.info("credits check failed: %s", error)
            return None
        await self._end(KEY_REFUSED)
        if usage.active is False:
            await self._begin(KEY_REFUSED)
        known = [
            value
            for value in (
                usage.remaining_day,
                usage.remaining_week,
                usage.remaining_month,
                usage.remaining_total,
            )
            if value is not None
        ]
        left = min(known) if known else None
        if left is None or left > 0:
            await self._end(OUT_OF_CREDITS)
        else:
            await self._begin(OUT_OF_CREDITS)
        if left is None or left >= self._warn_below:
            await self._end(CREDITS_LOW)
        elif left > 0:
            await self._begin(CREDITS_LOW, count=left)
        return left

    async def stats(self, language: str) -> str:
        """Render /stats: identifications today and in 7 days, by state, credits left."""
        now = self._clock()
        midnight = datetime.fromtimestamp(now, tz=UTC).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        today = await self._repository.count_since(midnight.timestamp())
        week = await self._repository.count_since(now - WEEK)
        states = await self._repository.count_by_state_since(now - WEEK)
        try:
            usage = await self._plantid.usage_info()
            known = [
                value
                for value in (
                    usage.remaining_day,
                    usage.remaining_week,
                    usage.remaining_month,
                    usage.remaining_total,
                )
                if value is not None
            ]
            credits: object = min(known) if known else "∞"
        except PlantIdError as error:
            logger.info("credits for /stats not read: %s", error)
            credits = "?"
        lines = [
            f"<b>{self._translate(language, 'stats_title')}</b>",
            self._translate(language, "stats_today", count=today),
            self._translate(language, "stats_week", count=week),
            *(
                self._translate(language, "stats_state", state=state.value, count=states[state])
                for state in IdentificationState
                if states.get(state)
            ),
            self._translate(language, "stats_credits", count=credits),
        ]
        return "\n".join(lines)

    async def _check_forever(self) -> None:
        while True:
            try:
                await self.check_credits()
            except Exception:  # the check must outlive any one failure
                logger.exception("credits check failed")
            await asyncio.sleep(self._check_interval)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _begin(self, event: str, *, count: int | float | None = None) -> None:
        if self._admin_chat_id is None:
            return
        if not await self._repository.start_notice(event, now=self._clock()):
            return
        language = await self._language_of(self._admin_chat_id, None)
        key = {
            KEY_REFUSED: "admin_key_refused",
            OUT_OF_CREDITS: "admin_out_of_credits",
            CREDITS_LOW: "admin_credits_low",
        }[event]
        values: dict[str, object] = {} if count is None else {"count": count}
        text = self._translate(language, key, **values)
        try:
            await self._poster.post(self._admin_chat_id, text)
        except ChatError as error:
            # Not told: let the next occurrence try again.
            logger.warning("admin chat not reachable: %s", error)
            await self._repository.end_notice(event)

    async def _end(self, event: str) -> None:
        if self._admin_chat_id is not None:
            await self._repository.end_notice(event)
