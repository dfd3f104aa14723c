"""Schema migrations: from a blank file, from the previous schema, and the connection settings."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage import MIGRATIONS, Migration, SqliteIdentificationRepository, apply_migrations
from storage.database import open_database
from tests.storage.helpers import request

ALL_NAMES = [migration.name for migration in MIGRATIONS]


async def _scalar(conn: aiosqlite.Connection, sql: str) -> object:
    async with conn.execute(sql) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def _recorded(conn: aiosqlite.Connection) -> list[tuple[str, float]]:
    async with conn.execute(
        "SELECT name, applied_at FROM schema_migrations ORDER BY name"
    ) as cursor:
        return [(str(row[0]), float(row[1])) for row in await cursor.fetchall()]


async def _schema_objects(conn: aiosqlite.Connection) -> set[str]:
    async with conn.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'") as cur:
        return {str(row[0]) for row in await cur.fetchall()}


def test_migrations_are_uniquely_named_and_in_order() -> None:
    assert sorted(ALL_NAMES) == ALL_NAMES
    assert len(set(ALL_NAMES)) == len(ALL_NAMES)
    assert ALL_NAMES[0] == "0001_identifications"


async def test_blank_database_gets_every_migration_recorded(db_path: Path) -> None:
    async with await open_database(db_path) as db:
        recorded = await _recorded(db.connection)
        objects = await _schema_objects(db.connection)

    assert [name for name, _ in recorded] == ALL_NAMES
    assert all(applied_at > 0 for _, applied_at in recorded)
    assert {
        "schema_migrations",
        "identifications",
        "identification_photos",
        "identifications_state_next_attempt",
        "identifications_due",
    } <= objects


async def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    async with await open_database(db_path) as db:
        first = await _recorded(db.connection)
    async with await open_database(db_path) as db:
        assert await apply_migrations(db.connection) == []
        assert await _recorded(db.connection) == first


async def test_previous_schema_upgrades_and_keeps_its_rows(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        applied = await apply_migrations(conn, MIGRATIONS[:-1])
        await conn.execute(
            "INSERT INTO identifications (chat_id, user_id, request_message_id, language, "
            "state, created_at, updated_at, next_attempt_at) "
            "VALUES (42, 7, 1, 'de', 'pending', 10.0, 10.0, 20.0)"
        )
        await conn.execute(
            "INSERT INTO identification_photos (identification_id, position, file_id, "
            "file_unique_id, message_id) VALUES (1, 0, 'old-file', 'old-unique', 1)"
        )
    assert applied == ALL_NAMES[:-1]

    async with await open_database(db_path) as db:
        recorded = [name for name, _ in await _recorded(db.connection)]
        repo = SqliteIdentificationRepository(db)
        old = await repo.find_by_request(42, 1)
        due = await repo.due(now=20.0)

    assert recorded == ALL_NAMES
    assert old is not None
    assert old.language == "de"
    assert [p.file_id for p in old.photos] == ["old-file"]
    assert due == [old]


async def test_a_failing_migration_leaves_no_trace(db_path: Path) -> None:
    broken = Migration(
        "9999_broken", "CREATE TABLE half_done (a INTEGER); INSERT INTO nowhere VALUES (1);"
    )
    async with await open_database(db_path) as db:
        with pytest.raises(sqlite3.OperationalError, match="nowhere"):
            await apply_migrations(db.connection, [*MIGRATIONS, broken])
        objects = await _schema_objects(db.connection)
        recorded = [name for name, _ in await _recorded(db.connection)]

    assert "half_done" not in objects
    assert recorded == ALL_NAMES


async def test_semicolons_inside_literals_do_not_split_statements(db_path: Path) -> None:
    step = Migration(
        "9999_literal",
        "CREATE TABLE notes (body TEXT);\nINSERT INTO notes VALUES ('first; still first');\n",
    )
    async with await open_database(db_path) as db:
        assert await apply_migrations(db.connection, [*MIGRATIONS, step]) == ["9999_literal"]
        body = await _scalar(db.connection, "SELECT body FROM notes")

    assert body == "first; still first"


async def test_two_processes_starting_together_migrate_once(db_path: Path) -> None:
    first, second = await asyncio.gather(open_database(db_path), open_database(db_path))
    async with first, second:
        recorded = [name for name, _ in await _recorded(first.connection)]

    assert recorded == ALL_NAMES


async def test_connection_runs_in_wal_with_foreign_keys(db_path: Path) -> None:
    async with await open_database(db_path) as db:
        conn = db.connection
        assert await _scalar(conn, "PRAGMA journal_mode") == "wal"
        assert await _scalar(conn, "PRAGMA foreign_keys") == 1
        assert await _scalar(conn, "PRAGMA busy_timeout") == 5000
        # 1 is NORMAL.
        assert await _scalar(conn, "PRAGMA synchronous") == 1


async def test_parent_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.sqlite3"
    async with await open_database(path):
        pass

    assert path.is_file()


async def test_in_memory_database_is_fully_usable() -> None:
    async with await open_database(":memory:") as db:
        repo = SqliteIdentificationRepository(db)
        created = await repo.create(request(), now=1.0)
        recorded = [name for name, _ in await _recorded(db.connection)]

    assert created is not None
    assert recorded == ALL_NAMES
