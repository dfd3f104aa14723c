"""Let the Bot API calls a person is waiting on right now pass the rate limiter's queue first.

PTB's `AIORateLimiter` keeps Telegram's flood limits (about 30 calls a second for the bot, 20 a
minute in each group) in leaky buckets and retries calls answered with RetryAfter. Its buckets let
waiting calls in by arrival order, so a status reply ("Looking at your plant…") would wait behind
every result edit and notice queued before it. `PriorityRateLimiter` keeps those limits and that
retrying, and gives each bucket's freed capacity to urgent calls first: the calls made inside
`urgent_calls()`. Urgent calls don't wait for the bot-wide bucket at all: Telegram's "about 30
messages a second" is its limit for bulk notifications, while replies to what a person just sent
may go faster (grammY's flood-limit guide says so); the group buckets still hold them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

# A person gets a status reply within a second even while hundreds of results wait, and results
# still move at no less than 1/(URGENT_STREAK + 1) of Telegram's rate (over 3 a second at 30).
URGENT_STREAK = 8

# Set by the caller's task, read in the limiter within that same task: no resource, no state.
_URGENT: ContextVar[bool] = ContextVar("plantbot_urgent_bot_api_call", default=False)


@contextlib.contextmanager
def urgent_calls() -> Iterator[None]:
    """Mark the Bot API calls made in this block as answers a person is waiting for now."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


def is_urgent() -> bool:
    """Tell whether a Bot API call made here would be urgent."""
    return _URGENT.get()


class _Turns:
    """Let callers into a bucket one at a time: urgent ones first, a normal one after a streak."""

    def __init__(self, urgent_streak: int) -> None:
        self._urgent_streak = urgent_streak
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._streak = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait until it is this caller's turn, and hold it for the block."""
        if self._busy:
            waiter = asyncio.get_running_loop().create_future()
            queue = self._urgent if is_urgent() else self._normal
            queue.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.cancelled():
                    with contextlib.suppress(ValueError):
                        queue.remove(waiter)
                else:
                    # The turn was handed over just as the caller gave up: hand it on.
                    self._pass_on()
                raise
        self._busy = True
        try:
            yield
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue and queue[0].done():
                queue.popleft()
        if self._urgent and (not self._normal or self._streak < self._urgent_streak):
            self._streak = self._streak + 1 if self._normal else 0
            self._urgent.popleft().set_result(None)
        elif self._normal:
            self._streak = 0
            self._normal.popleft().set_result(None)
        else:
            self._busy = False


class PriorityLimiter(AsyncLimiter):
    """A leaky bucket that gives freed capacity to urgent callers before normal ones."""

    def __init__(
        self,
        max_rate: float,
        time_period: float,
        *,
        urgent_streak: int,
        urgent_pass: bool = False,
    ) -> None:
        super().__init__(max_rate, time_period)
        self._turns = _Turns(urgent_streak)
        self._urgent_pass = urgent_pass

    async def acquire(self, amount: float = 1) -> None:
        """Wait for this caller's turn, then for room in the bucket (urgent callers may pass)."""
        if self._urgent_pass and is_urgent():
            return
        # One caller at a time waits inside the bucket, so an urgent caller that arrives later
        # is next in line, not behind every normal caller already waiting there.
        async with self._turns.turn():
            await super().acquire(amount)


class PriorityRateLimiter(AIORateLimiter):
    """PTB's rate limiter whose buckets (the bot's and each group's) serve urgent calls first."""

    def __init__(self, *, urgent_streak: int = URGENT_STREAK, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._urgent_streak = urgent_streak
        # PTB keeps its buckets in these attributes (python-telegram-bot is pinned): the limits
        # stay PTB's, only the order of the callers waiting in a bucket changes.
        base = self._base_limiter
        if base is not None:
            self._base_limiter = PriorityLimiter(
                base.max_rate, base.time_period, urgent_streak=urgent_streak, urgent_pass=True
            )

    def _get_group_limiter(self, group_id: str | int | bool) -> AsyncLimiter:
        """Return the group's bucket, made to serve urgent calls first."""
        if group_id not in self._group_limiters:
            self._group_limiters[group_id] = PriorityLimiter(
                self._group_max_rate, self._group_time_period, urgent_streak=self._urgent_streak
            )
        return super()._get_group_limiter(group_id)
