"""`python -m bot` as a process: start-up failures are one line, no secret, no traceback."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.server import free_port, serve_on_loopback
from sandbox.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "runner-test-key-9f2c"
WRONG_TOKEN = "123456:WRONG-token-7d1e"
Start = Callable[..., subprocess.Popen[bytes]]


class Bot:
    """One `python -m bot` process with its combined output in a file."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    @property
    def output(self) -> str:
        return self.log.read_text()

    def finish(self) -> int:
        return self.process.wait(timeout=60)


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def start(telegram: FakeTelegram, tmp_path: Path) -> Iterator[Callable[..., Bot]]:
    started: list[Bot] = []
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "PLANT_ID_", "DATABASE_", "LOG_"))
    }
    # Plant.id is never contacted at start-up; a closed port proves it.
    dead_port = free_port()

    def start_bot(telegram_url: str, **env: str) -> Bot:
        log = tmp_path / f"bot-{len(started)}.log"
        environment = {
            **base,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_URL": telegram_url,
            "PLANT_ID_API_KEY": API_KEY,
            "PLANT_ID_API_URL": f"http://127.0.0.1:{dead_port}/v2",
            "DATABASE_PATH": str(tmp_path / "data" / "bot.sqlite3"),
            "LOG_LEVEL": "DEBUG",
            **env,
        }
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=tmp_path,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        bot = Bot(process, log)
        started.append(bot)
        return bot

    yield start_bot
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait(timeout=30)


@pytest.fixture
def telegram_url(telegram: FakeTelegram) -> Iterator[str]:
    with serve_on_loopback(telegram.app) as url:
        yield url


def assert_no_secret(output: str, telegram: FakeTelegram) -> None:
    for secret in (telegram.token, telegram.token.split(":", 1)[1], WRONG_TOKEN, API_KEY):
        assert secret not in output


def single_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


def test_a_rejected_token_is_one_line_and_exit_2(
    telegram: FakeTelegram, telegram_url: str, start: Callable[..., Bot]
) -> None:
    bot = start(telegram_url, TELEGRAM_BOT_TOKEN=WRONG_TOKEN)
    assert bot.finish() == 2
    line = single_line(bot.output)
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in line
    assert_no_secret(bot.output, telegram)


def test_a_url_that_is_no_bot_api_names_telegram_api_url(
    telegram: FakeTelegram, telegram_url: str, start: Callable[..., Bot]
) -> None:
    bot = start(f"{telegram_url}/not-the-bot-api")
    assert bot.finish() == 2
    line = single_line(bot.output)
    assert f"TELEGRAM_API_URL {telegram_url}/not-the-bot-api answered 404 Not Found" in line
    assert_no_secret(bot.output, telegram)


async def test_unreachable_telegram_is_retried_until_it_answers(
    telegram: FakeTelegram, start: Callable[..., Bot]
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    bot = start(url)
    await telegram.wait_for(
        lambda: "retrying in 2 s" in bot.output or bot.process.poll() is not None, timeout=60
    )
    assert bot.process.poll() is None, bot.output
    assert f"cannot reach Telegram at {url}: " in bot.output
    assert "; retrying in 1 s" in bot.output
    with serve_on_loopback(telegram.app, port=port):
        await telegram.wait_for(
            lambda: bool(telegram.calls_to("getUpdates")) or bot.process.poll() is not None,
            timeout=60,
        )
        assert bot.process.poll() is None, bot.output
        bot.process.send_signal(signal.SIGTERM)
        assert bot.finish() == 0, bot.output
    assert "Traceback" not in bot.output
    assert_no_secret(bot.output, telegram)


async def test_sigterm_while_waiting_for_telegram_stops_cleanly(
    telegram: FakeTelegram, start: Callable[..., Bot]
) -> None:
    bot = start(f"http://127.0.0.1:{free_port()}")
    await telegram.wait_for(lambda: "retrying in" in bot.output, timeout=60)
    bot.process.send_signal(signal.SIGTERM)
    assert bot.finish() == 0
    assert "Traceback" not in bot.output


def corrupt_database(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x TEXT)")
        connection.executemany("INSERT INTO t VALUES (?)", [("x" * 200,)] * 500)
    connection.close()
    data = bytearray(path.read_bytes())
    page_size = 4096
    data[2 * page_size : 2 * page_size + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("prepare", "problem"),
    [
        (lambda path: path.mkdir(parents=True), "is a directory, not a file"),
        (lambda path: path.write_bytes(b"not a database " * 100), "is not an SQLite database"),
        (corrupt_database, "is corrupt"),
    ],
    ids=["directory", "not-a-database", "corrupt"],
)
def test_an_unusable_database_is_one_line_naming_database_path(
    telegram: FakeTelegram,
    start: Callable[..., Bot],
    tmp_path: Path,
    prepare: Callable[[Path], None],
    problem: str,
) -> None:
    path = tmp_path / "unusable.sqlite3"
    prepare(path)
    # The database is checked before Telegram, which is not even running here.
    bot = start(f"http://127.0.0.1:{free_port()}", DATABASE_PATH=str(path))
    assert bot.finish() == 2
    line = single_line(bot.output)
    assert f"DATABASE_PATH {path} {problem}" in line
    assert_no_secret(bot.output, telegram)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to read-only files")
@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_is_one_line_naming_database_path(
    telegram: FakeTelegram, start: Callable[..., Bot], tmp_path: Path, what: str
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "bot.sqlite3"
    sqlite3.connect(path).close()
    (path if what == "file" else folder).chmod(0o555)
    try:
        bot = start(f"http://127.0.0.1:{free_port()}", DATABASE_PATH=str(path))
        assert bot.finish() == 2
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    line = single_line(bot.output)
    assert f"DATABASE_PATH {path} is" in line
    assert "read-only" in line
