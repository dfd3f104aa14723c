"""Helpers for the input tests: what Plant.id was sent, what the bot stored, a finished result."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from sandbox.plantid import Emulator
from sandbox.telegram import ChatMessage, FakeChat, FakeTelegram

_PROBABILITY = re.compile(r"\d\s?%")


def enqueued(plantid: Emulator) -> list[dict[str, Any]]:
    """Return the bodies of every enqueue_identification request, oldest first."""
    bodies = []
    for request in plantid.requests_to("enqueue_identification"):
        assert request.json is not None
        bodies.append(request.json)
    return bodies


def results(telegram: FakeTelegram, chat: FakeChat) -> list[ChatMessage]:
    """Return the bot's messages in `chat` that show a result (suggestions with probabilities)."""
    return [
        message
        for message in telegram.bot_messages(chat)
        if _PROBABILITY.search(message.visible_text)
    ]


async def identify_all(
    telegram: FakeTelegram,
    plantid: Emulator,
    chat: FakeChat,
    count: int = 1,
    *,
    total: int | None = None,
) -> list[ChatMessage]:
    """Wait for `total` (or `count`) identifications, finish them, wait for `count` results."""
    await telegram.wait_for(lambda: len(plantid.identifications) >= (total or count))
    plantid.complete_all()
    await telegram.wait_for(lambda: len(results(telegram, chat)) >= count)
    return results(telegram, chat)


def stored(database_path: Path) -> list[sqlite3.Row]:
    """Read every stored identification (the test's view of what the bot kept)."""
    with sqlite3.connect(database_path) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute("SELECT * FROM identifications ORDER BY id"))
