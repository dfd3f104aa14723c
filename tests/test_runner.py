"""`python -m bot` as a process: start-up failures are one line, no secret, no traceback."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from bot.runner import wait_for_telegram
from bot.settings import Settings
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

    def start_bot(telegram_url: str, launcher: Sequence[str] = (), **env: str) -> Bot:
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
                [*launcher, sys.executable, "-m", "bot"],
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


async def test_sigterm_while_waiting_for_telegram_stops_cleanly_in_json_lines(
    telegram: FakeTelegram, start: Callable[..., Bot]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    bot = start(url, LOG_FORMAT="json")
    await telegram.wait_for(lambda: "retrying in" in bot.output, timeout=60)
    bot.process.send_signal(signal.SIGTERM)
    assert bot.finish() == 0
    entries = [json.loads(line) for line in bot.output.splitlines()]
    assert entries[0]["level"] == "WARNING"
    assert entries[0]["logger"] == "bot.runner"
    assert entries[0]["message"].startswith(f"cannot reach Telegram at {url}: ")
    assert_no_secret(bot.output, telegram)


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


def as_an_ordinary_user() -> list[str]:
    """Return a command prefix under which file permissions apply, even to root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root ignores file permissions and setpriv is not installed")
    # Without these capabilities root is held to permission bits like everyone else.
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_is_one_line_naming_database_path(
    telegram: FakeTelegram, start: Callable[..., Bot], tmp_path: Path, what: str
) -> None:
    launcher = as_an_ordinary_user()
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "bot.sqlite3"
    sqlite3.connect(path).close()
    (path if what == "file" else folder).chmod(0o555)
    try:
        bot = start(f"http://127.0.0.1:{free_port()}", launcher, DATABASE_PATH=str(path))
        assert bot.finish() == 2
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    line = single_line(bot.output)
    expected = "is read-only" if what == "file" else f"is in a read-only folder ({folder})"
    assert f"DATABASE_PATH {path} {expected}" in line


class _Stop(Exception):
    pass


def test_backoff_doubles_up_to_a_minute_with_one_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        _env_file=None,
        telegram_bot_token=WRONG_TOKEN,
        plant_id_api_key=API_KEY,
        telegram_api_url=url,
    )
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 9:
            raise _Stop

    with caplog.at_level(logging.WARNING, logger="bot.runner"), pytest.raises(_Stop):
        wait_for_telegram(settings, sleep=sleep)
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 9
    assert lines[0].startswith(f"cannot reach Telegram at {url}: ")
    assert lines[-1].endswith("; retrying in 60 s")
    assert not any(WRONG_TOKEN.split(":", 1)[1] in line for line in lines)
