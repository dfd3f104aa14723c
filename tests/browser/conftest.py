"""Run the sandbox as its own process and drive its page with Debian's headless Chromium."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from sandbox.server import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 60.0
STOP_SECONDS = 30.0


@dataclass
class Sandbox:
    """A running `python -m sandbox.web` process and the address of its page."""

    url: str
    process: subprocess.Popen[str]
    lines: queue.Queue[str]


def _read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """Start the sandbox in `tmp_path` (its database lands there); stop it with SIGTERM."""
    port = free_port()
    workdir = tmp_path / "sandbox"
    workdir.mkdir()
    with (workdir / "stderr.log").open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox.web", "--port", str(port)],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        try:
            first = lines.get(timeout=STARTUP_SECONDS)
        except queue.Empty:
            process.kill()
            pytest.fail(f"the sandbox printed nothing in {STARTUP_SECONDS} s")
        url = f"http://127.0.0.1:{port}/"
        assert url in first, first
        running = Sandbox(url, process, lines)
        try:
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    log = (workdir / "stderr.log").read_text()
    assert code == 0, log
    assert "Traceback" not in log, log


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Launch Debian's Chromium with a fresh profile (Playwright's own download needs network)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium package "
            "(`apt-get install chromium`; ./dev test installs it when run as root)"
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 860},
        )
        try:
            yield context
        finally:
            context.close()


class Steps:
    """Save a numbered screenshot of the page after each step of a test."""

    def __init__(self, page: Page, directory: Path) -> None:
        self.page = page
        self.directory = directory
        self.count = 0

    def shot(self, name: str) -> Path:
        """Screenshot the page as the next step called `name`."""
        self.count += 1
        path = self.directory / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def page(browser: BrowserContext, sandbox: Sandbox) -> Page:
    """Open the sandbox's page and wait until its first live update arrived."""
    page = browser.pages[0] if browser.pages else browser.new_page()
    page.goto(sandbox.url)
    page.wait_for_selector("body[data-ready=true]")
    return page


@pytest.fixture
def steps(page: Page, tmp_path: Path) -> Steps:
    """Return the screenshot recorder; the pictures land in the test's tmp dir."""
    directory = tmp_path / "screenshots"
    directory.mkdir()
    return Steps(page, directory)
