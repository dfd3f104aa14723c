"""The update inbox: stored before acknowledged, handled once even if Telegram sends it again."""

from __future__ import annotations

from storage import Database
from storage.inbox import HANDLED_MEMORY, SqliteInbox


async def test_an_update_sent_again_after_it_was_handled_is_not_handled_twice(
    db: Database,
) -> None:
    inbox = SqliteInbox(db)
    assert await inbox.add([(7, '{"update_id": 7}')], now=1000.0) == 1
    (item,) = await inbox.claim(now=1000.0, lease_until=1030.0, limit=10)
    await inbox.done(item.update_id, now=1000.0)

    # A second poller fetched it before the first confirmed the offset.
    assert await inbox.add([(7, '{"update_id": 7}'), (8, '{"update_id": 8}')], now=1001.0) == 1
    claimed = await inbox.claim(now=1001.0, lease_until=1031.0, limit=10)
    assert [item.update_id for item in claimed] == [8]


async def test_handled_ids_are_forgotten_once_telegram_can_no_longer_send_them(
    db: Database,
) -> None:
    inbox = SqliteInbox(db)
    await inbox.add([(7, "{}")], now=0.0)
    await inbox.done(7, now=0.0)

    await inbox.add([(9, "{}")], now=HANDLED_MEMORY + 1)
    async with db.turn() as conn, conn.execute("SELECT update_id FROM telegram_handled") as rows:
        assert await rows.fetchall() == []
