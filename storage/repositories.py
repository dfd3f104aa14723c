"""The identification repository: a backend-neutral Protocol and its SQLite implementation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import aiosqlite

from storage.database import Database
from storage.models import (
    IdentificationRecord,
    IdentificationRequest,
    IdentificationState,
    PhotoRef,
)

_S = IdentificationState


class IdentificationRepository(Protocol):
    """Persist identifications; every state change is a compare-and-set returning if it applied."""

    async def create(
        self, new: IdentificationRequest, *, now: float
    ) -> IdentificationRecord | None: ...

    async def get(self, identification_id: int) -> IdentificationRecord | None: ...

    async def find_by_request(
        self, chat_id: int, request_message_id: int
    ) -> IdentificationRecord | None: ...

    async def set_status_message(self, identification_id: int, message_id: int | None) -> None: ...

    async def due(self, now: float, *, limit: int = 100) -> list[IdentificationRecord]: ...

    async def next_due_at(self) -> float | None: ...

    async def start_submitting(
        self, identification_id: int, *, custom_id: int, now: float
    ) -> bool: ...

    async def mark_pending(
        self, identification_id: int, *, plantid_id: int, now: float, next_attempt_at: float
    ) -> bool: ...

    async def record_poll(
        self, identification_id: int, *, now: float, next_attempt_at: float
    ) -> bool: ...

    async def postpone(
        self,
        identification_id: int,
        *,
        expected: IdentificationState,
        now: float,
        next_attempt_at: float,
        unavailable_since: float | None,
    ) -> bool: ...

    async def mark_delay_notified(self, identification_id: int) -> None: ...

    async def mark_completed(
        self, identification_id: int, *, plantid_id: int, result_json: str, now: float
    ) -> bool: ...

    async def mark_delivered(
        self, identification_id: int, *, result_message_id: int | None, now: float
    ) -> bool: ...

    async def mark_failed(self, identification_id: int, *, reason: str, now: float) -> bool: ...

    async def mark_failure_notified(self, identification_id: int, *, now: float) -> bool: ...

    async def set_confirmed_suggestion(
        self, identification_id: int, suggestion_id: int | None
    ) -> None: ...

    async def count_by_state(self) -> dict[IdentificationState, int]: ...

    async def set_photo_place(
        self, identification_id: int, latitude: float, longitude: float
    ) -> bool: ...


_COLUMNS = (
    "id, chat_id, user_id, request_message_id, message_thread_id, status_message_id, "
    "result_message_id, language, latitude, longitude, custom_id, plantid_id, state, "
    "failure_reason, attempts, polls, created_at, updated_at, next_attempt_at, "
    "unavailable_since, delay_notified, result_json, confirmed_suggestion_id, notified_at, "
    "media_group_id, requester_name, photo_user_id, confirmable, location_source, reused_from"
)

_PHOTO_COLUMNS = "file_id, file_unique_id, message_id, file_size, width, height"

# Rows the scheduler must act on, in the words of the partial index from migration 0002: SQLite
# only uses a partial index whose condition it can match, and INDEXED BY turns a mismatch into an
# error instead of a silent full sort of every due row.
_DUE_INDEX = "INDEXED BY identifications_due"
_NEEDS_WORK = (
    "state IN ('received', 'submitting', 'pending', 'completed') "
    "OR (state = 'failed' AND notified_at IS NULL)"
)


def _placeholders(count: int) -> str:
    """Return `?, ?, ...` with `count` marks."""
    return ", ".join("?" * count)


def _photo(row: sqlite3.Row) -> PhotoRef:
    """Build a PhotoRef from a photo row."""
    return PhotoRef(
        file_id=row["file_id"],
        file_unique_id=row["file_unique_id"],
        message_id=row["message_id"],
        file_size=row["file_size"],
        width=row["width"],
        height=row["height"],
    )


def _record(row: sqlite3.Row, photos: tuple[PhotoRef, ...]) -> IdentificationRecord:
    """Build an IdentificationRecord from an identification row and its photos."""
    return IdentificationRecord(
        id=row["id"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        request_message_id=row["request_message_id"],
        message_thread_id=row["message_thread_id"],
        status_message_id=row["status_message_id"],
        result_message_id=row["result_message_id"],
        language=row["language"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        custom_id=row["custom_id"],
        plantid_id=row["plantid_id"],
        state=IdentificationState(row["state"]),
        failure_reason=row["failure_reason"],
        attempts=row["attempts"],
        polls=row["polls"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        next_attempt_at=row["next_attempt_at"],
        unavailable_since=row["unavailable_since"],
        delay_notified=bool(row["delay_notified"]),
        result_json=row["result_json"],
        confirmed_suggestion_id=row["confirmed_suggestion_id"],
        notified_at=row["notified_at"],
        photos=photos,
        media_group_id=row["media_group_id"],
        requester_name=row["requester_name"],
        photo_user_id=row["photo_user_id"],
        confirmable=bool(row["confirmable"]),
        location_source=row["location_source"],
        reused_from=row["reused_from"],
    )


async def _fetchall(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> list[sqlite3.Row]:
    """Run a query and return its rows."""
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def _with_photos(
    conn: aiosqlite.Connection, rows: Iterable[sqlite3.Row]
) -> list[IdentificationRecord]:
    """Attach each identification's photos, in position order, with one extra query."""
    rows = list(rows)
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    photo_rows = await _fetchall(
        conn,
        f"SELECT identification_id, {_PHOTO_COLUMNS} FROM identification_photos "
        f"WHERE identification_id IN ({_placeholders(len(ids))}) "
        "ORDER BY identification_id, position",
        ids,
    )
    photos: dict[int, list[PhotoRef]] = {}
    for photo_row in photo_rows:
        photos.setdefault(photo_row["identification_id"], []).append(_photo(photo_row))
    return [_record(row, tuple(photos.get(row["id"], ()))) for row in rows]


async def _select(
    conn: aiosqlite.Connection, clauses: str, params: Sequence[Any]
) -> list[IdentificationRecord]:
    """Load the identifications selected by `clauses` (fixed SQL after FROM) with their photos."""
    rows = await _fetchall(conn, f"SELECT {_COLUMNS} FROM identifications {clauses}", params)
    return await _with_photos(conn, rows)


class SqliteIdentificationRepository:
    """Store identifications in SQLite through one shared `Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _one(self, clauses: str, params: Sequence[Any]) -> IdentificationRecord | None:
        """Load at most one identification."""
        async with self._db.turn() as conn:
            records = await _select(conn, clauses, params)
        return records[0] if records else None

    async def _change(self, sql: str, params: Sequence[Any]) -> bool:
        """Run one autocommitted UPDATE and report whether it touched the row."""
        async with self._db.turn() as conn, conn.execute(sql, params) as cursor:
            return cursor.rowcount == 1

    async def _transition(
        self,
        identification_id: int,
        expected: Iterable[IdentificationState],
        assignments: str,
        params: Sequence[Any],
    ) -> bool:
        """Apply `assignments` only if the row is in one of the `expected` states."""
        states = [str(state) for state in expected]
        return await self._change(
            f"UPDATE identifications SET {assignments} "
            f"WHERE id = ? AND state IN ({_placeholders(len(states))})",
            [*params, identification_id, *states],
        )

    async def create(
        self, new: IdentificationRequest, *, now: float
    ) -> IdentificationRecord | None:
        """Record a new request as received; return None if this request is already stored."""
        async with self._db.transaction() as conn:
            # Telegram redelivers updates after a restart; the request's identity deduplicates.
            async with conn.execute(
                "INSERT INTO identifications (chat_id, user_id, request_message_id, "
                "message_thread_id, language, latitude, longitude, state, created_at, "
                "updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (chat_id, request_message_id) DO NOTHING RETURNING id",
                (
                    new.chat_id,
                    new.user_id,
                    new.request_message_id,
                    new.message_thread_id,
                    new.language,
                    new.latitude,
                    new.longitude,
                    str(_S.RECEIVED),
                    now,
                    now,
                    now,
                ),
            ) as cursor:
                inserted = await cursor.fetchone()
            if inserted is None:
                return None
            identification_id = int(inserted[0])
            await conn.executemany(
                f"INSERT INTO identification_photos (identification_id, position, "
                f"{_PHOTO_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        identification_id,
                        position,
                        photo.file_id,
                        photo.file_unique_id,
                        photo.message_id,
                        photo.file_size,
                        photo.width,
                        photo.height,
                    )
                    for position, photo in enumerate(new.photos)
                ],
            )
            records = await _select(conn, "WHERE id = ?", (identification_id,))
        return records[0]

    async def get(self, identification_id: int) -> IdentificationRecord | None:
        """Return the identification with this id, if any."""
        return await self._one("WHERE id = ?", (identification_id,))

    async def find_by_request(
        self, chat_id: int, request_message_id: int
    ) -> IdentificationRecord | None:
        """Return the identification started by this photo message, if any."""
        return await self._one(
            "WHERE chat_id = ? AND request_message_id = ?", (chat_id, request_message_id)
        )

    async def set_status_message(self, identification_id: int, message_id: int | None) -> None:
        """Remember (or forget) the message that shows the request's progress."""
        await self._change(
            "UPDATE identifications SET status_message_id = ? WHERE id = ?",
            (message_id, identification_id),
        )

    async def due(self, now: float, *, limit: int = 100) -> list[IdentificationRecord]:
        """Return the identifications that need work at `now`, earliest first."""
        async with self._db.turn() as conn:
            return await _select(
                conn,
                f"{_DUE_INDEX} WHERE ({_NEEDS_WORK}) AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at, id LIMIT ?",
                (now, limit),
            )

    async def next_due_at(self) -> float | None:
        """Return when the next identification needs work, or None if none will."""
        async with self._db.turn() as conn:
            rows = await _fetchall(
                conn,
                f"SELECT MIN(next_attempt_at) FROM identifications {_DUE_INDEX} "
                f"WHERE {_NEEDS_WORK}",
            )
        value = rows[0][0]
        return None if value is None else float(value)

    async def start_submitting(self, identification_id: int, *, custom_id: int, now: float) -> bool:
        """Count a submission attempt under `custom_id` (received or retried submitting)."""
        return await self._transition(
            identification_id,
            (_S.RECEIVED, _S.SUBMITTING),
            "state = ?, attempts = attempts + 1, custom_id = ?, updated_at = ?",
            (str(_S.SUBMITTING), custom_id, now),
        )

    async def mark_pending(
        self, identification_id: int, *, plantid_id: int, now: float, next_attempt_at: float
    ) -> bool:
        """Record that Plant.id accepted the submission and is still working on it."""
        return await self._transition(
            identification_id,
            (_S.SUBMITTING,),
            "state = ?, plantid_id = ?, polls = 0, unavailable_since = NULL, "
            "updated_at = ?, next_attempt_at = ?",
            (str(_S.PENDING), plantid_id, now, next_attempt_at),
        )

    async def record_poll(
        self, identification_id: int, *, now: float, next_attempt_at: float
    ) -> bool:
        """Count a poll that found the identification still pending."""
        return await self._transition(
            identification_id,
            (_S.PENDING,),
            "polls = polls + 1, unavailable_since = NULL, updated_at = ?, next_attempt_at = ?",
            (now, next_attempt_at),
        )

    async def postpone(
        self,
        identification_id: int,
        *,
        expected: IdentificationState,
        now: float,
        next_attempt_at: float,
        unavailable_since: float | None,
    ) -> bool:
        """Retry later in the same state; keep the first moment the service became unavailable."""
        return await self._transition(
            identification_id,
            (expected,),
            "updated_at = ?, next_attempt_at = ?, unavailable_since = "
            "CASE WHEN ? IS NULL THEN NULL ELSE COALESCE(unavailable_since, ?) END",
            (now, next_attempt_at, unavailable_since, unavailable_since),
        )

    async def mark_delay_notified(self, identification_id: int) -> None:
        """Remember that the person was told the identification is delayed."""
        await self._change(
            "UPDATE identifications SET delay_notified = 1 WHERE id = ?", (identification_id,)
        )

    async def mark_completed(
        self, identification_id: int, *, plantid_id: int, result_json: str, now: float
    ) -> bool:
        """Store Plant.id's result and make the identification due for delivery now."""
        return await self._transition(
            identification_id,
            (_S.SUBMITTING, _S.PENDING),
            "state = ?, plantid_id = ?, result_json = ?, unavailable_since = NULL, "
            "updated_at = ?, next_attempt_at = ?",
            (str(_S.COMPLETED), plantid_id, result_json, now, now),
        )

    async def mark_delivered(
        self, identification_id: int, *, result_message_id: int | None, now: float
    ) -> bool:
        """Record that the result reached the person."""
        return await self._transition(
            identification_id,
            (_S.COMPLETED,),
            "state = ?, result_message_id = ?, notified_at = ?, updated_at = ?",
            (str(_S.DELIVERED), result_message_id, now, now),
        )

    async def mark_failed(self, identification_id: int, *, reason: str, now: float) -> bool:
        """Give up on an active identification; the person is still to be told."""
        return await self._transition(
            identification_id,
            (_S.RECEIVED, _S.SUBMITTING, _S.PENDING, _S.COMPLETED),
            "state = ?, failure_reason = ?, unavailable_since = NULL, updated_at = ?, "
            "next_attempt_at = ?",
            (str(_S.FAILED), reason, now, now),
        )

    async def mark_failure_notified(self, identification_id: int, *, now: float) -> bool:
        """Record that the person was told about the failure."""
        return await self._change(
            "UPDATE identifications SET notified_at = ?, updated_at = ? "
            "WHERE id = ? AND state = ? AND notified_at IS NULL",
            (now, now, identification_id, str(_S.FAILED)),
        )

    async def set_confirmed_suggestion(
        self, identification_id: int, suggestion_id: int | None
    ) -> None:
        """Remember which suggestion the person confirmed (None clears it)."""
        await self._change(
            "UPDATE identifications SET confirmed_suggestion_id = ? WHERE id = ?",
            (suggestion_id, identification_id),
        )

    async def count_by_state(self) -> dict[IdentificationState, int]:
        """Return how many identifications are in each state, zero included."""
        async with self._db.turn() as conn:
            rows = await _fetchall(
                conn, "SELECT state, COUNT(*) AS n FROM identifications GROUP BY state"
            )
        counts = dict.fromkeys(IdentificationState, 0)
        for row in rows:
            counts[IdentificationState(row["state"])] = int(row["n"])
        return counts

    async def set_photo_place(
        self, identification_id: int, latitude: float, longitude: float
    ) -> bool:
        """Record the place read from a photo file, unless the identification already has one."""
        return await self._change(
            "UPDATE identifications SET latitude = ?, longitude = ?, location_source = 'photo' "
            "WHERE id = ? AND latitude IS NULL",
            (round(latitude, 2), round(longitude, 2), identification_id),
        )


if TYPE_CHECKING:

    def _conforms(db: Database) -> IdentificationRepository:
        """Let mypy prove the SQLite repository implements the Protocol."""
        return SqliteIdentificationRepository(db)
