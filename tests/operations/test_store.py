"""Callback tokens and the callback that beats the recording of its own submission."""

from __future__ import annotations

from pathlib import Path

from storage.database import open_database
from storage.operations import OperationsStore
from storage.repositories import SqliteIdentificationRepository
from tests.storage.helpers import request


async def test_a_callback_before_the_submission_is_recorded_makes_the_first_poll_due(
    tmp_path: Path,
) -> None:
    async with await open_database(tmp_path / "plantbot.sqlite3") as db:
        repo = SqliteIdentificationRepository(db)
        store = OperationsStore(db)
        record = await repo.create(request(1), now=100.0)
        assert record is not None
        token = await store.callback_token(record.id)
        assert await store.callback_token(record.id) == token, "kept across retries"
        assert await store.find_by_callback_token(token) == record.id
        assert await store.find_by_callback_token(token + "x") is None

        await repo.start_submitting(record.id, custom_id=1, now=101.0)
        assert not await store.poll_now(record.id, now=102.0), "not pending yet: nothing to wake"
        await repo.mark_pending(record.id, plantid_id=9, now=103.0, next_attempt_at=160.0)
        pending = await repo.get(record.id)
        assert pending is not None
        assert pending.next_attempt_at == 102.0

        assert await store.poll_now(record.id, now=104.0)
        await repo.mark_completed(record.id, plantid_id=9, result_json="{}", now=105.0)
        assert not await store.poll_now(record.id, now=106.0)
