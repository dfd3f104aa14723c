"""Run the Plant.id emulator as a real HTTP server: `python -m sandbox.plantid --port 8001`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn

from sandbox.plantid.app import create_app
from sandbox.plantid.config import ApiKeyConfig, EmulatorConfig


def _delay(text: str) -> float | None:
    if text.lower() == "none":
        return None
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("delay must be >= 0 or 'none'")
    return value


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.plantid", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--api-key", action="append", dest="api_keys", help="accepted key (repeatable)"
    )
    parser.add_argument(
        "--delay", type=_delay, default=2.0, help="seconds until results are ready, or 'none'"
    )
    parser.add_argument("--public-url", default=None, help="base URL for image links")
    args = parser.parse_args(argv)
    keys = args.api_keys or ["sandbox-key"]
    config = EmulatorConfig(
        api_keys={key: ApiKeyConfig() for key in keys},
        delay=args.delay,
        public_url=args.public_url,
    )
    # The key itself is a secret, so the banner names only how many keys are accepted.
    print(
        f"Plant.id v2 emulator listening on http://{args.host}:{args.port}/v2 "
        f"({len(keys)} API key(s), delay {args.delay})",
        flush=True,
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
