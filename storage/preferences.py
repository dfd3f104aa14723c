"""What people chose and what they asked to forget, and what the operator was told."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from bot.model import IdentificationState
from storage.database import Database

# Tables that hold something about one person, keyed by `user_id`. A table may belong to a
# feature that is not installed yet (its migration not applied): forgetting skips it then.
PERSONAL_TABLES = ("person_preferences", "person_locations")


@dataclass(frozen=True)
class HistoryItem:
    """One identification as /history lists it."""

    id: int
    chat_id: int
    request_message_id: int
    message_thread_id: int | None
    result_message_id: int | None
    language: str
    state: IdentificationState
    created_at: float
    result_json: str | None
    confirmed_suggestion_id: int | None


@dataclass(frozen=True)
class StoredAtPlantId:
    """How to find one of a person's identifications at Plant.id."""

    identification_id: int
    plantid_id: int | None
    custom_id: int | None


@dataclass(frozen=True)
class Forgotten:
    """What /forget removed."""

    identifications: int
    rows: int


class SqlitePreferencesRepository:
    """Keep each person's choices, list their identifications, and forget them on request."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def language_of(self, user_id: int) -> str | None:
        """Return the interface language the person chose, if any."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "SELECT language FROM person_preferences WHERE user_id = ?", (user_id,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else str(row[0])

    async def set_language(self, user_id: int, language: str, *, now: float) -> None:
        """Store the person's interface language."""
        async with self._db.turn() as conn:
            await conn.execute(
                "INSERT INTO person_preferences (user_id, language, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, "
                "updated_at = excluded.updated_at",
                (user_id, language, now),
            )

    async def history(
        self, user_id: int, *, offset: int, limit: int
    ) -> tuple[list[HistoryItem], int]:
        """Return a page of the person's identifications, newest first, and how many exist."""
        async with self._db.turn() as conn:
            async with conn.execute(
                "SELECT id, chat_id, request_message_id, message_thread_id, result_message_id, "
                "language, state, created_at, result_json, confirmed_suggestion_id "
                "FROM identifications WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                (user_id, limit, offset),
            ) as cursor:
                rows = list(await cursor.fetchall())
            async with conn.execute(
                "SELECT COUNT(*) FROM identifications WHERE user_id = ?", (user_id,)
            ) as cursor:
                total_row = await cursor.fetchone()
        total = int(total_row[0]) if total_row else 0
        return [_history_item(row) for row in rows], total

    async def history_item(self, user_id: int, identification_id: int) -> HistoryItem | None:
        """Return one of the person's identifications (None if it is not theirs or gone)."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "SELECT id, chat_id, request_message_id, message_thread_id, result_message_id, "
                "language, state, created_at, result_json, confirmed_suggestion_id "
                "FROM identifications WHERE user_id = ? AND id = ?",
                (user_id, identification_id),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None else _history_item(row)

    async def stored_at_plantid(self, user_id: int) -> list[StoredAtPlantId]:
        """Return the person's identifications that Plant.id may hold."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "SELECT id, plantid_id, custom_id FROM identifications WHERE user_id = ? "
                "AND (plantid_id IS NOT NULL OR custom_id IS NOT NULL) ORDER BY id",
                (user_id,),
            ) as cursor,
        ):
            rows = list(await cursor.fetchall())
        return [StoredAtPlantId(row[0], row[1], row[2]) for row in rows]

    async def forget(self, user_id: int) -> Forgotten:
        """Delete every row about the person; return how many identifications went."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ) as cursor:
                existing = {str(row[0]) for row in await cursor.fetchall()}
            rows = 0
            # Photos go with their identification (ON DELETE CASCADE).
            async with conn.execute(
                "DELETE FROM identifications WHERE user_id = ?", (user_id,)
            ) as cursor:
                identifications = cursor.rowcount
            for table in PERSONAL_TABLES:
                if table in existing:
                    async with conn.execute(
                        f"DELETE FROM {table} WHERE user_id = ?", (user_id,)
                    ) as cursor:
                        rows += cursor.rowcount
        return Forgotten(identifications=identifications, rows=rows + identifications)


class SqliteOperatorRepository:
    """Remember which operator notices are out, and count identifications for /stats."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def start_notice(self, event: str, *, now: float) -> bool:
        """Record that `event` began; True only for the first caller (who tells the operator)."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "INSERT INTO operator_notices (event, noticed_at) VALUES (?, ?) "
                "ON CONFLICT (event) DO NOTHING",
                (event, now),
            ) as cursor,
        ):
            return cursor.rowcount == 1

    async def end_notice(self, event: str) -> None:
        """Record that `event` is over, so that its next occurrence is told again."""
        async with self._db.turn() as conn:
            await conn.execute("DELETE FROM operator_notices WHERE event = ?", (event,))

    async def count_since(self, moment: float) -> int:
        """Return how many identifications were requested since `moment`."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "SELECT COUNT(*) FROM identifications WHERE created_at >= ?", (moment,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def count_by_state_since(self, moment: float) -> dict[IdentificationState, int]:
        """Return how many identifications since `moment` are in each state."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "SELECT state, COUNT(*) FROM identifications WHERE created_at >= ? GROUP BY state",
                (moment,),
            ) as cursor,
        ):
            rows = list(await cursor.fetchall())
        return {IdentificationState(row[0]): int(row[1]) for row in rows}


def _history_item(row: sqlite3.Row | Any) -> HistoryItem:
    return HistoryItem(
        id=row[0],
        chat_id=row[1],
        request_message_id=row[2],
        message_thread_id=row[3],
        result_message_id=row[4],
        language=row[5],
        state=IdentificationState(row[6]),
        created_at=row[7],
        result_json=row[8],
        confirmed_suggestion_id=row[9],
    )
