"""Run the sandbox: `python -m sandbox.web [--port 8080] [--open]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sandbox.web.stack import run_sandbox


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the sandbox until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.web",
        description="Run Plantbot against local stand-ins of Telegram and Plant.id, with a "
        "web page that plays Telegram. Needs no secrets and no network.",
    )
    parser.add_argument("--port", type=int, default=8080, help="port of the web page")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    args = parser.parse_args(argv)
    return run_sandbox(args.port, args.open)


if __name__ == "__main__":
    sys.exit(main())
