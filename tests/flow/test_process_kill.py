"""`python -m bot` as its own process on loopback, SIGKILLed mid-flight, then restarted."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.plantid import Emulator
from sandbox.server import serve_on_loopback
from sandbox.telegram import FakeChat, FakeTelegram, FakeUser
from tests.flow.conftest import API_KEY
from tests.flow.images import leaf_photo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def loopback_urls(telegram: FakeTelegram, plantid_app: Any) -> Iterator[tuple[str, str]]:
    with (
        serve_on_loopback(telegram.app) as telegram_url,
        serve_on_loopback(plantid_app) as plantid_url,
    ):
        yield telegram_url, plantid_url


@pytest.fixture
def start_bot(
    telegram: FakeTelegram, loopback_urls: tuple[str, str], tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    telegram_url, plantid_url = loopback_urls
    started: list[subprocess.Popen[bytes]] = []
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "PLANT_ID_", "DATABASE_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram_url,
        PLANT_ID_API_KEY=API_KEY,
        PLANT_ID_API_URL=f"{plantid_url}/v2",
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        POLL_INTERVAL_MIN="0.05",
        POLL_INTERVAL_MAX="0.2",
        LOG_LEVEL="INFO",
        # A killed worker's rows are taken over once its lease lapses; keep that short here.
        LEASE_SECONDS="1",
    )

    def start(**overrides: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"bot-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=tmp_path,
            env=env | overrides,
            stdout=log,
            stderr=log,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def getupdates_calls(telegram: FakeTelegram) -> int:
    return len(telegram.calls_to("getUpdates"))


async def wait_until_polling(telegram: FakeTelegram, process: subprocess.Popen[bytes]) -> None:
    before = getupdates_calls(telegram)
    await telegram.wait_for(
        lambda: getupdates_calls(telegram) > before or process.poll() is not None, timeout=60
    )
    assert process.poll() is None, "the bot exited instead of polling"


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


@pytest.mark.parametrize("kill_point", ["downloading", "pending", "delivering"])
async def test_sigkill_at_any_point_loses_nothing_and_duplicates_nothing(
    telegram: FakeTelegram,
    plantid: Emulator,
    start_bot: Callable[[], subprocess.Popen[bytes]],
    tmp_path: Path,
    kill_point: str,
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    first = start_bot()
    await wait_until_polling(telegram, first)
    if kill_point == "downloading":
        telegram.fail_next("getFile", kind="slow", seconds=60)
    telegram.send_photo(alice, chat, leaf_photo(31))
    await telegram.wait_for(lambda: bool(telegram.bot_messages(chat)), timeout=30)
    if kill_point == "downloading":
        await telegram.wait_for(lambda: bool(telegram.calls_to("getFile")), timeout=30)
    else:
        await telegram.wait_for(lambda: len(plantid.identifications) == 1, timeout=30)
    if kill_point == "delivering":
        telegram.fail_next("editMessageText", kind="slow", seconds=60)
        plantid.complete_all()
        await telegram.wait_for(lambda: bool(telegram.calls_to("editMessageText")), timeout=30)
    kill(first)

    second = start_bot()
    await telegram.wait_for(lambda: len(plantid.identifications) == 1, timeout=60)
    plantid.complete_all()
    await telegram.wait_for(
        lambda: any(message.buttons for message in telegram.bot_messages(chat)), timeout=60
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0, (tmp_path / "bot-1.log").read_text()

    assert len(plantid.requests_to("enqueue_identification")) == 1
    assert len(plantid.identifications) == 1
    (result,) = telegram.bot_messages(chat)
    assert result.buttons
    assert "Is one of these right?" in result.visible_text
    assert_no_secrets(tmp_path, telegram, plantid)


def assert_no_secrets(folder: Path, telegram: FakeTelegram, plantid: Emulator) -> None:
    """Check every bot output for the token, the key and the identifications' secrets."""
    logs = "".join(path.read_text() for path in sorted(folder.glob("bot-*.log")))
    assert logs
    assert telegram.token not in logs
    assert telegram.token.split(":", 1)[1] not in logs
    assert API_KEY not in logs
    for identification in plantid.identifications.values():
        assert identification.secret not in logs
    assert "result_json" not in logs, "the database driver's statements stay quiet"


@pytest.fixture
def slow_album_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Long enough that a restart fits inside the album's wait, so the last part still joins it.
    monkeypatch.setenv("ALBUM_WAIT", "8")


def album_part(
    telegram: FakeTelegram, user: FakeUser, chat: FakeChat, image: bytes, media_group_id: str
) -> dict[str, Any]:
    """Deliver one photo of an album on its own, so a test can act between the parts."""
    # The fake sends a whole album at once (send_album); this sends one part of it as Telegram
    # does, each part its own update with the shared media_group_id.
    world = telegram._world
    return telegram._person_says(
        user, chat, photo=world.store_photo(image), media_group_id=media_group_id
    )


def photos_stored(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM identification_photos").fetchone()[0])


async def test_sigkill_between_album_parts_still_gives_one_identification_of_all_parts(
    telegram: FakeTelegram,
    plantid: Emulator,
    slow_album_env: None,
    start_bot: Callable[[], subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    album = "13000000000000777"
    first = start_bot()
    await wait_until_polling(telegram, first)
    album_part(telegram, alice, chat, leaf_photo(81), album)
    album_part(telegram, alice, chat, leaf_photo(82), album)
    database = tmp_path / "bot.sqlite3"
    await telegram.wait_for(lambda: photos_stored(database) == 2, timeout=30)
    kill(first)
    album_part(telegram, alice, chat, leaf_photo(83), album)

    second = start_bot()
    await telegram.wait_for(lambda: len(plantid.identifications) == 1, timeout=60)
    plantid.complete_all()
    await telegram.wait_for(
        lambda: any(message.buttons for message in telegram.bot_messages(chat)), timeout=60
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0, (tmp_path / "bot-1.log").read_text()

    assert_no_secrets(tmp_path, telegram, plantid)
    (enqueue,) = plantid.requests_to("enqueue_identification")
    assert enqueue.json is not None
    assert len(enqueue.json["images"]) == 3
    (result,) = telegram.bot_messages(chat)
    assert result.buttons, "one status message, edited into the one result"


def kept_photos(database: Path) -> set[tuple[int, int]]:
    """Return (chat, message) of every photo stored as an identification or waiting in the inbox."""
    with sqlite3.connect(database) as connection:
        kept = {
            (int(chat_id), int(message_id))
            for chat_id, message_id in connection.execute(
                "SELECT chat_id, request_message_id FROM identifications"
            )
        }
        for (payload,) in connection.execute("SELECT payload FROM telegram_inbox"):
            message = json.loads(payload).get("message") or {}
            if message:
                kept.add((int(message["chat"]["id"]), int(message["message_id"])))
    return kept


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
async def test_a_backlog_acknowledged_to_telegram_is_stored_whatever_stops_the_bot(
    telegram: FakeTelegram,
    start_bot: Callable[[], subprocess.Popen[bytes]],
    tmp_path: Path,
    stop: str,
) -> None:
    people = [telegram.user(f"Person {n}") for n in range(25)]
    chats = [telegram.private_chat(person) for person in people]
    bot = start_bot()
    await wait_until_polling(telegram, bot)
    photo = leaf_photo(7)
    count = 300
    sent = [
        telegram.send_photo(people[n % len(people)], chats[n % len(chats)], photo)
        for n in range(count)
    ]
    # Stopped while it takes the backlog in: some of it acknowledged, some still at Telegram.
    await telegram.wait_for(lambda: telegram.pending_updates() <= count - 40, timeout=60)
    if stop == "sigterm":
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=30) == 0, (tmp_path / "bot-0.log").read_text()
    else:
        kill(bot)

    acknowledged = count - telegram.pending_updates()
    assert acknowledged >= 40
    kept = kept_photos(tmp_path / "bot.sqlite3")
    lost = [
        message["message_id"]
        for message in sent[:acknowledged]
        if (message["chat"]["id"], message["message_id"]) not in kept
    ]
    assert lost == []


async def test_at_debug_no_output_shows_a_secret_or_a_stored_result(
    telegram: FakeTelegram,
    plantid: Emulator,
    start_bot: Callable[..., subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    bot = start_bot(LOG_LEVEL="DEBUG")
    await wait_until_polling(telegram, bot)
    telegram.send_photo(alice, chat, leaf_photo(5))
    await telegram.wait_for(lambda: len(plantid.identifications) == 1, timeout=60)
    plantid.complete_all()
    await telegram.wait_for(
        lambda: any(message.buttons for message in telegram.bot_messages(chat)), timeout=60
    )
    bot.send_signal(signal.SIGTERM)
    assert bot.wait(timeout=60) == 0, (tmp_path / "bot-0.log").read_text()

    assert "DEBUG" in (tmp_path / "bot-0.log").read_text()
    assert_no_secrets(tmp_path, telegram, plantid)
