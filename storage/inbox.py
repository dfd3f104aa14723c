"""The Telegram update inbox: raw updates stored before they are acknowledged, then handled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from storage.database import Database

# Telegram keeps an update it has not been told was received for at most 24 hours: after that
# no poller can be sent it again.
HANDLED_MEMORY = 24 * 3600.0


@dataclass(frozen=True)
class InboxItem:
    """One stored Telegram update, as JSON text, and how often its handling was started."""

    update_id: int
    payload: str
    attempts: int


class InboxRepository(Protocol):
    """Persist raw updates until they are handled; claims are leases, like identifications'."""

    async def add(self, updates: Sequence[tuple[int, str]], *, now: float) -> int: ...

    async def claim(self, *, now: float, lease_until: float, limit: int) -> list[InboxItem]: ...

    async def done(self, update_id: int, *, now: float) -> None: ...

    async def next_due_at(self) -> float | None: ...

    async def count(self) -> int: ...


class SqliteInbox:
    """Keep the update inbox in the `telegram_inbox` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, updates: Sequence[tuple[int, str]], *, now: float) -> int:
        """Store updates by id (one sent again, or already handled, is not); count the new."""
        if not updates:
            return 0
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM telegram_handled WHERE handled_at < ?", (now - HANDLED_MEMORY,)
            )
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO telegram_inbox (update_id, payload, received_at) "
                "SELECT ?, ?, ? WHERE NOT EXISTS "
                "(SELECT 1 FROM telegram_handled WHERE update_id = ?) "
                "ON CONFLICT (update_id) DO NOTHING",
                [(update_id, payload, now, update_id) for update_id, payload in updates],
            )
            return conn.total_changes - before

    async def claim(self, *, now: float, lease_until: float, limit: int) -> list[InboxItem]:
        """Lease up to `limit` unhandled updates, oldest first, counting the attempt."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "UPDATE telegram_inbox SET lease_until = ?, attempts = attempts + 1 "
                "WHERE update_id IN (SELECT update_id FROM telegram_inbox "
                "WHERE lease_until IS NULL OR lease_until < ? ORDER BY update_id LIMIT ?) "
                "RETURNING update_id, payload, attempts",
                (lease_until, now, limit),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        items = [InboxItem(int(row[0]), str(row[1]), int(row[2])) for row in rows]
        return sorted(items, key=lambda item: item.update_id)

    async def done(self, update_id: int, *, now: float) -> None:
        """Forget a handled update, keeping only its id so it is never handled again."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM telegram_inbox WHERE update_id = ?", (update_id,))
            await conn.execute(
                "INSERT INTO telegram_handled (update_id, handled_at) VALUES (?, ?) "
                "ON CONFLICT (update_id) DO NOTHING",
                (update_id, now),
            )

    async def next_due_at(self) -> float | None:
        """Return when a leased update comes back if its handler never finishes."""
        async with (
            self._db.turn() as conn,
            conn.execute("SELECT MIN(COALESCE(lease_until, 0)) FROM telegram_inbox") as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else float(row[0])

    async def count(self) -> int:
        """Return how many updates wait to be handled."""
        async with (
            self._db.turn() as conn,
            conn.execute("SELECT COUNT(*) FROM telegram_inbox") as cursor,
        ):
            row = await cursor.fetchone()
        return 0 if row is None else int(row[0])


if TYPE_CHECKING:

    def _conforms(db: Database) -> InboxRepository:
        """Let mypy prove the SQLite inbox implements the Protocol."""
        return SqliteInbox(db)
