"""Append-only schema migrations, recorded in `schema_migrations` and applied at startup."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import aiosqlite


class Migration(NamedTuple):
    """One named schema step; once shipped, never edited (add a new step instead)."""

    name: str
    sql: str


_IDENTIFICATIONS = """
CREATE TABLE identifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    request_message_id INTEGER NOT NULL,
    message_thread_id INTEGER NULL,
    status_message_id INTEGER NULL,
    result_message_id INTEGER NULL,
    language TEXT NOT NULL,
    latitude REAL NULL,
    longitude REAL NULL,
    custom_id INTEGER NULL UNIQUE,
    plantid_id INTEGER NULL,
    state TEXT NOT NULL CHECK (
        state IN ('received', 'submitting', 'pending', 'completed', 'delivered', 'failed')
    ),
    failure_reason TEXT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    unavailable_since REAL NULL,
    delay_notified INTEGER NOT NULL DEFAULT 0,
    result_json TEXT NULL,
    confirmed_suggestion_id INTEGER NULL,
    notified_at REAL NULL,
    UNIQUE (chat_id, request_message_id)
);

CREATE INDEX identifications_state_next_attempt
    ON identifications (state, next_attempt_at);

CREATE TABLE identification_photos (
    identification_id INTEGER NOT NULL REFERENCES identifications (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    file_id TEXT NOT NULL,
    file_unique_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    file_size INTEGER NULL,
    width INTEGER NULL,
    height INTEGER NULL,
    PRIMARY KEY (identification_id, position)
);
"""

# The scheduler asks "what is due next?" after every change, across four active states plus
# failed-but-unnotified rows; the index from 0001 answers that by reading and sorting every due
# row (a backlog after an outage), while this partial index reads rows in due order and stops at
# the limit. Its WHERE clause must stay in step with `storage.repositories._NEEDS_WORK`.
_DUE_INDEX = """
CREATE INDEX identifications_due
    ON identifications (next_attempt_at, id)
    WHERE state IN ('received', 'submitting', 'pending', 'completed')
        OR (state = 'failed' AND notified_at IS NULL);
"""

# Several worker processes may share one database: a row is worked on only by the holder of its
# lease (owner and expiry, taken with a compare-and-set, renewed while working, taken over after
# expiry). The status message is a job of its own with its own lease, so that a slow submission
# never delays the "looking at your plant" reply. Rows stored before this step had their status
# handled by the handler already.
_ENGINE = """
ALTER TABLE identifications ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE identifications ADD COLUMN lease_until REAL NULL;
ALTER TABLE identifications ADD COLUMN step_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identifications ADD COLUMN last_error TEXT NULL;
ALTER TABLE identifications ADD COLUMN status_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identifications ADD COLUMN status_lease_until REAL NULL;
ALTER TABLE identifications ADD COLUMN status_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identifications ADD COLUMN confirmed_at REAL NULL;
UPDATE identifications SET status_sent = 1;
CREATE INDEX identifications_status_to_send
    ON identifications (id) WHERE status_sent = 0;
"""

# Updates Telegram considers delivered once the next getUpdates offset acknowledges them: they are
# stored here first, then handled, so a crash between the two loses nothing.
_INBOX = """
CREATE TABLE telegram_inbox (
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    received_at REAL NOT NULL,
    lease_until REAL NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
"""

# Every way a plant reaches the bot (issue 9): albums gather into one row, groups remember who
# asked about whose photo, people lend their place for an hour, and chats can close on us. Only
# rounded coordinates (2 decimals, about 1 km) are ever written.
_INPUTS = """
ALTER TABLE identifications ADD COLUMN media_group_id TEXT NULL;
ALTER TABLE identifications ADD COLUMN requester_name TEXT NULL;
ALTER TABLE identifications ADD COLUMN photo_user_id INTEGER NULL;
ALTER TABLE identifications ADD COLUMN confirmable INTEGER NOT NULL DEFAULT 1;
ALTER TABLE identifications ADD COLUMN location_source TEXT NULL;
ALTER TABLE identifications ADD COLUMN reused_from INTEGER NULL;

CREATE UNIQUE INDEX identifications_album
    ON identifications (chat_id, media_group_id) WHERE media_group_id IS NOT NULL;
CREATE INDEX identifications_user_created ON identifications (user_id, created_at);
CREATE INDEX identifications_chat_created ON identifications (chat_id, created_at);
CREATE INDEX identification_photos_unique_id ON identification_photos (file_unique_id);
CREATE INDEX identification_photos_message ON identification_photos (message_id);

CREATE TABLE album_parts (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    media_group_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    file_unique_id TEXT NOT NULL,
    file_size INTEGER NULL,
    width INTEGER NULL,
    height INTEGER NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX album_parts_group ON album_parts (chat_id, media_group_id);

CREATE TABLE person_locations (
    user_id INTEGER PRIMARY KEY,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    expires_at REAL NOT NULL
);

CREATE TABLE chat_settings (
    chat_id INTEGER PRIMARY KEY,
    autoidentify INTEGER NOT NULL DEFAULT 0,
    closed_at REAL NULL
);
"""

# What people choose and what the operator was told. A person's interface language wins over
# Telegram's language_code; an operator notice is one row per ongoing event, so it is sent once
# per event by whichever process notices first, and removed when the event is over. "None of
# these" is recorded per identification; the index serves /history and /forget.
_OUTPUTS = """
CREATE TABLE person_preferences (
    user_id INTEGER PRIMARY KEY,
    language TEXT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE operator_notices (
    event TEXT PRIMARY KEY,
    noticed_at REAL NOT NULL
);
ALTER TABLE identifications ADD COLUMN none_of_these_at REAL NULL;
CREATE INDEX identifications_by_user ON identifications (user_id, id);
"""

# Operations: a key/value table for what the bot decides about itself (the generated webhook
# secret), a random per-identification token for Plant.id's unauthenticated callback URL, and the
# two moments the latency histograms need. Those are stamped by triggers so that every writer (any
# worker process, any code path) records them alike: the status message's appearance in wall-clock
# time (no statement that sets it carries a time), completion in the row's own `updated_at`, the
# clock of `created_at` and `notified_at`. A callback that beats the recording of its own
# submission (Plant.id can be that quick) is kept in `callback_at`, and a trigger then makes the
# first poll due at once.
_OPERATIONS = """
CREATE TABLE bot_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL
);
ALTER TABLE identifications ADD COLUMN callback_token TEXT NULL;
ALTER TABLE identifications ADD COLUMN status_shown_at REAL NULL;
ALTER TABLE identifications ADD COLUMN completed_at REAL NULL;
ALTER TABLE identifications ADD COLUMN callback_at REAL NULL;
CREATE UNIQUE INDEX identifications_callback_token
    ON identifications (callback_token) WHERE callback_token IS NOT NULL;
CREATE TRIGGER identifications_status_shown
    AFTER UPDATE OF status_message_id ON identifications
    WHEN NEW.status_message_id IS NOT NULL AND NEW.status_shown_at IS NULL
BEGIN
    UPDATE identifications SET status_shown_at = (julianday('now') - 2440587.5) * 86400.0
        WHERE id = NEW.id;
END;
CREATE TRIGGER identifications_completed
    AFTER UPDATE OF state ON identifications
    WHEN NEW.state = 'completed' AND OLD.state <> 'completed'
BEGIN
    UPDATE identifications SET completed_at = NEW.updated_at WHERE id = NEW.id;
END;
CREATE TRIGGER identifications_early_callback
    AFTER UPDATE OF state ON identifications
    WHEN NEW.state = 'pending' AND OLD.state <> 'pending' AND NEW.callback_at IS NOT NULL
BEGIN
    UPDATE identifications SET next_attempt_at = MIN(next_attempt_at, NEW.callback_at)
        WHERE id = NEW.id;
END;
"""

# Handled updates are remembered by id (nothing else), so an update Telegram sends again, as it
# may when two pollers take turns before the offset is confirmed, is not handled twice. Telegram
# keeps an unconfirmed update for at most 24 hours, so the ids are forgotten after that.
_HANDLED_UPDATES = """
CREATE TABLE telegram_handled (
    update_id INTEGER PRIMARY KEY,
    handled_at REAL NOT NULL
);
CREATE INDEX telegram_handled_at ON telegram_handled (handled_at);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_identifications", _IDENTIFICATIONS),
    Migration("0002_identifications_due_index", _DUE_INDEX),
    Migration("0003_engine_leases", _ENGINE),
    Migration("0004_telegram_inbox", _INBOX),
    Migration("0005_inputs", _INPUTS),
    Migration("0006_outputs", _OUTPUTS),
    Migration("0007_operations", _OPERATIONS),
    Migration("0008_handled_updates", _HANDLED_UPDATES),
)


def _statements(script: str) -> Iterator[str]:
    """Split a script into complete SQL statements."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        # A ';' may sit inside a string literal or trigger body; only cut where SQLite agrees.
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                yield pending.strip()
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise ValueError("migration script ends with an incomplete statement")


async def _applied(conn: aiosqlite.Connection) -> set[str]:
    """Return the names of the migrations recorded in the database."""
    async with conn.execute("SELECT name FROM schema_migrations") as cursor:
        return {str(row[0]) for row in await cursor.fetchall()}


async def apply_migrations(
    conn: aiosqlite.Connection, migrations: Sequence[Migration] = MIGRATIONS
) -> list[str]:
    """Apply the migrations not yet recorded, in order, each in its own transaction."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    await conn.commit()
    applied: list[str] = []
    for migration in migrations:
        if migration.name in await _applied(conn):
            continue
        # IMMEDIATE, then look again: another process starting at the same moment may have
        # applied this step while we waited for the write lock.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            if migration.name not in await _applied(conn):
                for statement in _statements(migration.sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (migration.name, time.time()),
                )
                applied.append(migration.name)
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()
    return applied
