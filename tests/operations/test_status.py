"""`plantbot status` against a real database file the bot is using, and the Plant.id emulator."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.cli import main
from sandbox.plantid import ApiKeyConfig, EmulatorConfig, create_app
from sandbox.server import serve_on_loopback
from storage.database import open_database
from storage.models import IdentificationState
from storage.repositories import SqliteIdentificationRepository
from tests.storage.helpers import request

API_KEY = "status-test-key"


async def populate(path: Path, now: float) -> None:
    """Store three identifications: one waiting, one retrying after an error, one failed."""
    async with await open_database(path) as db:
        repo = SqliteIdentificationRepository(db)
        oldest = await repo.create(request(1), now=now - 330)
        retried = await repo.create(request(2), now=now - 100)
        failed = await repo.create(request(3), now=now - 50)
        assert oldest is not None
        assert retried is not None
        assert failed is not None
        await repo.postpone(
            retried.id,
            expected=IdentificationState.RECEIVED,
            now=now - 40,
            next_attempt_at=now + 10,
            unavailable_since=now - 40,
            error="enqueue failed: HTTP 503",
        )
        await repo.mark_failed(failed.id, reason="timed_out", now=now - 20)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data" / "plantbot.sqlite3"
    asyncio.run(populate(path, time.time()))
    # The bot keeps its database open meanwhile: status reads beside a live connection.
    with closing(sqlite3.connect(path)) as bot_connection:
        bot_connection.execute("BEGIN")
        bot_connection.execute("SELECT COUNT(*) FROM identifications").fetchall()
        yield path


@pytest.fixture
def plantid_url() -> Iterator[str]:
    config = EmulatorConfig(api_keys={API_KEY: ApiKeyConfig(total_limit=120)})
    with serve_on_loopback(create_app(config)) as url:
        yield url + "/v2"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, database: Path, plantid_url: str) -> None:
    monkeypatch.chdir(database.parent)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:status-token")
    monkeypatch.setenv("PLANT_ID_API_KEY", API_KEY)
    monkeypatch.setenv("PLANT_ID_API_URL", plantid_url)
    monkeypatch.setenv("DATABASE_PATH", str(database))


@pytest.mark.usefixtures("environment")
def test_status_text_shows_backlog_oldest_credits_and_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "received         2" in out
    assert "failed           1  (1 timed_out)" in out
    assert "Waiting: 2; the oldest is #1, from 5 min 30 s ago" in out
    assert "Plant.id credits left: 120" in out
    assert "#2 (received, 40 s ago): enqueue failed: HTTP 503" in out
    assert API_KEY not in out


@pytest.mark.usefixtures("environment")
def test_status_json_is_one_object_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"]["received"] == 2
    assert status["counts"]["failed"] == 1
    assert status["outcomes"] == {"failed": {"timed_out": 1}}
    assert status["waiting"] == 2
    assert status["oldest_waiting"]["id"] == 1
    assert 329 <= status["oldest_waiting"]["age_seconds"] <= 400
    assert status["credits_left"] == 120
    assert status["last_errors"][0]["error"] == "enqueue failed: HTTP 503"


def test_status_says_plainly_when_there_is_no_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:status-token")
    monkeypatch.setenv("PLANT_ID_API_KEY", API_KEY)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "missing.sqlite3"))
    assert main(["status", "--no-credits"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("plantbot: cannot read DATABASE_PATH")
    assert not (tmp_path / "missing.sqlite3").exists(), "status never creates a database"
