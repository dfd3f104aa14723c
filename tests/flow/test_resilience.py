"""Restarts, outages and refusals: nothing is lost, nothing is paid twice, every person is told."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sandbox.plantid import Emulator
from sandbox.server import serve_on_loopback
from sandbox.telegram import FakeTelegram
from tests.flow.chat import bot_texts, results
from tests.flow.conftest import API_KEY, RunBot
from tests.flow.images import leaf_photo


def enqueues(plantid: Emulator) -> int:
    return len(plantid.requests_to("enqueue_identification"))


async def test_restart_while_pending_delivers_once(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(11))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
    plantid.complete_all()
    async with run_bot():
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    assert enqueues(plantid) == 1
    assert len(telegram.bot_messages(chat)) == 1


async def test_restart_before_the_photo_was_downloaded(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    telegram.fail_next("getFile", kind="slow", seconds=60)
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(12))
        await telegram.wait_for(lambda: bool(telegram.calls_to("getFile")))
    assert enqueues(plantid) == 0
    async with run_bot():
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    assert enqueues(plantid) == 1
    assert len(telegram.bot_messages(chat)) == 1


async def test_restart_after_the_result_arrived_but_before_it_was_shown(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(13))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        telegram.fail_next("editMessageText", kind="slow", seconds=60)
        plantid.complete_all()
        await telegram.wait_for(lambda: bool(telegram.calls_to("editMessageText")))
    assert results(telegram, chat) == []
    async with run_bot():
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    assert enqueues(plantid) == 1
    assert len(telegram.bot_messages(chat)) == 1


async def test_restart_after_an_edit_that_landed_changes_nothing(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(14))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    shown = results(telegram, chat)[0]
    async with run_bot():
        telegram.send_text(alice, chat, "thanks")
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 2)
    # Shutdown may cancel the step between the edit and its record; the repeated edit then
    # changes nothing ("message is not modified"), so the person still sees one result.
    assert results(telegram, chat)[0].visible_text == shown.visible_text
    assert results(telegram, chat)[0].message_id == shown.message_id
    assert enqueues(plantid) == 1
    assert len(results(telegram, chat)) == 1


async def test_plantid_errors_are_retried_without_paying_twice(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    plantid.inject_fault("enqueue_identification", "error", count=3, status=502)
    plantid.inject_fault("get_identification_result_multiple", "error", count=3, status=503)
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(15))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    assert enqueues(plantid) == 4, "three failed attempts, then one that worked"
    assert len(plantid.identifications) == 1
    usage = plantid.usage_info(API_KEY)
    assert usage["used_total"] == 1
    assert len(telegram.bot_messages(chat)) == 1


async def test_a_dropped_connection_after_enqueue_is_recovered_by_custom_id(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    plantid.inject_fault("enqueue_identification", "lose_answer")
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(16))
        await telegram.wait_for(
            lambda: bool(plantid.requests_to("get_identification_result_by_custom_id"))
        )
        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    assert enqueues(plantid) == 1, "the identification was found by custom_id, not paid again"
    assert len(plantid.identifications) == 1


async def test_crash_after_enqueue_was_sent_but_before_its_id_was_stored(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    plantid.inject_fault("enqueue_identification", "slow_answer", seconds=60)
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(17))
        # Plant.id has the identification; the bot is still waiting for the answer.
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
    async with run_bot():
        await telegram.wait_for(
            lambda: bool(plantid.requests_to("get_identification_result_by_custom_id"))
        )
        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    assert enqueues(plantid) == 1
    assert len(plantid.identifications) == 1
    assert len(telegram.bot_messages(chat)) == 1


async def test_plantid_timeouts_are_survived(
    telegram: FakeTelegram, plantid: Emulator, plantid_app: Any, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    # httpx enforces timeouts on real connections only, so Plant.id is served on loopback here.
    with serve_on_loopback(plantid_app) as base_url:
        async with run_bot(plantid_url=f"{base_url}/v2", plant_id_timeout=0.2):
            telegram.send_photo(alice, chat, leaf_photo(18))
            await telegram.wait_for(lambda: len(plantid.identifications) == 1)
            plantid.inject_fault("get_identification_result_multiple", "slow", count=2, seconds=1)
            plantid.complete_all()
            await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    polls = plantid.requests_to("get_identification_result_multiple")
    assert len(polls) >= 3, "two polls timed out, a later one got the answer"
    assert enqueues(plantid) == 1


async def test_out_of_credits_is_told_plainly_and_logged_for_the_operator(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, caplog: pytest.LogCaptureFixture
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    plantid.config.api_keys[API_KEY].total_limit = 0
    with caplog.at_level(logging.ERROR, logger="bot.service"):
        async with run_bot():
            telegram.send_photo(alice, chat, leaf_photo(19))
            await telegram.wait_for(lambda: "credits" in (bot_texts(telegram, chat) or [""])[-1])
    # Without ADMIN_CHAT_ID nobody else is told, and the text doesn't claim so.
    assert (bot_texts(telegram, chat) or [""])[-1].startswith("😔 My Plant.id credits have run out")
    assert len(telegram.bot_messages(chat)) == 1
    errors = [record for record in caplog.records if "credits" in record.getMessage()]
    assert len(errors) == 1
    assert API_KEY not in caplog.text


async def test_a_storage_failure_is_explained_and_leaves_nothing_half_written(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, database_path: Path
) -> None:
    alice = telegram.user("Alice", language_code="de")
    chat = telegram.private_chat(alice)
    async with run_bot():
        # The disk refuses writes to the photo table, as a full or broken disk would.
        with sqlite3.connect(database_path) as outside:
            outside.execute(
                "CREATE TRIGGER broken_disk BEFORE INSERT ON identification_photos "
                "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
            )
        telegram.send_photo(alice, chat, leaf_photo(77))
        await telegram.wait_for(lambda: bool(telegram.bot_messages(chat)))
    (reply,) = telegram.bot_messages(chat)
    assert reply.visible_text.startswith("🛠"), reply.visible_text
    assert "Bei mir ist etwas schiefgegangen" in reply.visible_text
    with sqlite3.connect(database_path) as reader:
        rows = reader.execute("SELECT COUNT(*) FROM identifications").fetchone()[0]
    assert rows == 0, "the request's half-written row was rolled back"
    assert enqueues(plantid) == 0
