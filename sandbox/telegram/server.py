"""Serve a fresh fake Bot API on loopback: `python -m sandbox.telegram`."""

from __future__ import annotations

import argparse


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve a fake Telegram Bot API on loopback.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--bot-username", default="plantbot_test")
    parser.add_argument(
        "--no-privacy", action="store_true", help="let the bot read every group message"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Serve a fresh FakeTelegram on 127.0.0.1 until interrupted."""
    import uvicorn

    from sandbox.telegram.fake import FakeTelegram

    args = _parse_args(argv)
    fake = FakeTelegram(
        args.token, bot_username=args.bot_username, privacy_mode=not args.no_privacy
    )
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="warning")
