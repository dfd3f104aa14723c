"""Two getUpdates consumers of one token: Telegram ends the older poll with 409 Conflict."""

from __future__ import annotations

import asyncio

import httpx

from sandbox.telegram import FakeTelegram


async def test_a_newer_poll_ends_the_waiting_one_with_409_and_gets_the_updates(
    fake: FakeTelegram,
) -> None:
    alice = fake.user("Alice")
    chat = fake.private_chat(alice)
    url = f"http://telegram.test/bot{fake.token}/getUpdates"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as client:
        first = asyncio.create_task(client.post(url, json={"timeout": 60}))
        await fake.wait_for(lambda: len(fake.calls_to("getUpdates")) == 1)
        second = asyncio.create_task(client.post(url, json={"timeout": 60}))
        refused = await asyncio.wait_for(first, 10)
        await fake.wait_for(lambda: len(fake.calls_to("getUpdates")) == 2)
        fake.send_text(alice, chat, "hello")
        answered = await asyncio.wait_for(second, 10)

    assert refused.status_code == 409
    assert refused.json() == {
        "ok": False,
        "error_code": 409,
        "description": "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
    }
    assert answered.status_code == 200
    (update,) = answered.json()["result"]
    assert update["message"]["text"] == "hello"
