"""The rate limiter alone: urgent calls pass queued ones, and every call still goes out in time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.metrics import CountingRateLimiter
from bot.ratelimit import URGENT_STREAK, PriorityRateLimiter, urgent_calls

PRIVATE_CHAT = 42
GROUP_CHAT = -100123


class Telegram:
    """Stands in for the Bot API request: records the order in which calls left the limiter."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.first_sent = asyncio.Event()
        self.flood_control: set[str] = set()

    async def call(self, limiter: PriorityRateLimiter, name: str, chat_id: int) -> Any:
        """Make one Bot API call through `limiter`; return Telegram's answer."""

        async def send() -> dict[str, Any]:
            if name in self.flood_control:
                self.flood_control.discard(name)
                raise RetryAfter(0)
            self.sent.append(name)
            self.first_sent.set()
            return {"ok": name}

        return await limiter.process_request(
            send, (), {}, "sendMessage", {"chat_id": chat_id}, None
        )

    async def urgent_call(self, limiter: PriorityRateLimiter, name: str, chat_id: int) -> Any:
        """Make one urgent Bot API call through `limiter`."""
        with urgent_calls():
            return await self.call(limiter, name, chat_id)


def one_at_a_time(**kwargs: Any) -> CountingRateLimiter:
    # A bucket of one refilled every 10 ms: every call after the first waits its turn.
    return CountingRateLimiter(overall_max_rate=1, overall_time_period=0.01, **kwargs)


async def test_a_status_reply_passes_the_edits_queued_before_it() -> None:
    limiter = one_at_a_time()
    telegram = Telegram()
    edits = [
        asyncio.create_task(telegram.call(limiter, f"edit {n}", PRIVATE_CHAT)) for n in range(30)
    ]
    await telegram.first_sent.wait()
    already_sent = len(telegram.sent)
    assert limiter.waiting == 30 - already_sent, "the gauge shows the edits waiting"

    status = asyncio.create_task(telegram.urgent_call(limiter, "status", PRIVATE_CHAT))
    assert await status == {"ok": "status"}
    await asyncio.gather(*edits)

    # The edit already taking the bucket's next turn may go first; no other waiting one does.
    assert telegram.sent.index("status") <= already_sent + 1, telegram.sent
    assert [name for name in telegram.sent if name != "status"] == [
        f"edit {n}" for n in range(30)
    ], "every edit goes out, in its order"
    assert limiter.waiting == 0


def one_at_a_time_per_group() -> CountingRateLimiter:
    # Telegram's 20 messages a minute per group, scaled down; the bot-wide limit is off.
    return CountingRateLimiter(overall_max_rate=0, group_max_rate=1, group_time_period=0.01)


async def test_a_reply_in_a_private_chat_does_not_wait_for_the_bot_wide_limit() -> None:
    # One call per minute: every edit after the first would wait far longer than this test.
    limiter = CountingRateLimiter(overall_max_rate=1, overall_time_period=60)
    telegram = Telegram()
    edits = [
        asyncio.create_task(telegram.call(limiter, f"edit {n}", PRIVATE_CHAT)) for n in range(3)
    ]
    await telegram.first_sent.wait()

    assert await telegram.urgent_call(limiter, "status", PRIVATE_CHAT) == {"ok": "status"}
    assert telegram.sent == ["edit 0", "status"]
    assert limiter.waiting == 2, "the other edits still wait for the bucket"
    for edit in edits:
        edit.cancel()
    await asyncio.gather(*edits, return_exceptions=True)


async def test_queued_edits_still_go_out_while_status_replies_keep_coming() -> None:
    limiter = one_at_a_time_per_group()
    telegram = Telegram()
    calls = [telegram.call(limiter, f"edit {n}", GROUP_CHAT) for n in range(4)]
    calls += [telegram.urgent_call(limiter, f"status {n}", GROUP_CHAT) for n in range(20)]
    await asyncio.gather(*calls)

    def statuses(start: int, stop: int) -> list[str]:
        return [f"status {n}" for n in range(start, min(stop, 20))]

    streak = URGENT_STREAK
    assert telegram.sent == [
        "edit 0",  # found the bucket empty
        "edit 1",  # took the next turn before any status reply was waiting
        *statuses(0, streak),
        "edit 2",
        *statuses(streak, 2 * streak),
        "edit 3",
        *statuses(2 * streak, 20),
    ]


async def test_in_a_group_the_status_reply_passes_the_groups_queued_edits() -> None:
    limiter = one_at_a_time_per_group()
    telegram = Telegram()
    edits = [
        asyncio.create_task(telegram.call(limiter, f"edit {n}", GROUP_CHAT)) for n in range(20)
    ]
    await telegram.first_sent.wait()
    already_sent = len(telegram.sent)
    await telegram.urgent_call(limiter, "status", GROUP_CHAT)
    await asyncio.gather(*edits)

    assert telegram.sent.index("status") <= already_sent + 1, telegram.sent
    assert len(telegram.sent) == 21


async def test_flood_control_is_still_waited_out_and_retried() -> None:
    limiter = one_at_a_time(max_retries=1)
    telegram = Telegram()
    telegram.flood_control = {"status", "edit 3"}
    edits = [
        asyncio.create_task(telegram.call(limiter, f"edit {n}", PRIVATE_CHAT)) for n in range(6)
    ]
    await telegram.first_sent.wait()
    assert await telegram.urgent_call(limiter, "status", PRIVATE_CHAT) == {"ok": "status"}
    await asyncio.gather(*edits)

    assert sorted(telegram.sent) == sorted(["status", *(f"edit {n}" for n in range(6))])
    assert not telegram.flood_control, "both calls met flood control once, then went out"
    assert limiter.waiting == 0


async def test_flood_control_beyond_the_retries_reaches_the_caller() -> None:
    limiter = one_at_a_time(max_retries=0)
    telegram = Telegram()
    telegram.flood_control = {"status"}
    with pytest.raises(RetryAfter):
        await telegram.urgent_call(limiter, "status", PRIVATE_CHAT)
    assert await telegram.urgent_call(limiter, "status", PRIVATE_CHAT) == {"ok": "status"}


async def test_calls_given_up_while_waiting_hold_up_nobody() -> None:
    limiter = one_at_a_time()
    telegram = Telegram()
    edits = [
        asyncio.create_task(telegram.call(limiter, f"edit {n}", PRIVATE_CHAT)) for n in range(10)
    ]
    await telegram.first_sent.wait()
    # Edits go out in order: the first unsent one holds the bucket's next turn.
    holder = len(telegram.sent)
    given_up = {holder, holder + 3}
    for n in given_up:
        edits[n].cancel()
    await telegram.urgent_call(limiter, "status", PRIVATE_CHAT)
    await asyncio.gather(*edits, return_exceptions=True)

    assert {n for n, edit in enumerate(edits) if edit.cancelled()} == given_up
    assert telegram.sent == [
        *(f"edit {n}" for n in range(holder)),
        "status",
        *(f"edit {n}" for n in range(holder + 1, 10) if n not in given_up),
    ]
    assert limiter.waiting == 0
