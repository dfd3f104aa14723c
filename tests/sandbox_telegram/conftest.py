"""Fixtures: a fresh fake Bot API and PTB's own Bot talking to it in-process."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image
from telegram import Bot
from telegram.request import HTTPXRequest

from sandbox.telegram import FakeChat, FakeTelegram, FakeUser

IN_PROCESS_BASE = "http://telegram.test"


def in_process_request(fake: FakeTelegram) -> HTTPXRequest:
    """Return a PTB request object whose HTTP traffic goes straight into the fake's app."""
    return HTTPXRequest(httpx_kwargs={"transport": httpx.ASGITransport(app=fake.app)})


def image_bytes(width: int = 1200, height: int = 900, color: str = "green") -> bytes:
    """Return a JPEG of the given size."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    telegram = FakeTelegram()
    yield telegram
    await telegram.aclose()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    client = Bot(
        fake.token,
        base_url=f"{IN_PROCESS_BASE}/bot",
        base_file_url=f"{IN_PROCESS_BASE}/file/bot",
        request=in_process_request(fake),
        get_updates_request=in_process_request(fake),
    )
    async with client:
        yield client


@pytest.fixture
def alice(fake: FakeTelegram) -> FakeUser:
    return fake.user("Alice", username="alice")


@pytest.fixture
def alice_chat(fake: FakeTelegram, alice: FakeUser) -> FakeChat:
    """Alice's private chat with the bot, after she has started it."""
    chat = fake.private_chat(alice)
    fake.send_command(alice, chat, "start")
    return chat
