"""What the bot remembers about people and chats: a person's recent place, a group's choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from storage.database import Database


@dataclass(frozen=True)
class Place:
    """A person's shared location, already rounded, and until when it is used."""

    latitude: float
    longitude: float
    expires_at: float


class PeopleRepository(Protocol):
    """Persist people's places and chats' settings."""

    async def set_place(self, user_id: int, place: Place) -> None: ...

    async def place(self, user_id: int, *, now: float) -> Place | None: ...

    async def forget_place(self, user_id: int) -> bool: ...

    async def set_autoidentify(self, chat_id: int, enabled: bool) -> None: ...

    async def autoidentify(self, chat_id: int) -> bool: ...

    async def set_closed(self, chat_id: int, closed_at: float | None) -> None: ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None: ...


class SqlitePeopleRepository:
    """Store places and chat settings in SQLite through one shared `Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def set_place(self, user_id: int, place: Place) -> None:
        """Remember (or replace) the person's place until `place.expires_at`."""
        async with self._db.turn() as conn:
            await conn.execute(
                "INSERT INTO person_locations (user_id, latitude, longitude, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "latitude = excluded.latitude, longitude = excluded.longitude, "
                "expires_at = excluded.expires_at",
                (user_id, place.latitude, place.longitude, place.expires_at),
            )

    async def place(self, user_id: int, *, now: float) -> Place | None:
        """Return the person's place if it has not expired."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "SELECT latitude, longitude, expires_at FROM person_locations "
                "WHERE user_id = ? AND expires_at > ?",
                (user_id, now),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        if row is None:
            return None
        return Place(float(row[0]), float(row[1]), float(row[2]))

    async def forget_place(self, user_id: int) -> bool:
        """Delete the person's place; return whether there was one."""
        async with (
            self._db.turn() as conn,
            conn.execute("DELETE FROM person_locations WHERE user_id = ?", (user_id,)) as cursor,
        ):
            return cursor.rowcount > 0

    async def set_autoidentify(self, chat_id: int, enabled: bool) -> None:
        """Turn identifying every photo of a group on or off."""
        async with self._db.turn() as conn:
            await conn.execute(
                "INSERT INTO chat_settings (chat_id, autoidentify) VALUES (?, ?) "
                "ON CONFLICT (chat_id) DO UPDATE SET autoidentify = excluded.autoidentify",
                (chat_id, int(enabled)),
            )

    async def autoidentify(self, chat_id: int) -> bool:
        """Tell whether every photo of this group is identified."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "SELECT autoidentify FROM chat_settings WHERE chat_id = ?", (chat_id,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return row is not None and bool(row[0])

    async def set_closed(self, chat_id: int, closed_at: float | None) -> None:
        """Record that the bot can no longer write to a chat (None: it can again)."""
        async with self._db.turn() as conn:
            await conn.execute(
                "INSERT INTO chat_settings (chat_id, closed_at) VALUES (?, ?) "
                "ON CONFLICT (chat_id) DO UPDATE SET closed_at = excluded.closed_at",
                (chat_id, closed_at),
            )

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """Carry a group's settings over to the supergroup it became."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO chat_settings (chat_id, autoidentify, closed_at) "
                "SELECT ?, autoidentify, NULL FROM chat_settings WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            await conn.execute("DELETE FROM chat_settings WHERE chat_id = ?", (old_chat_id,))


if TYPE_CHECKING:

    def _conforms(db: Database) -> PeopleRepository:
        """Let mypy prove the SQLite repository implements the Protocol."""
        return SqlitePeopleRepository(db)
