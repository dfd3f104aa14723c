"""The background loop that advances stored identifications until each is delivered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot.service import IdentificationService

logger = logging.getLogger(__name__)

# After an unexpected error the loop pauses this long so a persistent fault doesn't spin.
ERROR_PAUSE = 1.0


class Worker:
    """Run `IdentificationService.process_due` whenever work is due or announced."""

    def __init__(
        self, service: IdentificationService, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._service = service
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop as a task on the running event loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="identification-worker")

    async def stop(self) -> None:
        """Cancel the loop and wait for it; stored work resumes at the next start."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        wake = self._service.work_available
        while True:
            wake.clear()
            try:
                next_due = await self._service.process_due()
            except Exception:
                logger.exception("the identification worker failed; pausing before the next round")
                next_due = self._clock() + ERROR_PAUSE
            timeout = None if next_due is None else max(0.0, next_due - self._clock())
            if timeout == 0.0:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)
