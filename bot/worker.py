"""The background lanes that move stored identifications along, each at its own pace.

Status messages, submissions, polling and deliveries never wait for one another: a slow photo
download, a Plant.id outage or Telegram's flood control holds up only its own lane, and within a
lane every row is its own task, so one stuck row never delays a healthy one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from bot.model import WorkLane
from bot.service import IdentificationService
from storage.models import IdentificationRecord
from storage.repositories import IdentificationRepository

logger = logging.getLogger(__name__)

# After an unexpected error a lane pauses this long so a persistent fault doesn't spin.
ERROR_PAUSE = 1.0
# Plant.id's /multiple takes a list of ids; keep each request small.
POLL_CHUNK = 50


@dataclass(frozen=True)
class WorkerSettings:
    """How many rows each lane works on at once, and how long a lease lasts."""

    lease_seconds: float = 30.0
    step_deadline: float = 60.0
    status_concurrency: int = 8
    submit_concurrency: int = 4
    poll_concurrency: int = 4
    deliver_concurrency: int = 8
    poll_interval: float = 1.0
    retention_days: float = 90.0
    prune_every: float = 3600.0


def worker_name() -> str:
    """Name this process uniquely among the workers that share a database."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Run the status, submit, poll and deliver lanes until stopped."""

    def __init__(
        self,
        service: IdentificationService,
        repository: IdentificationRepository,
        settings: WorkerSettings,
        *,
        owner: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._service = service
        self._repository = repository
        self._settings = settings
        self._owner = owner or worker_name()
        self._clock = clock
        self._tasks: list[asyncio.Task[None]] = []
        self._steps: set[asyncio.Task[None]] = set()
        self._draining = False
        self._leased: set[int] = set()
        self._sending_status: set[int] = set()
        self.last_round_at: float | None = None

    @property
    def owner(self) -> str:
        """Return the name under which this worker leases rows."""
        return self._owner

    def start(self) -> None:
        """Start every lane as a task on the running event loop."""
        if self._tasks:
            return
        # Alive from the start: a health check right after start-up must not see "no round yet".
        self.last_round_at = self._clock()
        lanes: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
            "status": self._status_lane,
            "submit": self._submit_lane,
            "poll": self._poll_lane,
            "deliver": self._deliver_lane,
            "leases": self._keep_leases,
            "retention": self._prune,
            "watch": self._watch_others,
        }
        self._tasks = [
            asyncio.create_task(run(), name=f"identification-{name}") for name, run in lanes.items()
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Let steps in work finish for `grace` seconds, stop the lanes, give back every lease."""
        # A step cut short between Telegram's answer and the database write would be repeated
        # by the next start; most steps take well under a second, Docker allows ten for all.
        self._draining = True
        self._service.wake()
        if self._steps:
            await asyncio.wait(set(self._steps), timeout=grace)
        # Python 3.11's wait_for swallows a cancel that lands as the wake above ends its wait,
        # and the lane then sleeps for good: cancel until every lane has ended.
        while running := [task for task in self._tasks if not task.done()]:
            for task in running:
                task.cancel()
            await asyncio.wait(running, timeout=1.0)
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._service.stop_notices()
        try:
            await self._repository.release_all(owner=self._owner)
        except Exception:
            # The leases lapse by themselves; another worker takes over a little later.
            logger.exception("giving back the leases failed")

    async def run_once(self) -> None:
        """Do one round of every lane in order, waiting for all of it (for tests and tools)."""
        now = self._clock()
        for record in await self._repository.claim_status_messages(
            now=now, lease_until=now + self._settings.lease_seconds, limit=1000
        ):
            await self._service.send_status(record)
        for record in await self._claimer(WorkLane.SUBMIT)(1000):
            await self._service.submit(record, owner=self._owner)
        now = self._clock()
        polled = await self._repository.claim(
            WorkLane.POLL,
            owner=self._owner,
            now=now,
            lease_until=now + self._settings.lease_seconds,
            limit=1000,
            due_by=now + self._settings.poll_interval / 2,
        )
        for start in range(0, len(polled), POLL_CHUNK):
            await self._service.poll(polled[start : start + POLL_CHUNK], owner=self._owner)
        for record in await self._claimer(WorkLane.DELIVER)(1000):
            await self._service.deliver(record)

    # -- lanes ----------------------------------------------------------------------------------

    async def _status_lane(self) -> None:
        async def claim(limit: int) -> list[IdentificationRecord]:
            now = self._clock()
            return await self._repository.claim_status_messages(
                now=now, lease_until=now + self._settings.lease_seconds, limit=limit
            )

        await self._run_lane(
            self._service.wake_event(None),
            claim,
            self._service.send_status,
            capacity=self._settings.status_concurrency,
            next_due=self._repository.next_status_due_at,
            leased=False,
        )

    async def _submit_lane(self) -> None:
        async def submit(record: IdentificationRecord) -> None:
            await self._service.submit(record, owner=self._owner)

        await self._run_lane(
            self._service.wake_event(WorkLane.SUBMIT),
            self._claimer(WorkLane.SUBMIT),
            submit,
            capacity=self._settings.submit_concurrency,
            next_due=partial(self._service.next_due_at, WorkLane.SUBMIT),
        )

    async def _deliver_lane(self) -> None:
        await self._run_lane(
            self._service.wake_event(WorkLane.DELIVER),
            self._claimer(WorkLane.DELIVER),
            self._service.deliver,
            capacity=self._settings.deliver_concurrency,
            next_due=partial(self._service.next_due_at, WorkLane.DELIVER),
        )

    async def _poll_lane(self) -> None:
        """Once a tick, poll every pending row due by then together, one request per chunk."""
        # Polling on a fixed tick rather than when each row falls due makes one /multiple carry
        # every id due in that tick: a burst of submissions costs a few requests, not one each.
        wake = self._service.wake_event(WorkLane.POLL)
        tick = self._settings.poll_interval
        last_round = -tick
        while not self._draining:
            wake.clear()
            try:
                now = self._clock()
                if now - last_round >= tick:
                    last_round = now
                    if await self._poll_round(now + tick / 2):
                        # A full claim means more rows are due: take them without waiting.
                        last_round = -tick
                        continue
                    self.last_round_at = self._clock()
                next_due = await self._service.next_due_at(WorkLane.POLL)
            except Exception:
                logger.exception("the poll lane failed; pausing before the next round")
                next_due = self._clock() + ERROR_PAUSE
            # A wake (a new submission) only makes the lane look again when its rows fall due;
            # they are polled on the tick, never earlier than one tick after the last round.
            timeout = (
                None
                if next_due is None
                else max(last_round + tick, next_due - tick / 2) - self._clock()
            )
            if timeout is not None and timeout <= 0:
                continue
            # Not wait_for: on Python 3.11 it swallows a cancel that arrives as the event is
            # set, and stop() wakes the lanes just before cancelling them.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await wake.wait()

    async def _poll_round(self, due_by: float) -> bool:
        """Claim and poll the rows due by `due_by`; True if the claim was full."""
        now = self._clock()
        limit = POLL_CHUNK * self._settings.poll_concurrency
        records = await self._repository.claim(
            WorkLane.POLL,
            owner=self._owner,
            now=now,
            lease_until=now + self._settings.lease_seconds,
            limit=limit,
            due_by=due_by,
        )
        if not records:
            return False
        chunks = [
            records[start : start + POLL_CHUNK] for start in range(0, len(records), POLL_CHUNK)
        ]
        step = asyncio.create_task(self._poll_chunks(chunks))
        self._steps.add(step)
        step.add_done_callback(self._steps.discard)
        await step
        return len(records) == limit

    async def _poll_chunks(self, chunks: Sequence[Sequence[IdentificationRecord]]) -> None:
        await asyncio.gather(*(self._poll_chunk(chunk) for chunk in chunks))

    async def _poll_chunk(self, records: Sequence[IdentificationRecord]) -> None:
        ids = [record.id for record in records]
        self._leased.update(ids)
        try:
            async with asyncio.timeout(self._settings.step_deadline):
                await self._service.poll(records, owner=self._owner)
        except TimeoutError:
            logger.warning("polling %d identifications took too long", len(records))
            for record in records:
                await self._repository.release(record.id, owner=self._owner)
        except Exception:
            logger.exception("polling %d identifications failed", len(records))
            for record in records:
                await self._repository.release(record.id, owner=self._owner)
        finally:
            self._leased.difference_update(ids)

    # -- the machinery --------------------------------------------------------------------------

    def _claimer(self, lane: WorkLane) -> Callable[[int], Awaitable[list[IdentificationRecord]]]:
        async def claim(limit: int) -> list[IdentificationRecord]:
            now = self._clock()
            return await self._repository.claim(
                lane,
                owner=self._owner,
                now=now,
                lease_until=now + self._settings.lease_seconds,
                limit=limit,
            )

        return claim

    async def _run_lane(
        self,
        wake: asyncio.Event,
        claim: Callable[[int], Awaitable[list[IdentificationRecord]]],
        work: Callable[[IdentificationRecord], Awaitable[None]],
        *,
        capacity: int,
        next_due: Callable[[], Awaitable[float | None]],
        leased: bool = True,
    ) -> None:
        """Keep up to `capacity` rows in work, each in its own task; sleep when none is due."""
        in_flight: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            wake.set()

        try:
            while True:
                wake.clear()
                try:
                    free = 0 if self._draining else capacity - len(in_flight)
                    records = await claim(free) if free > 0 else []
                    for record in records:
                        task = asyncio.create_task(self._work_on(work, record, leased=leased))
                        in_flight.add(task)
                        self._steps.add(task)
                        task.add_done_callback(finished)
                        task.add_done_callback(self._steps.discard)
                    if free > 0 and len(records) == free:
                        continue
                    due = await next_due() if free > 0 else None
                except Exception:
                    logger.exception("a worker lane failed; pausing before the next round")
                    due = self._clock() + ERROR_PAUSE
                self.last_round_at = self._clock()
                timeout = None if due is None else max(0.0, due - self._clock())
                if timeout == 0.0:
                    await asyncio.sleep(0)
                    continue
                # Not wait_for: on Python 3.11 it swallows a cancel that arrives as the event
                # is set, and stop() wakes the lanes just before cancelling them.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await wake.wait()
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _work_on(
        self,
        work: Callable[[IdentificationRecord], Awaitable[None]],
        record: IdentificationRecord,
        *,
        leased: bool,
    ) -> None:
        # A status message waiting out Telegram's flood control must keep its lease, or another
        # round would send it a second time.
        in_work = self._leased if leased else self._sending_status
        in_work.add(record.id)
        try:
            async with asyncio.timeout(self._settings.step_deadline):
                await work(record)
        except TimeoutError:
            logger.warning(
                "identification %s: step in state %s took too long", record.id, record.state
            )
            if leased:
                await self._repository.release(record.id, owner=self._owner)
        except Exception as error:
            # One broken row must not stall the others; it is tried again a few times, then ended.
            logger.exception(
                "identification %s failed unexpectedly in state %s", record.id, record.state
            )
            if leased:
                try:
                    await self._service.step_crashed(record, error)
                except Exception:
                    logger.exception("identification %s: recording the failure failed", record.id)
        finally:
            in_work.discard(record.id)

    async def _prune(self) -> None:
        """Forget finished identifications older than the retention period, once an hour."""
        while True:
            try:
                cutoff = self._clock() - self._settings.retention_days * 86400
                pruned = await self._repository.prune(finished_before=cutoff)
                if pruned:
                    # Their buttons, if pressed, get the polite "this result is gone" answer.
                    logger.info("forgot %d identifications older than the retention", pruned)
            except Exception:
                logger.exception("pruning old identifications failed")
            await asyncio.sleep(self._settings.prune_every)

    async def _watch_others(self) -> None:
        """Look for work once a lease: other processes on this database create rows too."""
        # Their wake-ups never reach this process: an idle lane would sleep until this process's
        # own next photo, leaving another's new rows, or a stopped one's lapsed leases, waiting.
        while True:
            await asyncio.sleep(self._settings.lease_seconds)
            self._service.wake()

    async def _keep_leases(self) -> None:
        """Renew the leases of rows in work, so no other worker takes them over meanwhile."""
        period = self._settings.lease_seconds / 3
        while True:
            await asyncio.sleep(period)
            try:
                until = self._clock() + self._settings.lease_seconds
                await self._repository.renew_leases(
                    sorted(self._leased), owner=self._owner, lease_until=until
                )
                await self._repository.renew_status_leases(
                    sorted(self._sending_status), lease_until=until
                )
                # The heartbeat /healthz reads: an idle worker's lanes may sleep for long.
                self.last_round_at = self._clock()
            except Exception:
                logger.exception("renewing leases failed")
