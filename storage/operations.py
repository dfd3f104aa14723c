"""What operating the bot needs from the database: its own settings, callback tokens, figures."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.database import Database

# Rows still on their way to the person: counted as the backlog.
WAITING_STATES = ("received", "submitting", "pending", "completed")
_PROBE_KEY = "health_probe"


@dataclass(frozen=True)
class StateCount:
    """How many identifications are in one state with one outcome."""

    state: str
    outcome: str
    count: int


@dataclass(frozen=True)
class RecentError:
    """The last error recorded on an identification that is still being retried."""

    identification_id: int
    state: str
    error: str
    updated_at: float


@dataclass(frozen=True)
class Backlog:
    """What `plantbot status` shows: counts, the oldest waiting request, recent errors."""

    counts: tuple[StateCount, ...]
    oldest_waiting_id: int | None
    oldest_waiting_created_at: float | None
    recent_errors: tuple[RecentError, ...]
    inbox: int


@dataclass(frozen=True)
class Latencies:
    """Latencies (seconds) that became known after a watermark, and the new watermarks."""

    photo_to_status: tuple[float, ...]
    status_watermark: float
    ready_to_shown: tuple[float, ...]
    shown_watermark: float


def _outcome(state: str, failure_reason: str | None) -> str:
    if state == "failed":
        return failure_reason or "unknown"
    if state == "delivered":
        return "shown"
    return "open"


class OperationsStore:
    """Read and write the operational data in SQLite through one shared `Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._db.turn() as conn, conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def setting(self, key: str) -> str | None:
        """Return a stored bot setting, or None if it was never stored."""
        rows = await self._rows("SELECT value FROM bot_settings WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    async def setting_or_store(self, key: str, value: str, *, now: float) -> str:
        """Return the stored setting; store `value` first if there is none (first writer wins)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_settings (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING",
                (key, value, now),
            )
            async with conn.execute(
                "SELECT value FROM bot_settings WHERE key = ?", (key,)
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return str(row[0])

    async def probe_write(self, *, now: float) -> None:
        """Write and commit one small row, proving the database takes writes."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_settings (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (_PROBE_KEY, repr(now), now),
            )

    async def callback_token(self, identification_id: int) -> str:
        """Return the identification's callback token, creating it on first use."""
        # The token is the callback's only credential: unguessable, and kept across retries.
        candidate = secrets.token_urlsafe(24)
        rows = await self._rows(
            "UPDATE identifications SET callback_token = COALESCE(callback_token, ?) "
            "WHERE id = ? RETURNING callback_token",
            (candidate, identification_id),
        )
        if not rows:
            raise LookupError(f"identification {identification_id} does not exist")
        return str(rows[0][0])

    async def find_by_callback_token(self, token: str) -> int | None:
        """Return the identification a callback token belongs to, if any."""
        rows = await self._rows("SELECT id FROM identifications WHERE callback_token = ?", (token,))
        return int(rows[0][0]) if rows else None

    async def poll_now(self, identification_id: int, *, now: float) -> bool:
        """Note a callback and make the identification's poll due now; True if it is pending.

        A callback for a submission not yet recorded as pending is kept, and a trigger makes the
        first poll due when it is recorded.
        """
        rows = await self._rows(
            "UPDATE identifications SET callback_at = ?, next_attempt_at = CASE "
            "WHEN state = 'pending' THEN MIN(next_attempt_at, ?) ELSE next_attempt_at END "
            "WHERE id = ? AND state IN ('submitting', 'pending') RETURNING state",
            (now, now, identification_id),
        )
        return bool(rows) and rows[0][0] == "pending"

    async def state_counts(self) -> list[StateCount]:
        """Return how many identifications there are per state and outcome."""
        rows = await self._rows(
            "SELECT state, failure_reason, COUNT(*) FROM identifications "
            "GROUP BY state, failure_reason"
        )
        totals: dict[tuple[str, str], int] = {}
        for state, reason, count in rows:
            key = (str(state), _outcome(str(state), reason))
            totals[key] = totals.get(key, 0) + int(count)
        return [StateCount(state, outcome, n) for (state, outcome), n in sorted(totals.items())]

    async def inbox_size(self) -> int:
        """Return how many stored Telegram updates wait to be handled."""
        rows = await self._rows("SELECT COUNT(*) FROM telegram_inbox")
        return int(rows[0][0])

    async def backlog(self, *, errors: int = 5) -> Backlog:
        """Return the counts, the oldest waiting identification and the latest errors."""
        marks = ", ".join("?" * len(WAITING_STATES))
        oldest = await self._rows(
            f"SELECT id, created_at FROM identifications WHERE state IN ({marks}) "
            "OR (state = 'failed' AND notified_at IS NULL) ORDER BY created_at, id LIMIT 1",
            WAITING_STATES,
        )
        recent = await self._rows(
            "SELECT id, state, last_error, updated_at FROM identifications "
            "WHERE last_error IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT ?",
            (errors,),
        )
        return Backlog(
            counts=tuple(await self.state_counts()),
            oldest_waiting_id=int(oldest[0][0]) if oldest else None,
            oldest_waiting_created_at=float(oldest[0][1]) if oldest else None,
            recent_errors=tuple(
                RecentError(int(row[0]), str(row[1]), str(row[2]), float(row[3])) for row in recent
            ),
            inbox=await self.inbox_size(),
        )

    async def latencies_since(self, status_after: float, shown_after: float) -> Latencies:
        """Return the latencies that became known after the given moments."""
        status_rows = await self._rows(
            "SELECT status_shown_at, status_shown_at - created_at FROM identifications "
            "WHERE status_shown_at > ? ORDER BY status_shown_at",
            (status_after,),
        )
        shown_rows = await self._rows(
            "SELECT notified_at, notified_at - completed_at FROM identifications "
            "WHERE state = 'delivered' AND completed_at IS NOT NULL AND notified_at > ? "
            "ORDER BY notified_at",
            (shown_after,),
        )
        return Latencies(
            photo_to_status=tuple(max(0.0, float(row[1])) for row in status_rows),
            status_watermark=float(status_rows[-1][0]) if status_rows else status_after,
            ready_to_shown=tuple(max(0.0, float(row[1])) for row in shown_rows),
            shown_watermark=float(shown_rows[-1][0]) if shown_rows else shown_after,
        )
