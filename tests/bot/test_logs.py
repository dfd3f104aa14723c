"""Logs as text or JSON lines: identification ids on every line about one, secrets never."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.logs import RedactSecrets, configure_logging, identification_context
from storage.database import open_database

TOKEN = "123456:TOKEN-secret-half"
KEY = "plant-id-key-abc"
SECRETS = [TOKEN, TOKEN.split(":", 1)[1], KEY]
QUIETED = ("httpx", "httpcore", "apscheduler", "aiosqlite")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIETED})
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def capture(level: str = "INFO", log_format: Any = "text") -> io.StringIO:
    stream = io.StringIO()
    configure_logging(level, SECRETS, log_format, stream=stream)
    return stream


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def fail_with_secret() -> None:
    raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed, key={KEY}")


def test_json_lines_carry_time_level_logger_message_and_identification() -> None:
    stream = capture(log_format="json")
    logger = logging.getLogger("bot.service")
    logger.info("no identification here")
    with identification_context(42):
        logger.warning("status message for %s not sent", "chat 7")
    (plain, tagged) = json_lines(stream)
    assert plain["message"] == "no identification here"
    assert "identification_id" not in plain
    assert tagged["identification_id"] == 42
    assert tagged["level"] == "WARNING"
    assert tagged["logger"] == "bot.service"
    assert tagged["message"] == "status message for chat 7 not sent"
    assert tagged["time"].endswith("+00:00")
    assert "exc" not in tagged


def test_json_exception_is_one_line_and_redacted() -> None:
    stream = capture(log_format="json")
    with identification_context(9):
        try:
            fail_with_secret()
        except RuntimeError:
            logging.getLogger("bot.worker").exception("step failed for %s", TOKEN)
    output = stream.getvalue()
    assert len(output.splitlines()) == 1
    (entry,) = json_lines(stream)
    assert entry["identification_id"] == 9
    assert entry["message"] == "step failed for [REDACTED]"
    assert "RuntimeError" in entry["exc"]
    assert "Traceback" in entry["exc"]
    for secret in SECRETS:
        assert secret not in output


def test_text_lines_name_the_identification_and_redact_tracebacks() -> None:
    stream = capture()
    logger = logging.getLogger("bot.service")
    with identification_context(5):
        try:
            fail_with_secret()
        except RuntimeError:
            logger.exception("delivery failed")
    logger.info("outside, about %d explicitly", 6, extra={"identification_id": 6})
    output = stream.getvalue()
    assert "bot.service [identification 5]: delivery failed" in output
    assert "RuntimeError: POST https://api.telegram.org/bot[REDACTED]/getMe" in output
    assert "bot.service [identification 6]: outside, about 6 explicitly" in output
    for secret in SECRETS:
        assert secret not in output


async def test_concurrent_tasks_keep_their_own_identification() -> None:
    stream = capture(log_format="json")
    logger = logging.getLogger("bot.worker")
    both_inside = asyncio.Barrier(2)

    async def work(identification_id: int) -> None:
        with identification_context(identification_id):
            await both_inside.wait()
            logger.info("working on %d", identification_id)

    await asyncio.gather(work(1), work(2))
    logger.info("idle")
    entries = json_lines(stream)
    assert sorted((entry["message"], entry.get("identification_id")) for entry in entries) == [
        ("idle", None),
        ("working on 1", 1),
        ("working on 2", 2),
    ]


async def test_database_driver_stays_quiet_at_debug(tmp_path: Path) -> None:
    stream = capture(level="DEBUG")
    database = await open_database(tmp_path / "bot.sqlite3")
    async with database.turn() as connection:
        await connection.execute("CREATE TABLE t (secret TEXT)")
        await connection.execute("INSERT INTO t VALUES (?)", (KEY,))
    await database.close()
    logging.getLogger("bot.test").debug("our own debug line")
    output = stream.getvalue()
    assert "our own debug line" in output
    assert "aiosqlite" not in output
    assert "INSERT" not in output
    assert KEY not in output


@pytest.mark.parametrize("name", ["httpx", "httpcore"])
def test_http_request_lines_are_hidden(name: str) -> None:
    stream = capture(level="DEBUG")
    logging.getLogger(name).info("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
    assert stream.getvalue() == ""


def test_a_higher_level_also_silences_the_quieted_loggers() -> None:
    stream = capture(level="ERROR")
    logging.getLogger("httpx").warning("retrying")
    logging.getLogger("aiosqlite").warning("closing")
    assert stream.getvalue() == ""


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactSecrets(["123:SECRET"]))
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("POST https://api.telegram.org/bot%s/getMe", "123:SECRET")
    assert caplog.records[0].getMessage() == "POST https://api.telegram.org/bot[REDACTED]/getMe"
