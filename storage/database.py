"""Open the SQLite database: one aiosqlite connection, tuned pragmas, migrations applied."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType

import aiosqlite

from storage.migrations import apply_migrations

MEMORY = ":memory:"

# WAL lets readers (an operator's sqlite3 shell, a second process) work beside the bot's writer;
# NORMAL is durable across a process kill in WAL mode and only risks the last commits on power
# loss; the busy timeout makes concurrent writers wait instead of failing with "locked".
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


class Database:
    """Own one aiosqlite connection and serialise the work of its callers."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        # One connection means one transaction at a time: coroutines take turns so that a
        # statement from one never lands inside another's BEGIN ... COMMIT.
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def connection(self) -> aiosqlite.Connection:
        """Return the underlying aiosqlite connection."""
        return self._connection

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the connection exclusively for single autocommitted statements."""
        async with self._lock:
            yield self._connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one write transaction, committed on success, rolled back on error."""
        async with self._lock:
            # IMMEDIATE takes the write lock up front, so two processes never deadlock on an
            # upgrade from a read lock to a write lock.
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                await self._connection.rollback()
                raise
            await self._connection.commit()

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        async with self._lock:
            if not self._closed:
                self._closed = True
                await self._connection.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def open_database(path: Path | str) -> Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    if str(path) != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode: every lone write is committed when it returns, and multi-statement
    # writes say BEGIN IMMEDIATE themselves.
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        for pragma in _PRAGMAS:
            await connection.execute(pragma)
        await apply_migrations(connection)
    except BaseException:
        await connection.close()
        raise
    return Database(connection)
