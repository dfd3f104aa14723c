"""Run `python -m bot` as a process against both stand-ins on loopback, and read what it did.

Shared by the benchmark (`python -m bench`) and the chaos suite (`tests/chaos`): the fake Bot API
and the Plant.id emulator are served by uvicorn in threads of this process, the bot is a real
child process with its own SQLite file, and everything it prints goes to a log file per start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sandbox.plantid import ApiKeyConfig, Emulator, EmulatorConfig, create_app, emulator_of
from sandbox.server import serve_on_loopback
from sandbox.telegram import ApiCall, ChatMessage, FakeChat, FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parents[1]
# Distinctive secrets, so that a grep of every output finds them if they leak anywhere.
BOT_TOKEN = "7350218946:AAFstandTokenSecretHalf-q9Zx"
API_KEY = "stand-plantid-key-4Kd81vQ"
STATUS_LOOKING = "Looking at your plant"
STATUS_SLOW = "taking longer than usual"


def secrets() -> tuple[str, ...]:
    """Return every secret the stand gives the bot: token, its secret half, API key."""
    return (BOT_TOKEN, BOT_TOKEN.split(":", 1)[1], API_KEY)


def base_env(**overrides: str) -> dict[str, str]:
    """Return the environment for a bot process: defaults, but no limits or duplicate reuse."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "PLANT_ID_", "DATABASE_", "LOG_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="INFO",
        # Every photo must reach Plant.id: these would answer some from earlier results.
        DUPLICATE_WINDOW="0",
        LIMIT_PER_PERSON_HOUR="0",
        LIMIT_PER_CHAT_HOUR="0",
    )
    env.update(overrides)
    return env


class BotProcess:
    """One `python -m bot` process and the file its output goes to."""

    def __init__(self, popen: subprocess.Popen[bytes], log: Path) -> None:
        self.popen = popen
        self.log = log

    @property
    def pid(self) -> int:
        """Return the process id."""
        return self.popen.pid

    def alive(self) -> bool:
        """Return whether the process still runs."""
        return self.popen.poll() is None

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) the process used so far, from /proc."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        # Fields after the command name, which may itself contain spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Return the resident memory of the process in MB (10^6 bytes), from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
        return 0.0

    def kill(self) -> None:
        """Kill the process with SIGKILL and reap it."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def terminate(self, grace: float) -> tuple[int | None, float]:
        """Send SIGTERM; return the exit code (None if it had to be killed) and seconds taken."""
        started = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
            code = None
        return code, time.monotonic() - started


@dataclass(frozen=True)
class Person:
    """Someone who talks to the bot in a private chat."""

    user: FakeUser
    chat: FakeChat


@dataclass(frozen=True)
class SentPhoto:
    """A photo a person sent: where, as which message, and when (monotonic, the fake's clock)."""

    chat: FakeChat
    message_id: int
    at: float


class Stand:
    """Both stand-ins on loopback, plus bot processes started against them."""

    def __init__(
        self,
        workdir: Path,
        *,
        plantid_delay: float | None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.database = workdir / "bot.sqlite3"
        self.telegram = FakeTelegram(BOT_TOKEN)
        self.plantid_app = create_app(
            EmulatorConfig(api_keys={API_KEY: ApiKeyConfig()}, delay=plantid_delay)
        )
        self.plantid: Emulator = emulator_of(self.plantid_app)
        self._env = dict(env or {})
        self._stack = ExitStack()
        self._bots: list[BotProcess] = []
        self.telegram_url = ""
        self.plantid_url = ""

    def __enter__(self) -> Stand:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.telegram_url = self._stack.enter_context(serve_on_loopback(self.telegram.app))
        self.plantid_url = self._stack.enter_context(serve_on_loopback(self.plantid_app))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for bot in self._bots:
            bot.kill()
        self._stack.close()

    # -- the bot ------------------------------------------------------------------------------

    def start_bot(self, **env: str) -> BotProcess:
        """Start `python -m bot` against the stand-ins; its output goes to bot-<n>.log."""
        values = base_env(
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_URL=self.telegram_url,
            PLANT_ID_API_KEY=API_KEY,
            PLANT_ID_API_URL=f"{self.plantid_url}/v2",
            DATABASE_PATH=str(self.database),
            **self._env,
        )
        values.update(env)
        log = self.workdir / f"bot-{len(self._bots)}.log"
        with log.open("wb") as output:
            popen = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=self.workdir,
                env=values,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        bot = BotProcess(popen, log)
        self._bots.append(bot)
        return bot

    async def until_polling(self, bot: BotProcess, within: float = 120.0) -> None:
        """Wait until `bot` asks Telegram for updates; fail if it exits first."""
        before = len(self.telegram.calls_to("getUpdates"))
        await wait_until(
            lambda: len(self.telegram.calls_to("getUpdates")) > before or not bot.alive(),
            within,
            what="the bot to poll Telegram",
        )
        if not bot.alive():
            raise AssertionError(f"the bot exited instead of polling:\n{bot.log.read_text()}")

    def logs(self) -> str:
        """Return everything every bot process printed."""
        return "\n".join(bot.log.read_text(errors="replace") for bot in self._bots)

    # -- people -------------------------------------------------------------------------------

    def people(self, count: int, *, language: str = "en") -> list[Person]:
        """Create `count` people, each with a private chat with the bot."""
        people = []
        for n in range(count):
            user = self.telegram.user(f"Person {n}", language_code=language)
            people.append(Person(user, self.telegram.private_chat(user)))
        return people

    def send_photo(self, person: Person, image: bytes) -> SentPhoto:
        """Send `image` as `person`; return the message and when it was sent."""
        at = time.monotonic()
        message = self.telegram.send_photo(person.user, person.chat, image)
        return SentPhoto(person.chat, int(message["message_id"]), at)

    # -- reading what happened ----------------------------------------------------------------

    def query(self, sql: str, parameters: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query on the bot's database."""
        uri = self.database.absolute().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=30)) as connection:
            return list(connection.execute(sql, tuple(parameters)).fetchall())

    def answers_to(self, photo: SentPhoto) -> list[ChatMessage]:
        """Return the bot's messages that reply to `photo`, as the person sees them now."""
        return [
            message
            for message in self.telegram.bot_messages(photo.chat)
            if message.reply_to == photo.message_id
        ]

    def accepted_enqueues(self) -> list[int | None]:
        """Return the custom_id of every enqueue request Plant.id processed (paid), in order."""
        accepted: list[int | None] = []
        for entry in self.plantid.requests_to("enqueue_identification"):
            # A lost answer is processed before the connection drops: it is paid all the same.
            if entry.status == 200 or entry.fault == "random lose_answer":
                body = entry.json if isinstance(entry.json, dict) else {}
                custom_id = body.get("custom_id")
                accepted.append(custom_id if isinstance(custom_id, int) else None)
        return accepted


def call_chat_id(call: ApiCall) -> int | None:
    """Return the chat_id a Bot API call was made for, if any."""
    value = call.params.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def call_reply_to(call: ApiCall) -> int | None:
    """Return the message id a sendMessage call replies to, if any."""
    value = call.params.get("reply_parameters")
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, Mapping) and isinstance(value.get("message_id"), int):
        return int(value["message_id"])
    return None


def has_keyboard(call: ApiCall) -> bool:
    """Return whether a call carries an inline keyboard (a shown result)."""
    markup = call.params.get("reply_markup")
    return bool(markup) and "inline_keyboard" in str(markup)


def is_status_text(text: str) -> bool:
    """Return whether a bot message still says it is working on the photo."""
    return STATUS_LOOKING in text or STATUS_SLOW in text


async def wait_until(
    condition: Callable[[], bool],
    within: float,
    *,
    interval: float = 0.1,
    what: str = "a condition",
) -> float:
    """Check `condition` every `interval` until it holds; return when (monotonic) it did."""
    deadline = time.monotonic() + within
    while True:
        if condition():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {within:g} s for {what}")
        await asyncio.sleep(interval)


@contextlib.contextmanager
def stand(workdir: Path, *, plantid_delay: float | None, **env: str) -> Iterator[Stand]:
    """Run a `Stand` for the block."""
    with Stand(workdir, plantid_delay=plantid_delay, env=env) as running:
        yield running


def leaked_secrets(folder: Path) -> list[str]:
    """Return the files under `folder` (databases aside) that contain a secret."""
    leaks = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".sqlite3" not in path.name:
            text = path.read_text(errors="replace")
            if any(secret in text for secret in secrets()):
                leaks.append(str(path.relative_to(folder)))
    return leaks
