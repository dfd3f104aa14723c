"""Command line: `plantbot run` serves Telegram, `plantbot identify` checks photos from a shell,
`plantbot sandbox` runs the whole bot locally against stand-ins, with a web chat."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.settings import ConfigError, Settings, settings_help

_RUN_EPILOG = """\
settings (environment variables, or NAME=value lines in .env in the working directory;
the environment wins over .env; see .env.example):

{settings}

exit codes: 0 stopped cleanly, 1 unexpected error, 2 configuration or start-up problem"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plantbot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "run",
        help="run the Telegram bot (long polling); the default",
        description="Run the Telegram bot until stopped (SIGTERM or Ctrl-C).",
        epilog=_RUN_EPILOG.format(settings=settings_help(Settings)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from bot.identify_command import add_identify_arguments

    add_identify_arguments(
        commands.add_parser("identify", help="identify plant photos from files, print the result")
    )
    from bot.status import add_status_arguments

    add_status_arguments(
        commands.add_parser(
            "status",
            help="show the backlog, the oldest waiting request, credits left and recent errors",
            description="Show what the bot has to do, read from its database (safe while it "
            "runs), and the Plant.id credits left.",
        )
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="try the bot in a browser: local Plant.id and Telegram stand-ins, no accounts",
        description="Run the real bot against the Plant.id emulator and a fake Telegram, "
        "with a web page that plays Telegram. Needs no token, key or network.",
    )
    sandbox.add_argument("--port", type=int, default=8080, help="port of the web page")
    sandbox.add_argument("--open", action="store_true", help="open the page in a browser")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; return the exit code."""
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "identify":
            from bot.identify_command import run_identify

            return run_identify(args)
        if args.command == "status":
            from bot.status import run_status

            return run_status(args)
        if args.command == "sandbox":
            from sandbox.web import run_sandbox

            return run_sandbox(args.port, args.open)
        from bot.runner import run_bot

        return run_bot()
    except ConfigError as error:
        for problem in error.problems:
            print(f"plantbot: configuration error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
