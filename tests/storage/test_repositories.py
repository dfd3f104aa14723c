"""The identification repository: creation, lookups, compare-and-set transitions, scheduling."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from storage import (
    Database,
    IdentificationRecord,
    IdentificationState,
    SqliteIdentificationRepository,
)
from storage.database import open_database
from tests.storage.helpers import photo, request

S = IdentificationState
Repo = SqliteIdentificationRepository


async def _created(repo: Repo, message_id: int = 1, *, now: float = 100.0) -> IdentificationRecord:
    record = await repo.create(request(message_id), now=now)
    assert record is not None
    return record


async def _reach(repo: Repo, state: S, message_id: int = 1, *, notified: bool = False) -> int:
    """Walk a fresh identification along the normal path into `state`; return its id."""
    ident = (await _created(repo, message_id)).id
    if state is S.FAILED:
        assert await repo.mark_failed(ident, reason="no_plant", now=101.0)
        if notified:
            assert await repo.mark_failure_notified(ident, now=102.0)
        return ident
    path = [S.SUBMITTING, S.PENDING, S.COMPLETED, S.DELIVERED]
    for step in path[: path.index(state) + 1] if state in path else []:
        if step is S.SUBMITTING:
            assert await repo.start_submitting(ident, custom_id=5000 + ident, now=101.0)
        elif step is S.PENDING:
            assert await repo.mark_pending(ident, plantid_id=9, now=102.0, next_attempt_at=110.0)
        elif step is S.COMPLETED:
            assert await repo.mark_completed(ident, plantid_id=9, result_json="{}", now=103.0)
        else:
            assert await repo.mark_delivered(ident, result_message_id=77, now=104.0)
    return ident


async def _get(repo: Repo, ident: int) -> IdentificationRecord:
    record = await repo.get(ident)
    assert record is not None
    return record


# ---- creation and lookups ----------------------------------------------------------------


async def test_create_records_a_received_request_due_now(repo: Repo) -> None:
    new = replace(request(5), message_thread_id=3, latitude=49.2, longitude=16.6)
    record = await repo.create(new, now=100.0)

    assert record is not None
    assert (record.chat_id, record.user_id, record.request_message_id) == (42, 7, 5)
    assert (record.message_thread_id, record.latitude, record.longitude) == (3, 49.2, 16.6)
    assert record.language == "en"
    assert record.state is S.RECEIVED
    assert (record.created_at, record.updated_at, record.next_attempt_at) == (100.0, 100.0, 100.0)
    assert (record.attempts, record.polls, record.delay_notified) == (0, 0, False)
    assert record.custom_id is None
    assert record.plantid_id is None
    assert record.failure_reason is None
    assert record.notified_at is None
    assert await repo.get(record.id) == record


async def test_redelivered_request_is_not_recorded_twice(repo: Repo) -> None:
    first = await _created(repo, 5)
    again = await repo.create(request(5, photos=(photo(8), photo(9))), now=200.0)

    assert again is None
    assert await repo.get(first.id) == first
    assert (await repo.count_by_state())[S.RECEIVED] == 1


async def test_same_message_id_in_another_chat_is_a_new_request(repo: Repo) -> None:
    first = await _created(repo, 5)
    other = await repo.create(request(5, chat_id=43), now=100.0)

    assert other is not None
    assert other.id != first.id


async def test_album_photos_round_trip_in_order(repo: Repo) -> None:
    album = (photo(3), photo(1), photo(2))
    created = await repo.create(request(1, photos=album), now=1.0)
    assert created is not None

    found = await repo.find_by_request(42, 1)

    assert created.photos == album
    assert found is not None
    assert found.photos == album
    assert found.photos[0].file_size == 50_003


async def test_unknown_identification_is_none(repo: Repo) -> None:
    await _created(repo, 1)

    assert await repo.get(999) is None
    assert await repo.find_by_request(42, 2) is None
    assert await repo.find_by_request(41, 1) is None


async def test_message_bookkeeping_is_stored(repo: Repo) -> None:
    ident = (await _created(repo)).id

    await repo.set_status_message(ident, 555)
    await repo.set_confirmed_suggestion(ident, 3)
    await repo.mark_delay_notified(ident)
    stored = await _get(repo, ident)
    await repo.set_status_message(ident, None)
    await repo.set_confirmed_suggestion(ident, None)
    cleared = await _get(repo, ident)

    assert (stored.status_message_id, stored.confirmed_suggestion_id) == (555, 3)
    assert stored.delay_notified is True
    assert (cleared.status_message_id, cleared.confirmed_suggestion_id) == (None, None)
    assert cleared.state is S.RECEIVED


# ---- transitions: effects ----------------------------------------------------------------


async def test_submission_attempts_are_counted(repo: Repo) -> None:
    ident = (await _created(repo)).id

    assert await repo.start_submitting(ident, custom_id=1234, now=101.0)
    assert await repo.start_submitting(ident, custom_id=1234, now=105.0)
    record = await _get(repo, ident)

    assert record.state is S.SUBMITTING
    assert (record.attempts, record.custom_id, record.updated_at) == (2, 1234, 105.0)


async def test_pending_and_polls_track_progress(repo: Repo) -> None:
    ident = await _reach(repo, S.SUBMITTING)
    assert await repo.postpone(
        ident, expected=S.SUBMITTING, now=102.0, next_attempt_at=120.0, unavailable_since=102.0
    )

    assert await repo.mark_pending(ident, plantid_id=88, now=130.0, next_attempt_at=133.0)
    pending = await _get(repo, ident)
    assert await repo.record_poll(ident, now=133.0, next_attempt_at=139.0)
    assert await repo.record_poll(ident, now=139.0, next_attempt_at=151.0)
    polled = await _get(repo, ident)

    assert pending.state is S.PENDING
    assert (pending.plantid_id, pending.polls, pending.unavailable_since) == (88, 0, None)
    assert pending.next_attempt_at == 133.0
    assert polled.state is S.PENDING
    assert (polled.polls, polled.next_attempt_at, polled.updated_at) == (2, 151.0, 139.0)


async def test_postpone_remembers_when_the_outage_began(repo: Repo) -> None:
    ident = (await _created(repo)).id

    assert await repo.postpone(
        ident, expected=S.RECEIVED, now=101.0, next_attempt_at=111.0, unavailable_since=101.0
    )
    assert await repo.postpone(
        ident, expected=S.RECEIVED, now=111.0, next_attempt_at=131.0, unavailable_since=111.0
    )
    during = await _get(repo, ident)
    assert await repo.postpone(
        ident, expected=S.RECEIVED, now=131.0, next_attempt_at=140.0, unavailable_since=None
    )
    after = await _get(repo, ident)

    assert during.state is S.RECEIVED
    assert (during.unavailable_since, during.next_attempt_at, during.updated_at) == (
        101.0,
        131.0,
        111.0,
    )
    assert (after.unavailable_since, after.next_attempt_at) == (None, 140.0)


async def test_completed_result_is_stored_and_due_for_delivery(repo: Repo) -> None:
    ident = await _reach(repo, S.PENDING)

    assert await repo.mark_completed(ident, plantid_id=88, result_json='{"a": 1}', now=150.0)
    record = await _get(repo, ident)

    assert record.state is S.COMPLETED
    assert (record.plantid_id, record.result_json) == (88, '{"a": 1}')
    assert (record.next_attempt_at, record.updated_at) == (150.0, 150.0)
    assert await repo.due(now=150.0) == [record]


async def test_delivery_is_recorded(repo: Repo) -> None:
    ident = await _reach(repo, S.COMPLETED)

    assert await repo.mark_delivered(ident, result_message_id=321, now=160.0)
    record = await _get(repo, ident)

    assert record.state is S.DELIVERED
    assert (record.result_message_id, record.notified_at, record.updated_at) == (321, 160.0, 160.0)
    assert await repo.due(now=1e12) == []


async def test_failure_waits_for_its_notification(repo: Repo) -> None:
    ident = await _reach(repo, S.PENDING)

    assert await repo.mark_failed(ident, reason="timeout", now=170.0)
    failed = await _get(repo, ident)
    due_before = await repo.due(now=170.0)
    assert await repo.mark_failure_notified(ident, now=171.0)
    notified = await _get(repo, ident)

    assert failed.state is S.FAILED
    assert (failed.failure_reason, failed.notified_at, failed.next_attempt_at) == (
        "timeout",
        None,
        170.0,
    )
    assert due_before == [failed]
    assert (notified.notified_at, notified.updated_at) == (171.0, 171.0)
    assert await repo.due(now=1e12) == []
    assert await repo.mark_failure_notified(ident, now=172.0) is False
    assert await repo.get(ident) == notified


# ---- transitions: compare-and-set from every state ----------------------------------------

Transition = Callable[[Repo, int], Awaitable[bool]]

TRANSITIONS: dict[str, tuple[Transition, frozenset[S]]] = {
    "start_submitting": (
        lambda r, i: r.start_submitting(i, custom_id=1, now=500.0),
        frozenset({S.RECEIVED, S.SUBMITTING}),
    ),
    "mark_pending": (
        lambda r, i: r.mark_pending(i, plantid_id=1, now=500.0, next_attempt_at=510.0),
        frozenset({S.SUBMITTING}),
    ),
    "record_poll": (
        lambda r, i: r.record_poll(i, now=500.0, next_attempt_at=510.0),
        frozenset({S.PENDING}),
    ),
    "mark_completed": (
        lambda r, i: r.mark_completed(i, plantid_id=1, result_json="{}", now=500.0),
        frozenset({S.SUBMITTING, S.PENDING}),
    ),
    "mark_delivered": (
        lambda r, i: r.mark_delivered(i, result_message_id=1, now=500.0),
        frozenset({S.COMPLETED}),
    ),
    "mark_failed": (
        lambda r, i: r.mark_failed(i, reason="x", now=500.0),
        frozenset({S.RECEIVED, S.SUBMITTING, S.PENDING, S.COMPLETED}),
    ),
    "mark_failure_notified": (
        lambda r, i: r.mark_failure_notified(i, now=500.0),
        frozenset({S.FAILED}),
    ),
    "postpone_expecting_pending": (
        lambda r, i: r.postpone(
            i, expected=S.PENDING, now=500.0, next_attempt_at=510.0, unavailable_since=500.0
        ),
        frozenset({S.PENDING}),
    ),
}


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("name", list(TRANSITIONS))
async def test_transition_applies_only_from_expected_states(
    repo: Repo, name: str, state: S
) -> None:
    transition, allowed = TRANSITIONS[name]
    ident = await _reach(repo, state)
    before = await _get(repo, ident)

    applied = await transition(repo, ident)
    after = await _get(repo, ident)

    assert applied is (state in allowed)
    if applied:
        assert after.updated_at == 500.0
    else:
        assert after == before


async def test_transitions_on_a_missing_row_do_not_apply(repo: Repo) -> None:
    for transition, _ in TRANSITIONS.values():
        assert await transition(repo, 404) is False
    assert sum((await repo.count_by_state()).values()) == 0


async def test_concurrent_workers_cannot_both_win_a_transition(db_path: Path) -> None:
    async with await open_database(db_path) as one, await open_database(db_path) as two:
        first, second = Repo(one), Repo(two)
        ident = await _reach(first, S.PENDING)

        results = await asyncio.gather(
            first.mark_completed(ident, plantid_id=1, result_json='{"by": 1}', now=200.0),
            second.mark_completed(ident, plantid_id=1, result_json='{"by": 2}', now=200.0),
            first.mark_completed(ident, plantid_id=1, result_json='{"by": 3}', now=200.0),
        )
        record = await _get(second, ident)

    assert sorted(results) == [False, False, True]
    winner = ['{"by": 1}', '{"by": 2}', '{"by": 3}'][results.index(True)]
    assert record.result_json == winner


async def test_concurrent_requests_on_one_connection_are_all_recorded(repo: Repo) -> None:
    albums = {n: (photo(n), photo(n + 100)) for n in range(1, 21)}

    created = await asyncio.gather(
        *(repo.create(request(n, photos=album), now=float(n)) for n, album in albums.items())
    )

    assert all(record is not None for record in created)
    for n, album in albums.items():
        found = await repo.find_by_request(42, n)
        assert found is not None
        assert found.photos == album


# ---- scheduling --------------------------------------------------------------------------


async def test_due_lists_work_in_time_order_and_skips_finished_rows(repo: Repo) -> None:
    delivered = await _reach(repo, S.DELIVERED, 1)
    notified = await _reach(repo, S.FAILED, 2, notified=True)
    unnotified = await _reach(repo, S.FAILED, 3)
    later = await _reach(repo, S.PENDING, 4)
    tie_a = (await _created(repo, 5, now=100.0)).id
    tie_b = (await _created(repo, 6, now=100.0)).id
    assert await repo.postpone(
        unnotified, expected=S.FAILED, now=101.0, next_attempt_at=90.0, unavailable_since=None
    )

    due_ids = [record.id for record in await repo.due(now=105.0)]
    all_due_ids = [record.id for record in await repo.due(now=1e12)]
    first_two = [record.id for record in await repo.due(now=1e12, limit=2)]

    assert due_ids == [unnotified, tie_a, tie_b]
    assert all_due_ids == [unnotified, tie_a, tie_b, later]
    assert first_two == [unnotified, tie_a]
    assert delivered not in all_due_ids
    assert notified not in all_due_ids


async def test_next_due_at_is_the_earliest_pending_work(repo: Repo) -> None:
    assert await repo.next_due_at() is None

    await _reach(repo, S.DELIVERED, 1)
    await _reach(repo, S.FAILED, 2, notified=True)
    assert await repo.next_due_at() is None

    pending = await _reach(repo, S.PENDING, 3)
    assert await repo.next_due_at() == 110.0

    received = (await _created(repo, 4, now=95.0)).id
    assert await repo.next_due_at() == 95.0

    assert await repo.mark_failed(received, reason="x", now=120.0)
    assert await repo.next_due_at() == 110.0
    assert await repo.mark_failure_notified(received, now=121.0)
    assert await repo.mark_failed(pending, reason="x", now=130.0)
    assert await repo.next_due_at() == 130.0


async def test_count_by_state_covers_every_state(repo: Repo) -> None:
    await _reach(repo, S.PENDING, 1)
    await _reach(repo, S.PENDING, 2)
    await _reach(repo, S.DELIVERED, 3)

    counts = await repo.count_by_state()

    assert counts == {
        S.RECEIVED: 0,
        S.SUBMITTING: 0,
        S.PENDING: 2,
        S.COMPLETED: 0,
        S.DELIVERED: 1,
        S.FAILED: 0,
    }


# ---- durability and integrity ------------------------------------------------------------


async def test_data_survives_closing_and_reopening(db_path: Path) -> None:
    async with await open_database(db_path) as db:
        repo = Repo(db)
        ident = await _reach(repo, S.PENDING)
        await repo.set_status_message(ident, 12)
        before = await _get(repo, ident)

    async with await open_database(db_path) as db:
        after = await Repo(db).get(ident)

    assert after == before


_KILLED_WRITER = """
import asyncio, os, signal, sys
from storage import IdentificationRequest, PhotoRef, SqliteIdentificationRepository
from storage.database import open_database

async def main() -> None:
    db = await open_database(sys.argv[1])
    repo = SqliteIdentificationRepository(db)
    photo = PhotoRef(file_id="f", file_unique_id="u", message_id=1)
    record = await repo.create(IdentificationRequest(42, 7, 1, "en", (photo,)), now=1.0)
    assert record is not None
    assert await repo.start_submitting(record.id, custom_id=99, now=2.0)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


async def test_writes_survive_kill_9_right_after_returning(db_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _KILLED_WRITER, str(db_path), cwd=Path(__file__).parents[2]
    )
    returncode = await asyncio.wait_for(process.wait(), timeout=30)

    async with await open_database(db_path) as db:
        record = await Repo(db).find_by_request(42, 1)

    assert returncode == -signal.SIGKILL
    assert record is not None
    assert (record.state, record.custom_id, record.attempts) == (S.SUBMITTING, 99, 1)
    assert [p.file_id for p in record.photos] == ["f"]


async def test_deleting_an_identification_deletes_its_photos(db: Database, repo: Repo) -> None:
    kept = await repo.create(request(1, photos=(photo(1), photo(2))), now=1.0)
    gone = await repo.create(request(2, photos=(photo(3), photo(4))), now=1.0)
    assert kept is not None
    assert gone is not None

    await db.connection.execute("DELETE FROM identifications WHERE id = ?", (gone.id,))
    async with db.connection.execute(
        "SELECT identification_id, COUNT(*) FROM identification_photos GROUP BY 1"
    ) as cursor:
        remaining = {int(row[0]): int(row[1]) for row in await cursor.fetchall()}

    assert remaining == {kept.id: 2}


async def test_pruning_forgets_only_finished_identifications_past_the_cutoff(repo: Repo) -> None:
    delivered = await _reach(repo, S.DELIVERED, 1)
    told = await _reach(repo, S.FAILED, 2, notified=True)
    untold = await _reach(repo, S.FAILED, 3)
    pending = await _reach(repo, S.PENDING, 4)

    pruned = await repo.prune(finished_before=1000.0)

    assert pruned == 2
    assert await repo.get(delivered) is None
    assert await repo.get(told) is None
    assert await repo.get(untold) is not None, "a failure nobody was told about yet stays"
    assert await repo.get(pending) is not None
    assert await repo.prune(finished_before=50.0) == 0
