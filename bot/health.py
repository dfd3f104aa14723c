"""Decide whether the bot is healthy: database writable, worker alive, Telegram and Plant.id."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.metrics import Contact
from storage.operations import OperationsStore


class Heartbeat(Protocol):
    """What health needs from the worker: when it last showed it was alive."""

    @property
    def last_round_at(self) -> float | None: ...


@dataclass(frozen=True)
class HealthLimits:
    """How long each part may be silent or failing before the bot counts as unhealthy."""

    # The worker stamps its heartbeat at least every third of a lease (10 s by default).
    worker_silent_after: float = 90.0
    # A remote service may fail this long before the bot is unhealthy; short outages are normal.
    contact_failing_after: float = 300.0
    database_timeout: float = 3.0


@dataclass(frozen=True)
class PartHealth:
    """How one part is doing, as shown in /healthz."""

    ok: bool
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthReport:
    """Every part's health; healthy only if every part is."""

    parts: dict[str, PartHealth]

    @property
    def healthy(self) -> bool:
        """Tell whether every part is fine."""
        return all(part.ok for part in self.parts.values())

    @property
    def failing(self) -> list[str]:
        """Return the names of the failing parts."""
        return [name for name, part in self.parts.items() if not part.ok]

    def as_json(self) -> dict[str, Any]:
        """Return the report as /healthz shows it."""
        return {
            "status": "ok" if self.healthy else "failing",
            "failing": self.failing,
            "parts": {
                name: {"ok": part.ok, "detail": part.detail, **part.figures}
                for name, part in self.parts.items()
            },
        }


def _age(now: float, moment: float | None) -> float | None:
    return None if moment is None else round(max(0.0, now - moment), 3)


class HealthCheck:
    """Look at every part of the running bot and say how each is doing."""

    def __init__(
        self,
        store: OperationsStore,
        *,
        worker: Callable[[], Heartbeat | None],
        telegram: Contact,
        plantid: Contact,
        limits: HealthLimits = HealthLimits(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._worker = worker
        self._telegram = telegram
        self._plantid = plantid
        self._limits = limits
        self._clock = clock

    async def report(self) -> HealthReport:
        """Check every part now."""
        return HealthReport(
            {
                "database": await self._database(),
                "worker": self._heartbeat(),
                "telegram": self._contact("Telegram", self._telegram),
                "plantid": self._contact("Plant.id", self._plantid),
            }
        )

    async def _database(self) -> PartHealth:
        try:
            async with asyncio.timeout(self._limits.database_timeout):
                await self._store.probe_write(now=self._clock())
        except TimeoutError:
            return PartHealth(False, "a write did not finish in time (locked or stalled)")
        except (sqlite3.Error, ValueError) as error:
            # aiosqlite raises ValueError once its connection is closed.
            return PartHealth(False, f"cannot write: {error}")
        return PartHealth(True, "writable")

    def _heartbeat(self) -> PartHealth:
        worker = self._worker()
        if worker is None:
            return PartHealth(False, "not running")
        now = self._clock()
        age = _age(now, worker.last_round_at)
        figures = {"heartbeat_age": age}
        if age is None:
            return PartHealth(False, "has not started a round yet", figures)
        if age > self._limits.worker_silent_after:
            return PartHealth(False, f"silent for {age:.0f} s (stuck?)", figures)
        return PartHealth(True, "alive", figures)

    def _contact(self, name: str, contact: Contact) -> PartHealth:
        now = self._clock()
        figures = {
            "last_success_age": _age(now, contact.last_success),
            "failing_for": _age(now, contact.failing_since),
        }
        failing_for = figures["failing_for"]
        if failing_for is not None and failing_for > self._limits.contact_failing_after:
            return PartHealth(
                False,
                f"no answer from {name} for {failing_for:.0f} s: {contact.last_failure}",
                figures,
            )
        if contact.last_success is None:
            return PartHealth(True, f"{name} not contacted yet", figures)
        return PartHealth(True, f"{name} answered", figures)
