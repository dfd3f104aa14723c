"""Start the whole sandbox: the Plant.id emulator, the fake Bot API, the real bot, the page."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from bot.application import build_application, running
from bot.settings import Settings
from sandbox.plantid import ApiKeyConfig, EmulatorConfig, create_app
from sandbox.telegram import FakeTelegram
from sandbox.web.app import WebSandbox
from sandbox.web.plantid_panel import PlantIdPanel
from sandbox.web.world import World

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
API_KEY = "sandbox-key"
BOT_TOKEN = "123456:SANDBOX-token"
CREDITS = 200
DELAY_SECONDS = 3.0
DATABASE_PATH = Path("data/sandbox/plantbot.sqlite3")


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the sandbox, which stops it in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class _Served:
    server: _QuietServer
    task: asyncio.Task[None]
    url: str


class PortInUse(OSError):
    """Raise when the page's port is taken; the message says what to do."""


def _bind(port: int) -> socket.socket:
    """Bind a loopback socket here, so a taken port is one clear error, not a traceback."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise PortInUse(
            f"cannot listen on {HOST}:{port} ({error.strerror}); choose another with --port"
        ) from None
    return sock


async def _serve(app: Any, port: int = 0) -> _Served:
    """Serve `app` on loopback (any free port if 0) in this loop; return once it is up."""
    sock = _bind(port)
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise OSError(f"could not listen on {HOST}:{port}")
        await asyncio.sleep(0.02)
    return _Served(server, task, f"http://{HOST}:{port}")


async def _stop(served: _Served) -> None:
    served.server.should_exit = True
    await served.task


def _fresh_database(path: Path) -> Path:
    """Start every sandbox with an empty database: its chats are new on every start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


async def serve_sandbox(port: int, open_browser: bool, stop: asyncio.Event) -> None:
    """Run everything until `stop` is set, printing the page's address once it is up."""
    telegram = FakeTelegram(BOT_TOKEN, bot_username="plantbot_sandbox")
    plantid_app = create_app(
        EmulatorConfig(api_keys={API_KEY: ApiKeyConfig(total_limit=CREDITS)}, delay=DELAY_SECONDS)
    )
    panel = PlantIdPanel(plantid_app, API_KEY, CREDITS)
    web = WebSandbox(World.create(telegram), panel)
    page = await _serve(web.app, port)
    stand_ins: list[_Served] = []
    try:
        stand_ins.append(await _serve(telegram.app))
        stand_ins.append(await _serve(panel))
        settings = Settings(
            _env_file=None,
            telegram_bot_token=BOT_TOKEN,
            telegram_api_url=stand_ins[0].url,
            plant_id_api_key=API_KEY,
            plant_id_api_url=f"{stand_ins[1].url}/v2",
            database_path=_fresh_database(DATABASE_PATH),
            poll_interval_min=0.5,
            poll_interval_max=3.0,
            slow_notice_after=20.0,
            plant_id_retry_deadline=10.0,
            plant_id_timeout=15.0,
            log_level="WARNING",
        )
        async with running(build_application(settings)):
            print(f"Plantbot sandbox: open {page.url}/ (Ctrl-C stops it)", flush=True)
            if open_browser:
                await asyncio.to_thread(webbrowser.open, f"{page.url}/")
            await stop.wait()
    finally:
        web.closing.set()
        await telegram.aclose()
        for served in reversed(stand_ins):
            await _stop(served)
        await _stop(page)
        await panel.emulator.aclose()


async def _main(port: int, open_browser: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await serve_sandbox(port, open_browser, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def run_sandbox(port: int, open_browser: bool) -> int:
    """Run the sandbox until Ctrl-C or SIGTERM; return the process exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_main(port, open_browser))
    except PortInUse as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 1
    print("Plantbot sandbox stopped.", flush=True)
    return 0
