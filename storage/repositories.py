"""The identification repository: a backend-neutral Protocol and its SQLite implementation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import aiosqlite

from bot.model import WorkLane
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

    async def next_due_at(self, lane: WorkLane | None = None) -> float | None: ...

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
        error: str | None = None,
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

    async def claim(
        self,
        lane: WorkLane,
        *,
        owner: str,
        now: float,
        lease_until: float,
        limit: int,
        due_by: float | None = None,
    ) -> list[IdentificationRecord]: ...

    async def start_paid_submission(
        self, identification_id: int, *, custom_id: int, owner: str, now: float
    ) -> bool: ...

    async def renew_leases(
        self, identification_ids: Sequence[int], *, owner: str, lease_until: float
    ) -> int: ...

    async def release(self, identification_id: int, *, owner: str) -> None: ...

    async def release_all(self, *, owner: str) -> None: ...

    async def claim_status_messages(
        self, *, now: float, lease_until: float, limit: int
    ) -> list[IdentificationRecord]: ...

    async def record_status_message(self, identification_id: int, message_id: int) -> bool: ...

    async def retry_status_message(self, identification_id: int, *, at: float) -> None: ...

    async def settle_status_message(self, identification_id: int) -> bool: ...

    async def status_messages_to_send(self) -> int: ...

    async def renew_status_leases(
        self, identification_ids: Sequence[int], *, lease_until: float
    ) -> None: ...

    async def next_status_due_at(self) -> float | None: ...

    async def give_up_delivery(
        self, identification_id: int, *, reason: str, now: float
    ) -> bool: ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int: ...

    async def prune(self, *, finished_before: float) -> int: ...

    async def record_confirmation(
        self, identification_id: int, suggestion_id: int | None, *, now: float
    ) -> None: ...

    async def count_by_state(self) -> dict[IdentificationState, int]: ...

    async def set_photo_place(
        self, identification_id: int, latitude: float, longitude: float
    ) -> bool: ...

    async def record_none_of_these(self, identification_id: int, *, now: float) -> None: ...


_COLUMNS = (
    "id, chat_id, user_id, request_message_id, message_thread_id, status_message_id, "
    "result_message_id, language, latitude, longitude, custom_id, plantid_id, state, "
    "failure_reason, attempts, polls, created_at, updated_at, next_attempt_at, "
    "unavailable_since, delay_notified, result_json, confirmed_suggestion_id, notified_at, "
    "lease_owner, lease_until, step_attempts, last_error, status_sent, status_attempts, "
    "confirmed_at, "
    "media_group_id, requester_name, photo_user_id, confirmable, location_source, reused_from"
)

# What each lane may claim, besides being due and not leased. A submission waits until the status
# message is settled (sent, or given up), so a crash can't leave one status message per attempt;
# a result or failure notice waits too (or takes over a status job that is stuck), so it never
# races the status reply.
_LANE_CONDITIONS = {
    WorkLane.SUBMIT: "state IN ('received', 'submitting') AND status_sent = 1",
    WorkLane.POLL: "state = 'pending'",
    WorkLane.DELIVER: (
        "(state = 'completed' OR (state = 'failed' AND notified_at IS NULL)) "
        "AND (status_sent = 1 OR status_lease_until IS NULL OR status_lease_until < :now)"
    ),
}
_ACTIVE_STATES = "('received', 'submitting', 'pending')"
# Changing state ends the step: the lease goes, and the next step starts counting its attempts.
_NEXT_STEP = "lease_owner = NULL, lease_until = NULL, step_attempts = 0, last_error = NULL"

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
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        step_attempts=row["step_attempts"],
        last_error=row["last_error"],
        status_sent=bool(row["status_sent"]),
        status_attempts=row["status_attempts"],
        confirmed_at=row["confirmed_at"],
        photos=photos,
        media_group_id=row["media_group_id"],
        requester_name=row["requester_name"],
        photo_user_id=row["photo_user_id"],
        confirmable=bool(row["confirmable"]),
        location_source=row["location_source"],
        reused_from=row["reused_from"],
    )


async def _fetchall(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] | dict[str, Any] = ()
) -> list[sqlite3.Row]:
    """Run a statement and return its rows."""
    # One trip to aiosqlite's thread instead of three (execute, fetchall, close): each trip
    # wakes the event loop, which under load costs more CPU than the statement itself.
    return list(await conn.execute_fetchall(sql, params))


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
        async with self._db.turn() as conn:
            changed = await _fetchall(conn, f"{sql} RETURNING id", params)
        return len(changed) == 1

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
            inserted = await _fetchall(
                conn,
                "INSERT INTO identifications (chat_id, user_id, request_message_id, "
                "message_thread_id, language, latitude, longitude, state, created_at, "
                "updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                f"ON CONFLICT (chat_id, request_message_id) DO NOTHING RETURNING {_COLUMNS}",
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
            )
            if not inserted:
                return None
            identification_id = int(inserted[0]["id"])
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
            (record,) = await _with_photos(conn, inserted)
        return record

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
            "UPDATE identifications SET status_message_id = ?, status_sent = 1 WHERE id = ?",
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

    async def next_due_at(self, lane: WorkLane | None = None) -> float | None:
        """Return when the next identification (of `lane`) may be worked on, or None if never."""
        if lane is None:
            sql = (
                f"SELECT MIN(next_attempt_at) FROM identifications {_DUE_INDEX} WHERE {_NEEDS_WORK}"
            )
        else:
            # A leased row comes back when its lease ends; a result waits for its status message.
            ready = (
                "MAX(next_attempt_at, COALESCE(lease_until, 0), "
                "CASE WHEN status_sent = 0 THEN COALESCE(status_lease_until, 0) ELSE 0 END)"
            )
            condition = _LANE_CONDITIONS[lane].replace(
                "AND (status_sent = 1 OR status_lease_until IS NULL OR status_lease_until < :now)",
                "",
            )
            sql = (
                f"SELECT MIN({ready}) FROM identifications {_DUE_INDEX} "
                f"WHERE ({_NEEDS_WORK}) AND {condition}"
            )
        async with self._db.turn() as conn:
            rows = await _fetchall(conn, sql)
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

    async def start_paid_submission(
        self, identification_id: int, *, custom_id: int, owner: str, now: float
    ) -> bool:
        """Count a submission under `custom_id`, only while `owner` holds a live lease."""
        return await self._change(
            "UPDATE identifications SET state = ?, attempts = attempts + 1, custom_id = ?, "
            "updated_at = ? WHERE id = ? AND state IN (?, ?) AND lease_owner = ? "
            "AND lease_until >= ?",
            (
                str(_S.SUBMITTING),
                custom_id,
                now,
                identification_id,
                str(_S.RECEIVED),
                str(_S.SUBMITTING),
                owner,
                now,
            ),
        )

    async def mark_pending(
        self, identification_id: int, *, plantid_id: int, now: float, next_attempt_at: float
    ) -> bool:
        """Record that Plant.id accepted the submission and is still working on it."""
        return await self._transition(
            identification_id,
            (_S.SUBMITTING,),
            f"state = ?, plantid_id = ?, polls = 0, unavailable_since = NULL, {_NEXT_STEP}, "
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
            f"polls = polls + 1, unavailable_since = NULL, {_NEXT_STEP}, updated_at = ?, "
            "next_attempt_at = ?",
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
        error: str | None = None,
    ) -> bool:
        """Retry later in the same state; keep the first moment the service became unavailable."""
        return await self._transition(
            identification_id,
            (expected,),
            "updated_at = ?, next_attempt_at = ?, unavailable_since = "
            "CASE WHEN ? IS NULL THEN NULL ELSE COALESCE(unavailable_since, ?) END, "
            "step_attempts = step_attempts + 1, last_error = ?, "
            "lease_owner = NULL, lease_until = NULL",
            (now, next_attempt_at, unavailable_since, unavailable_since, error),
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
            f"state = ?, plantid_id = ?, result_json = ?, unavailable_since = NULL, {_NEXT_STEP}, "
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
            f"state = ?, result_message_id = ?, notified_at = ?, {_NEXT_STEP}, updated_at = ?",
            (str(_S.DELIVERED), result_message_id, now, now),
        )

    async def mark_failed(self, identification_id: int, *, reason: str, now: float) -> bool:
        """Give up on an active identification; the person is still to be told."""
        return await self._transition(
            identification_id,
            (_S.RECEIVED, _S.SUBMITTING, _S.PENDING, _S.COMPLETED),
            f"state = ?, failure_reason = ?, unavailable_since = NULL, {_NEXT_STEP}, "
            "updated_at = ?, next_attempt_at = ?",
            (str(_S.FAILED), reason, now, now),
        )

    async def mark_failure_notified(self, identification_id: int, *, now: float) -> bool:
        """Record that the person was told about the failure."""
        return await self._change(
            f"UPDATE identifications SET notified_at = ?, updated_at = ?, {_NEXT_STEP} "
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

    async def claim(
        self,
        lane: WorkLane,
        *,
        owner: str,
        now: float,
        lease_until: float,
        limit: int,
        due_by: float | None = None,
    ) -> list[IdentificationRecord]:
        """Lease up to `limit` rows of `lane` due by `due_by` (default now), earliest first."""
        async with self._db.turn() as conn:
            # One statement leases and reads the rows; their photos never change once stored,
            # so reading them after it needs no transaction around both.
            rows = await _fetchall(
                conn,
                f"UPDATE identifications SET lease_owner = :owner, lease_until = :until "
                f"WHERE id IN (SELECT id FROM identifications {_DUE_INDEX} "
                f"WHERE ({_NEEDS_WORK}) AND {_LANE_CONDITIONS[lane]} "
                "AND next_attempt_at <= :due AND (lease_until IS NULL OR lease_until < :now) "
                f"ORDER BY next_attempt_at, id LIMIT :limit) RETURNING {_COLUMNS}",
                {
                    "owner": owner,
                    "until": lease_until,
                    "now": now,
                    "due": now if due_by is None else due_by,
                    "limit": limit,
                },
            )
            # RETURNING gives rows in no particular order.
            rows.sort(key=lambda row: (row["next_attempt_at"], row["id"]))
            return await _with_photos(conn, rows)

    async def renew_leases(
        self, identification_ids: Sequence[int], *, owner: str, lease_until: float
    ) -> int:
        """Extend the leases `owner` still holds; return how many it still held."""
        if not identification_ids:
            return 0
        async with self._db.turn() as conn:
            renewed = await _fetchall(
                conn,
                f"UPDATE identifications SET lease_until = ? WHERE lease_owner = ? "
                f"AND id IN ({_placeholders(len(identification_ids))}) RETURNING id",
                [lease_until, owner, *identification_ids],
            )
        return len(renewed)

    async def release(self, identification_id: int, *, owner: str) -> None:
        """Give a lease back without changing the row, so that work can resume at once."""
        await self._change(
            "UPDATE identifications SET lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND lease_owner = ?",
            (identification_id, owner),
        )

    async def release_all(self, *, owner: str) -> None:
        """Give back every lease `owner` holds (a clean shutdown)."""
        async with self._db.turn() as conn:
            await conn.execute(
                "UPDATE identifications SET lease_owner = NULL, lease_until = NULL "
                "WHERE lease_owner = ?",
                (owner,),
            )

    async def claim_status_messages(
        self, *, now: float, lease_until: float, limit: int
    ) -> list[IdentificationRecord]:
        """Lease up to `limit` active identifications whose status message is still to send."""
        async with self._db.turn() as conn:
            rows = await _fetchall(
                conn,
                "UPDATE identifications SET status_lease_until = :until "
                "WHERE id IN (SELECT id FROM identifications "
                "INDEXED BY identifications_status_to_send WHERE status_sent = 0 "
                f"AND state IN {_ACTIVE_STATES} "
                "AND (status_lease_until IS NULL OR status_lease_until < :now) "
                f"ORDER BY id LIMIT :limit) RETURNING {_COLUMNS}",
                {"until": lease_until, "now": now, "limit": limit},
            )
            # RETURNING gives rows in no particular order.
            rows.sort(key=lambda row: row["id"])
            return await _with_photos(conn, rows)

    async def record_status_message(self, identification_id: int, message_id: int) -> bool:
        """Store the sent status message; False if its job was given up or taken over meanwhile."""
        return await self._change(
            "UPDATE identifications SET status_message_id = ?, status_sent = 1, "
            "status_lease_until = NULL WHERE id = ? AND status_sent = 0",
            (message_id, identification_id),
        )

    async def retry_status_message(self, identification_id: int, *, at: float) -> None:
        """Try the status message again at `at`, counting the failed attempt."""
        await self._change(
            "UPDATE identifications SET status_lease_until = ?, "
            "status_attempts = status_attempts + 1 WHERE id = ? AND status_sent = 0",
            (at, identification_id),
        )

    async def settle_status_message(self, identification_id: int) -> bool:
        """Stop trying to send the status message; False if it was already settled."""
        return await self._change(
            "UPDATE identifications SET status_sent = 1, status_lease_until = NULL "
            "WHERE id = ? AND status_sent = 0",
            (identification_id,),
        )

    async def status_messages_to_send(self) -> int:
        """Return how many status messages wait to be sent."""
        async with self._db.turn() as conn:
            rows = await _fetchall(
                conn,
                "SELECT COUNT(*) FROM identifications INDEXED BY identifications_status_to_send "
                f"WHERE status_sent = 0 AND state IN {_ACTIVE_STATES}",
            )
        return int(rows[0][0])

    async def renew_status_leases(
        self, identification_ids: Sequence[int], *, lease_until: float
    ) -> None:
        """Keep status messages in flight (e.g. waiting out flood control) from being resent."""
        if not identification_ids:
            return
        async with self._db.turn() as conn:
            await conn.execute(
                "UPDATE identifications SET status_lease_until = ? WHERE status_sent = 0 "
                f"AND id IN ({_placeholders(len(identification_ids))})",
                [lease_until, *identification_ids],
            )

    async def next_status_due_at(self) -> float | None:
        """Return when a status message still to send may next be tried, or None if none waits."""
        async with self._db.turn() as conn:
            rows = await _fetchall(
                conn,
                "SELECT MIN(COALESCE(status_lease_until, 0)) FROM identifications "
                "INDEXED BY identifications_status_to_send "
                f"WHERE status_sent = 0 AND state IN {_ACTIVE_STATES}",
            )
        value = rows[0][0]
        return None if value is None else float(value)

    async def give_up_delivery(self, identification_id: int, *, reason: str, now: float) -> bool:
        """End a result or notice that can't reach the person: failed, and nobody to tell."""
        return await self._change(
            f"UPDATE identifications SET state = ?, failure_reason = COALESCE(?, failure_reason), "
            f"notified_at = ?, updated_at = ?, {_NEXT_STEP} WHERE id = ? "
            "AND (state = ? OR (state = ? AND notified_at IS NULL))",
            (
                str(_S.FAILED),
                reason,
                now,
                now,
                identification_id,
                str(_S.COMPLETED),
                str(_S.FAILED),
            ),
        )

    async def prune(self, *, finished_before: float) -> int:
        """Delete finished identifications last changed before `finished_before`; count them."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "DELETE FROM identifications WHERE updated_at < ? AND (state = 'delivered' "
                "OR (state = 'failed' AND notified_at IS NOT NULL))",
                (finished_before,),
            ) as cursor,
        ):
            return cursor.rowcount

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Follow a group that became a supergroup: its identifications now answer there."""
        async with (
            self._db.turn() as conn,
            conn.execute(
                "UPDATE OR IGNORE identifications SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            ) as cursor,
        ):
            return cursor.rowcount

    async def record_confirmation(
        self, identification_id: int, suggestion_id: int | None, *, now: float
    ) -> None:
        """Remember which suggestion the person confirmed (None clears it), and when."""
        await self._change(
            "UPDATE identifications SET confirmed_suggestion_id = ?, confirmed_at = ? WHERE id = ?",
            (suggestion_id, now, identification_id),
        )

    async def record_none_of_these(self, identification_id: int, *, now: float) -> None:
        """Record that no suggestion is right: any confirmation is cleared."""
        await self._change(
            "UPDATE identifications SET confirmed_suggestion_id = NULL, confirmed_at = ?, "
            "none_of_these_at = ? WHERE id = ?",
            (now, now, identification_id),
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
