"""Configure the Plant.id emulator: API keys with limits, timing and scripted outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from sandbox.plantid import assumptions
from sandbox.plantid.catalogue import Catalogue

PERIODS = ("day", "week", "month", "total")


@dataclass
class Charge:
    """Record credits charged to a key at one moment (epoch seconds)."""

    at: float
    credits: int


def _period_start(period: str, now: float) -> float:
    """Return the epoch second where the UTC calendar `period` containing `now` began."""
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day.timestamp()
    if period == "week":
        return (day - dt.timedelta(days=day.weekday())).timestamp()
    if period == "month":
        return day.replace(day=1).timestamp()
    return float("-inf")


@dataclass
class ApiKeyConfig:
    """Describe one API key: whether it works, its credit limits and what it has used."""

    active: bool = True
    daily_limit: int | None = None
    weekly_limit: int | None = None
    monthly_limit: int | None = None
    total_limit: int | None = None
    is_closed: bool = False
    charges: list[Charge] = field(default_factory=list)
    # period -> (period start, charges counted, credits among them, last counted charge):
    # charges are appended, so each call adds up only the new ones instead of rescanning.
    _usage: dict[str, tuple[float, int, int, Charge | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def limit(self, period: str) -> int | None:
        """Return the limit of `period` ("day", "week", "month" or "total")."""
        return {
            "day": self.daily_limit,
            "week": self.weekly_limit,
            "month": self.monthly_limit,
            "total": self.total_limit,
        }[period]

    def used(self, period: str, now: float) -> int:
        """Return the credits used in the calendar `period` that contains `now`."""
        start = _period_start(period, now)
        charges = self.charges
        cached = self._usage.get(period)
        if (
            cached is None
            or cached[0] != start
            or cached[1] > len(charges)
            or (cached[1] and charges[cached[1] - 1] is not cached[3])
        ):
            cached = (start, 0, 0, None)
        _, counted, used, _ = cached
        used += sum(charge.credits for charge in charges[counted:] if charge.at >= start)
        self._usage[period] = (start, len(charges), used, charges[-1] if charges else None)
        return used

    def remaining(self, period: str, now: float) -> int | None:
        """Return the credits left in `period`, or None when it is unlimited."""
        limit = self.limit(period)
        return None if limit is None else max(0, limit - self.used(period, now))


def _default_keys() -> dict[str, ApiKeyConfig]:
    return {"sandbox-key": ApiKeyConfig()}


@dataclass
class EmulatorConfig:
    """Configure an emulator instance; `delay=None` keeps identifications pending."""

    # The keys are secrets, so the repr leaves them out.
    api_keys: dict[str, ApiKeyConfig] = field(default_factory=_default_keys, repr=False)
    delay: float | None = 2.0
    public_url: str | None = None
    max_custom_id: int = assumptions.DEFAULT_MAX_CUSTOM_ID
    # Lets in-process tests deliver callbacks to an ASGI receiver without a socket.
    callback_transport: httpx.AsyncBaseTransport | None = None
    # None loads the packaged data files when the emulator is created.
    catalogue: Catalogue | None = None


@dataclass(frozen=True)
class ScriptedOutcome:
    """Force the result of the next created identification (unset parts stay computed)."""

    suggestions: Sequence[tuple[str, float]] | None = None
    is_plant_probability: float | None = None
    fail_cause: str | None = None
    is_healthy_probability: float | None = None
    diseases: Sequence[tuple[str, float]] | None = None
