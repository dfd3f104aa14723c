"""The sandbox: the real bot against the Plant.id emulator and the fake Bot API, in a browser.

`run_sandbox(port, open_browser) -> int` (in `sandbox.web.stack`, also importable from here)
starts the emulator, the fake Bot API (each on its own loopback port), the production bot
polling the fake, and the web chat on `port`; it prints the page's address and runs until
Ctrl-C or SIGTERM. `python -m sandbox.web` is its command line. Nothing needs secrets or network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.web.stack import run_sandbox

__all__ = ["run_sandbox"]


def __getattr__(name: str) -> Any:
    # Importing a submodule (e.g. the sample generator) must not start importing the bot.
    if name == "run_sandbox":
        from sandbox.web.stack import run_sandbox

        return run_sandbox
    raise AttributeError(name)
