"""Start the bot as a process: settings, logging, start-up checks, then long polling."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from types import FrameType

import httpx
from telegram.error import InvalidToken, NetworkError

from bot.logs import configure_logging
from bot.settings import Settings, load_settings

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2

RETRY_FIRST = 1.0
RETRY_CAP = 60.0
_GETME_TIMEOUT = httpx.Timeout(10.0)


class StartupError(Exception):
    """The bot cannot start or run on; the message is one line for the operator."""

    def __init__(self, message: str, code: int = EXIT_CONFIG) -> None:
        super().__init__(message)
        self.code = code


def run_bot() -> int:
    """Load settings, check the database and Telegram, then poll until stopped."""
    settings = load_settings(Settings)
    configure_logging(settings.log_level, settings.secret_values(), settings.log_format)
    try:
        return _serve(settings)
    except StartupError as error:
        logger.error("%s", error)
        return error.code
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception:
        # Through the logging handler, so even an unforeseen traceback is redacted.
        logger.critical("plantbot stopped by an unexpected error", exc_info=True)
        return EXIT_FAILED


def _serve(settings: Settings) -> int:
    problem = database_problem(settings.database_path)
    if problem is not None:
        raise StartupError(f"DATABASE_PATH {settings.database_path} {problem}")
    with _stop_on_sigterm():
        wait_for_telegram(settings)
    # Imported here so a configuration error never pays for importing the whole bot.
    from bot.application import ALLOWED_UPDATES, build_application

    application = build_application(settings)
    try:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        raise StartupError("Telegram rejected TELEGRAM_BOT_TOKEN") from None
    except NetworkError as error:
        # Lost after start-up checks passed: not the configuration, so a supervisor may restart.
        raise StartupError(
            f"cannot reach Telegram at {_api_url(settings)}: {_reason(error)}", EXIT_FAILED
        ) from None
    except sqlite3.Error as error:
        problem = _sqlite_problem(error)
        raise StartupError(f"DATABASE_PATH {settings.database_path} {problem}") from None
    return EXIT_OK


def database_problem(path: Path) -> str | None:
    """Say what keeps SQLite from using `path` as a writable database, or None if it can."""
    if str(path) == ":memory:":
        return None
    if path.is_dir():
        return "is a directory, not a file"
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot be created: {error.strerror or error}"
    # SQLite creates its -wal and -shm files beside the database.
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"is in a read-only folder ({folder})"
    if not path.exists():
        return None
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    if not os.access(path, os.W_OK):
        return "is read-only"
    try:
        uri = path.absolute().as_uri() + "?mode=rw"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            damage = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as error:
        return _sqlite_problem(error)
    if damage != [("ok",)]:
        return "is corrupt (sqlite3's quick_check found damage)"
    return None


def _sqlite_problem(error: sqlite3.Error) -> str:
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith("SQLITE_NOTADB"):
        return "is not an SQLite database"
    if name.startswith("SQLITE_CORRUPT"):
        return "is corrupt (database disk image is malformed)"
    if name.startswith("SQLITE_READONLY"):
        return "is read-only"
    return f"cannot be used: {error}"


def wait_for_telegram(settings: Settings, sleep: Callable[[float], None] = time.sleep) -> str:
    """Ask Telegram who the bot is until it answers; return the bot's username.

    A rejected token or a wrong URL raises StartupError at once; an unreachable or failing
    Telegram is retried with capped exponential backoff, so a supervisor does not crash-loop.
    """
    url = f"{settings.telegram_base_url}{settings.telegram_bot_token.get_secret_value()}/getMe"
    delay = RETRY_FIRST
    with httpx.Client(timeout=_GETME_TIMEOUT) as client:
        while True:
            try:
                return _get_me(client, url, settings)
            except _Unreachable as error:
                logger.warning(
                    "cannot reach Telegram at %s: %s; retrying in %g s",
                    _api_url(settings),
                    error,
                    delay,
                )
            sleep(delay)
            delay = min(delay * 2, RETRY_CAP)


class _Unreachable(Exception):
    """Telegram did not answer usefully this time; worth asking again."""


def _get_me(client: httpx.Client, url: str, settings: Settings) -> str:
    api_url = _api_url(settings)
    try:
        response = client.get(url)
    except httpx.TransportError as error:
        raise _Unreachable(_reason(error)) from None
    status = response.status_code
    if status == httpx.codes.UNAUTHORIZED:
        raise StartupError("Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)")
    if status == httpx.codes.NOT_FOUND:
        raise StartupError(
            f"TELEGRAM_API_URL {api_url} answered 404 Not Found to getMe: "
            "it does not look like a Bot API server"
        )
    if status == httpx.codes.TOO_MANY_REQUESTS or status >= httpx.codes.INTERNAL_SERVER_ERROR:
        raise _Unreachable(f"HTTP {status} {response.reason_phrase}")
    try:
        username = response.json()["result"]["username"]
    except (ValueError, KeyError, TypeError):
        username = None
    if status != httpx.codes.OK or not isinstance(username, str):
        raise StartupError(
            f"TELEGRAM_API_URL {api_url} answered getMe with HTTP {status}, "
            "not like a Bot API server"
        )
    return username


def _api_url(settings: Settings) -> str:
    return str(settings.telegram_api_url).rstrip("/")


def _reason(error: BaseException) -> str:
    # httpx's timeouts carry no text; the class name is then the reason.
    text = str(error).strip()
    return text or type(error).__name__


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Let SIGTERM end the wait for Telegram as cleanly as Ctrl-C does."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
