"""Storing requests as they arrive: albums gathered into one row, repeats found, chats closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import aiosqlite

from storage.database import Database
from storage.models import IdentificationRecord, IdentificationRequest, PhotoRef
from storage.repositories import _fetchall, _select

# A failure nobody is told about: the bot can no longer write to the chat.
CHAT_CLOSED = "chat_closed"
# Album parts are only needed while the album is still arriving; a day is plenty.
ALBUM_PART_TTL = 86400.0
# Two decimals are about 1 km: close enough for Plant.id, too coarse to find a home.
PLACE_DECIMALS = 2

_ACTIVE = "('received', 'submitting', 'pending', 'completed')"


def rounded(value: float) -> float:
    """Round a coordinate to the precision the bot is allowed to keep."""
    return round(value, PLACE_DECIMALS)


@dataclass(frozen=True)
class Added:
    """The row a request went into, and whether this request created it."""

    record: IdentificationRecord
    created: bool


class IntakeRepository(Protocol):
    """Persist incoming requests the way each kind of message needs."""

    async def add(
        self, new: IdentificationRequest, *, now: float, not_before: float, max_images: int
    ) -> Added | None: ...

    async def join_album(
        self, new: IdentificationRequest, *, now: float, not_before: float, max_images: int
    ) -> IdentificationRecord | None: ...

    async def add_reused(
        self, new: IdentificationRequest, earlier: IdentificationRecord, *, now: float
    ) -> IdentificationRecord | None: ...

    async def find_by_photo_message(
        self, chat_id: int, message_id: int
    ) -> IdentificationRecord | None: ...

    async def recent_with_image(
        self, user_id: int, file_unique_id: str, *, since: float
    ) -> IdentificationRecord | None: ...

    async def count_since(
        self, *, since: float, user_id: int | None = None, chat_id: int | None = None
    ) -> tuple[int, float | None]: ...

    async def attach_place(self, user_id: int, latitude: float, longitude: float) -> int: ...

    async def end_quietly(self, chat_id: int, *, now: float) -> int: ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int: ...


def _photo_rows(identification_id: int, start: int, photos: Sequence[PhotoRef]) -> list[Any]:
    return [
        (
            identification_id,
            start + offset,
            photo.file_id,
            photo.file_unique_id,
            photo.message_id,
            photo.file_size,
            photo.width,
            photo.height,
        )
        for offset, photo in enumerate(photos)
    ]


_INSERT_PHOTOS = (
    "INSERT INTO identification_photos (identification_id, position, file_id, file_unique_id, "
    "message_id, file_size, width, height) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class SqliteIntakeRepository:
    """Store incoming requests in SQLite through one shared `Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, new: IdentificationRequest, *, now: float, not_before: float, max_images: int
    ) -> Added | None:
        """Store a request as received and due at `not_before`; album parts join their album.

        Returns None when this request message is already stored (Telegram redelivered it).
        """
        async with self._db.transaction() as conn:
            if new.media_group_id is not None:
                await self._remember_parts(conn, new, now=now)
                joined = await self._join_album(
                    conn, new, not_before=not_before, max_images=max_images
                )
                if joined is not None:
                    return Added(joined, created=False)
            identification_id = await self._insert(conn, new, now=now, not_before=not_before)
            if identification_id is None:
                return None
            photos = list(new.photos)
            if new.media_group_id is not None:
                photos = await self._album_parts(conn, new.chat_id, new.media_group_id)
            await conn.executemany(
                _INSERT_PHOTOS, _photo_rows(identification_id, 0, photos[:max_images])
            )
            (record,) = await _select(conn, "WHERE id = ?", (identification_id,))
        return Added(record, created=True)

    async def join_album(
        self, new: IdentificationRequest, *, now: float, not_before: float, max_images: int
    ) -> IdentificationRecord | None:
        """Remember an album part nobody asked about; add it to its album's row if one exists."""
        assert new.media_group_id is not None
        async with self._db.transaction() as conn:
            await self._remember_parts(conn, new, now=now)
            return await self._join_album(conn, new, not_before=not_before, max_images=max_images)

    async def _insert(
        self,
        conn: aiosqlite.Connection,
        new: IdentificationRequest,
        *,
        now: float,
        not_before: float,
        state: str = "received",
        earlier: IdentificationRecord | None = None,
    ) -> int | None:
        latitude = None if new.latitude is None else rounded(new.latitude)
        longitude = None if new.longitude is None else rounded(new.longitude)
        inserted = await _fetchall(
            conn,
            "INSERT INTO identifications (chat_id, user_id, request_message_id, "
            "message_thread_id, language, latitude, longitude, state, created_at, updated_at, "
            "next_attempt_at, media_group_id, requester_name, photo_user_id, confirmable, "
            "location_source, plantid_id, result_json, reused_from) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (chat_id, request_message_id) DO NOTHING RETURNING id",
            (
                new.chat_id,
                new.user_id,
                new.request_message_id,
                new.message_thread_id,
                new.language,
                latitude,
                longitude,
                state,
                now,
                now,
                not_before,
                new.media_group_id,
                new.requester_name,
                new.photo_user_id,
                int(new.confirmable),
                new.location_source if latitude is not None else None,
                earlier.plantid_id if earlier else None,
                earlier.result_json if earlier else None,
                earlier.id if earlier else None,
            ),
        )
        return int(inserted[0][0]) if inserted else None

    async def _remember_parts(
        self, conn: aiosqlite.Connection, new: IdentificationRequest, *, now: float
    ) -> None:
        await conn.execute("DELETE FROM album_parts WHERE created_at < ?", (now - ALBUM_PART_TTL,))
        await conn.executemany(
            "INSERT OR IGNORE INTO album_parts (chat_id, message_id, media_group_id, file_id, "
            "file_unique_id, file_size, width, height, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    new.chat_id,
                    photo.message_id,
                    new.media_group_id,
                    photo.file_id,
                    photo.file_unique_id,
                    photo.file_size,
                    photo.width,
                    photo.height,
                    now,
                )
                for photo in new.photos
            ],
        )

    async def _album_parts(
        self, conn: aiosqlite.Connection, chat_id: int, media_group_id: str
    ) -> list[PhotoRef]:
        rows = await _fetchall(
            conn,
            "SELECT file_id, file_unique_id, message_id, file_size, width, height "
            "FROM album_parts WHERE chat_id = ? AND media_group_id = ? ORDER BY message_id",
            (chat_id, media_group_id),
        )
        return [
            PhotoRef(
                file_id=row["file_id"],
                file_unique_id=row["file_unique_id"],
                message_id=row["message_id"],
                file_size=row["file_size"],
                width=row["width"],
                height=row["height"],
            )
            for row in rows
        ]

    async def _join_album(
        self,
        conn: aiosqlite.Connection,
        new: IdentificationRequest,
        *,
        not_before: float,
        max_images: int,
    ) -> IdentificationRecord | None:
        """Add this part to its album's row, if that row exists; return the row."""
        found = await _select(
            conn, "WHERE chat_id = ? AND media_group_id = ?", (new.chat_id, new.media_group_id)
        )
        if not found:
            return None
        album = found[0]
        if album.state != "received":
            # Already submitted: a straggler can't change what Plant.id is looking at.
            return album
        assert new.media_group_id is not None
        present = {photo.message_id for photo in album.photos}
        missing = [
            part
            for part in await self._album_parts(conn, new.chat_id, new.media_group_id)
            if part.message_id not in present
        ]
        room = max(0, max_images - len(album.photos))
        if missing[:room]:
            await conn.executemany(
                _INSERT_PHOTOS, _photo_rows(album.id, len(album.photos), missing[:room])
            )
        # Each part gives the rest of the album a little longer to arrive.
        await conn.execute(
            "UPDATE identifications SET next_attempt_at = MAX(next_attempt_at, ?) "
            "WHERE id = ? AND state = 'received'",
            (not_before, album.id),
        )
        (joined,) = await _select(conn, "WHERE id = ?", (album.id,))
        return joined

    async def add_reused(
        self, new: IdentificationRequest, earlier: IdentificationRecord, *, now: float
    ) -> IdentificationRecord | None:
        """Store a repeated photo as completed with the earlier result, due for delivery now."""
        async with self._db.transaction() as conn:
            identification_id = await self._insert(
                conn, new, now=now, not_before=now, state="completed", earlier=earlier
            )
            if identification_id is None:
                return None
            await conn.executemany(_INSERT_PHOTOS, _photo_rows(identification_id, 0, new.photos))
            (record,) = await _select(conn, "WHERE id = ?", (identification_id,))
        return record

    async def find_by_photo_message(
        self, chat_id: int, message_id: int
    ) -> IdentificationRecord | None:
        """Return the identification that already looks at this message's photo, if any."""
        async with self._db.turn() as conn:
            found = await _select(
                conn,
                "WHERE chat_id = ? AND (request_message_id = ? OR id IN (SELECT "
                "identification_id FROM identification_photos WHERE message_id = ?)) "
                "ORDER BY id LIMIT 1",
                (chat_id, message_id, message_id),
            )
        return found[0] if found else None

    async def recent_with_image(
        self, user_id: int, file_unique_id: str, *, since: float
    ) -> IdentificationRecord | None:
        """Return the person's latest identification of this very image since `since`."""
        async with self._db.turn() as conn:
            found = await _select(
                conn,
                "WHERE user_id = ? AND created_at >= ? AND state != 'failed' AND id IN ("
                "SELECT identification_id FROM identification_photos WHERE file_unique_id = ?) "
                "ORDER BY id DESC LIMIT 1",
                (user_id, since, file_unique_id),
            )
        return found[0] if found else None

    async def count_since(
        self, *, since: float, user_id: int | None = None, chat_id: int | None = None
    ) -> tuple[int, float | None]:
        """Count identifications that may cost a credit since `since`, and the oldest's time."""
        column, value = ("user_id", user_id) if user_id is not None else ("chat_id", chat_id)
        async with self._db.turn() as conn:
            rows = await _fetchall(
                conn,
                f"SELECT COUNT(*), MIN(created_at) FROM identifications WHERE {column} = ? "
                "AND created_at >= ? AND reused_from IS NULL",
                (value, since),
            )
        count, oldest = rows[0][0], rows[0][1]
        return int(count), None if oldest is None else float(oldest)

    async def attach_place(self, user_id: int, latitude: float, longitude: float) -> int:
        """Give the person's not yet submitted identifications this place; return how many."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "UPDATE identifications SET latitude = ?, longitude = ?, location_source = "
                "'shared' WHERE user_id = ? AND state = 'received'",
                (rounded(latitude), rounded(longitude), user_id),
            ) as cursor,
        ):
            return cursor.rowcount

    async def end_quietly(self, chat_id: int, *, now: float) -> int:
        """End every unfinished identification of a chat the bot can't write to, untold."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "UPDATE identifications SET state = 'failed', failure_reason = ?, "
                "notified_at = ?, updated_at = ?, next_attempt_at = ? WHERE chat_id = ? AND ("
                f"state IN {_ACTIVE} OR (state = 'failed' AND notified_at IS NULL))",
                (CHAT_CLOSED, now, now, now, chat_id),
            ) as cursor,
        ):
            return cursor.rowcount

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move a group's identifications to the supergroup it became; return how many."""
        async with self._db.transaction() as conn:
            # OR IGNORE: a row the new chat already has (same message id) stays where it was.
            async with conn.execute(
                "UPDATE OR IGNORE identifications SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            ) as cursor:
                moved = cursor.rowcount
            await conn.execute(
                "UPDATE OR IGNORE album_parts SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
        return moved


if TYPE_CHECKING:

    def _conforms(db: Database) -> IntakeRepository:
        """Let mypy prove the SQLite repository implements the Protocol."""
        return SqliteIntakeRepository(db)
