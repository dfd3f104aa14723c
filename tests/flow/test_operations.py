"""Operating the real bot over HTTP: webhook mode with Plant.id callbacks, health and metrics."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from sandbox.plantid import Emulator
from sandbox.server import free_port
from sandbox.telegram import FakeTelegram
from tests.flow.chat import results
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_settings(port: int, **more: Any) -> dict[str, Any]:
    # The first safety-net poll comes after poll_interval_max (a minute here): a result shown
    # sooner was fetched because of the callback.
    return {
        "webhook_url": f"http://127.0.0.1:{port}",
        "listen_host": "127.0.0.1",
        "listen_port": port,
        "poll_interval_max": 60.0,
        **more,
    }


def stored_updates(database_path: Path) -> int:
    uri = database_path.absolute().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM telegram_inbox").fetchone()[0])


def states(database_path: Path) -> list[str]:
    uri = database_path.absolute().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        rows = connection.execute("SELECT state FROM identifications ORDER BY id").fetchall()
    return [str(row[0]) for row in rows]


def start_update(update_id: int, chat_id: int, user_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 77,
            "date": 1700000000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Alice"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Alice"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_mode_sets_the_webhook_and_a_photo_arrives_through_it(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice", language_code="en")
    chat = telegram.private_chat(alice)
    port = free_port()
    async with run_bot(**webhook_settings(port)):
        [set_webhook] = telegram.calls_to("setWebhook")
        assert set_webhook.params["url"] == f"http://127.0.0.1:{port}/telegram"
        assert set_webhook.params["drop_pending_updates"] in (False, "false", "False")
        assert "callback_query" in str(set_webhook.params["allowed_updates"])
        assert len(str(set_webhook.params["secret_token"])) >= 32, "generated when unset"

        telegram.send_photo(alice, chat, leaf_photo(31))
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 1)
        assert telegram.last_webhook_error() is None
        assert not telegram.calls_to("getUpdates"), "webhook mode never polls Telegram"

        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        [enqueue] = plantid.requests_to("enqueue_identification")
        assert enqueue.json is not None
        callback_url = str(enqueue.json["callback_url"])
        assert callback_url.startswith(f"http://127.0.0.1:{port}/plantid/callback/")

        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
        assert [delivery.status for delivery in plantid.callbacks] == [200]
        # Shown long before the first safety-net poll was due: the callback made the bot fetch.
        assert len(plantid.requests_to("get_identification_result_multiple")) == 1


async def test_the_webhook_secret_is_kept_across_restarts(
    telegram: FakeTelegram, run_bot: RunBot
) -> None:
    port = free_port()
    async with run_bot(**webhook_settings(port)):
        pass
    async with run_bot(**webhook_settings(port)):
        pass
    first, second = telegram.calls_to("setWebhook")
    assert first.params["secret_token"] == second.params["secret_token"]


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    telegram: FakeTelegram, run_bot: RunBot, database_path: Path
) -> None:
    alice = telegram.user("Alice", language_code="en")
    chat = telegram.private_chat(alice)
    port = free_port()
    async with run_bot(**webhook_settings(port)), httpx.AsyncClient() as client:
        telegram.send_text(alice, chat, "/start")
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 1)
        await telegram.wait_for(lambda: stored_updates(database_path) == 0)

        url = f"http://127.0.0.1:{port}/telegram"
        update = start_update(900_000_001, chat.id, alice.id)
        missing = await client.post(url, json=update)
        wrong = await client.post(url, json=update, headers={SECRET_HEADER: "not-the-secret"})
        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert stored_updates(database_path) == 0
        assert len(telegram.bot_messages(chat)) == 1

        secret = str(telegram.calls_to("setWebhook")[0].params["secret_token"])
        right = await client.post(url, json=update, headers={SECRET_HEADER: secret})
        assert right.status_code == 200
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 2)


async def test_forged_callbacks_cost_nothing(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice", language_code="en")
    chat = telegram.private_chat(alice)
    port = free_port()
    async with run_bot(**webhook_settings(port)), httpx.AsyncClient() as client:
        telegram.send_photo(alice, chat, leaf_photo(32))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        [enqueue] = plantid.requests_to("enqueue_identification")
        assert enqueue.json is not None
        real_url = str(enqueue.json["callback_url"])
        journal = len(plantid.journal)

        base = f"http://127.0.0.1:{port}/plantid/callback/"
        for token in ("A" * 32, "guess", "../telegram"):
            forged = await client.post(base + token, json={"id": 1, "suggestions": []})
            assert forged.status_code == 404
        assert len(plantid.journal) == journal, "an unknown token never reaches Plant.id"

        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
        journal = len(plantid.journal)
        replayed = await client.post(real_url, json={"suggestions": ["anything"]})
        assert replayed.status_code == 200
        assert len(plantid.journal) == journal, "a finished identification is not fetched again"
        assert len(results(telegram, chat)) == 1


async def test_polling_mode_removes_the_webhook_and_serves_health_and_metrics(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, database_path: Path
) -> None:
    alice = telegram.user("Alice", language_code="en")
    chat = telegram.private_chat(alice)
    port = free_port()
    settings = {"health_port": port, "listen_host": "127.0.0.1"}
    async with run_bot(**settings), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:
        assert telegram.calls_to("deleteWebhook")
        assert (await web.post("/telegram", json={})).status_code in (404, 405)

        await telegram.wait_for(lambda: bool(telegram.calls_to("getUpdates")))
        health = await web.get("/healthz")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok"
        assert set(health.json()["parts"]) == {"database", "worker", "telegram", "plantid"}

        before = (await web.get("/metrics")).text
        assert 'plantbot_identifications{outcome="shown",state="delivered"}' not in before

        telegram.send_photo(alice, chat, leaf_photo(33))
        await telegram.wait_for(lambda: states(database_path) == ["pending"])
        pending = (await web.get("/metrics")).text
        assert 'plantbot_identifications{outcome="open",state="pending"} 1.0' in pending
        assert "plantbot_photo_to_status_seconds_count 1.0" in pending
        assert (
            'plantbot_plantid_requests_total{endpoint="enqueue_identification",status="200"} 1.0'
            in pending
        )

        plantid.complete_all()
        await telegram.wait_for(lambda: states(database_path) == ["delivered"])
        done = (await web.get("/metrics")).text
        assert 'plantbot_identifications{outcome="shown",state="delivered"} 1.0' in done
        assert 'plantbot_identifications{outcome="open",state="pending"}' not in done
        assert "plantbot_ready_to_shown_seconds_count 1.0" in done
        assert "plantbot_plantid_credits_left" in done
        assert "plantbot_telegram_rate_limiter_waiting 0.0" in done
