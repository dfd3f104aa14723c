"""Steer the Plant.id emulator from the page: delay, fault switches, credits, journal.

This is the only module that knows how the switches are made today. Outage and slowness sit
in front of the emulator as an ASGI wrapper because an injected emulator fault cannot be
withdrawn once queued; credits and a refused key are changes of the key's configuration.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from sandbox.plantid import ApiKeyConfig, Emulator, JournalEntry, emulator_of, endpoint_name

SLOW_SECONDS = 6.0
OUTAGE_TEXT = "Service temporarily unavailable (sandbox outage switch)"
JOURNAL_SHOWN = 60


@dataclass
class Switches:
    """The panel's fault switches, all off at start."""

    outage: bool = False
    slow: bool = False
    out_of_credits: bool = False
    key_refused: bool = False


@dataclass
class PlantIdPanel:
    """Hold the emulator app, its key and the switches; answer what the page shows."""

    app: Starlette
    api_key: str = field(repr=False)
    credits: int
    switches: Switches = field(default_factory=Switches)
    version: int = 0

    @property
    def emulator(self) -> Emulator:
        """Return the emulator's state."""
        return emulator_of(self.app)

    @property
    def _key(self) -> ApiKeyConfig:
        return self.emulator.config.api_keys[self.api_key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the emulator, unless the outage or slow switch says otherwise."""
        if scope["type"] == "http" and self.switches.outage:
            path = str(scope["path"])
            entry = JournalEntry(endpoint_name(path), str(scope["method"]), path, {}, None, 503)
            self.emulator.record(entry)
            await PlainTextResponse(OUTAGE_TEXT, 503)(scope, receive, send)
            return
        if scope["type"] == "http" and self.switches.slow:
            await asyncio.sleep(SLOW_SECONDS)
        await self.app(scope, receive, send)

    def set_delay(self, seconds: float | None) -> None:
        """Make new identifications finish after `seconds`, or only on "finish now" if None."""
        if seconds is not None and seconds < 0:
            raise ValueError("the delay must be zero or more seconds")
        self.emulator.config.delay = seconds
        self.version += 1

    def set_switches(self, **values: bool) -> None:
        """Turn fault switches on or off by name."""
        for name, value in values.items():
            if not hasattr(self.switches, name):
                raise ValueError(f"unknown switch {name!r}")
            setattr(self.switches, name, bool(value))
        key = self._key
        key.active = not self.switches.key_refused
        used = key.used("total", time.time())
        # Plant.id refuses new work once the total limit is used up.
        key.total_limit = used if self.switches.out_of_credits else max(self.credits, used)
        self.version += 1

    def finish(self, identification_id: int) -> None:
        """Finish one pending identification now."""
        self.emulator.complete(identification_id)
        self.version += 1

    def finish_all(self) -> None:
        """Finish every pending identification now."""
        self.emulator.complete_all()
        self.version += 1

    def snapshot(self) -> tuple[int, int, int]:
        """Return a cheap value that changes when the panel would look different."""
        emulator = self.emulator
        return (len(emulator.journal), self.version, len(emulator.callbacks))

    def view(self) -> dict[str, Any]:
        """Return the panel as JSON: delay, switches, credits, pending work and the journal."""
        emulator = self.emulator
        now = time.monotonic()
        pending = [
            {
                "id": ident.id,
                "custom_id": ident.custom_id,
                "images": len(ident.images),
                "due_in": None if ident.due is None else max(0.0, round(ident.due - now, 1)),
            }
            for ident in emulator.identifications.values()
            if not ident.finished
        ]
        usage = emulator.usage_info(self.api_key)
        journal = [_journal_line(entry) for entry in emulator.journal[-JOURNAL_SHOWN:]]
        journal.reverse()
        return {
            "delay": emulator.config.delay,
            "switches": {
                "outage": self.switches.outage,
                "slow": self.switches.slow,
                "out_of_credits": self.switches.out_of_credits,
                "key_refused": self.switches.key_refused,
            },
            "credits_left": usage["remaining_total"],
            "credits_used": usage["used_total"],
            "pending": pending,
            "journal": journal,
            "journal_total": len(emulator.journal),
        }


def _journal_line(entry: JournalEntry) -> dict[str, Any]:
    """Return a journal entry without image data, keeping what a person wants to read."""
    details: dict[str, Any] = {}
    body = entry.json
    if isinstance(body, dict):
        for name, value in body.items():
            if name == "images" and isinstance(value, list):
                details["images"] = f"{len(value)} image(s)"
            elif name != "api_key":
                details[name] = value
    return {
        "endpoint": entry.endpoint,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "details": details,
    }
