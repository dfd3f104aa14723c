"""Protocol rules the bot must live with: UTF-16 limits, one poller, and random flood waits."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter
from telegram.request import HTTPXRequest

from sandbox.server import serve_on_loopback
from sandbox.telegram import SENDING_METHODS, FakeChat, FakeTelegram, FakeUser
from tests.sandbox_telegram.conftest import image_bytes

LEAF = "🌿"  # two UTF-16 code units, one code point


async def test_text_limit_counts_utf16_units(bot: Bot, alice_chat: FakeChat) -> None:
    assert (await bot.send_message(alice_chat.id, LEAF * 2048)).text == LEAF * 2048
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice_chat.id, LEAF * 2048 + "x")
    sent = await bot.send_message(alice_chat.id, f"<b>{LEAF * 2048}</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.edit_message_text(LEAF * 2049, alice_chat.id, sent.message_id)


async def test_caption_limit_counts_utf16_units(bot: Bot, alice_chat: FakeChat) -> None:
    picture = image_bytes(100, 100)
    assert (await bot.send_photo(alice_chat.id, picture, caption=LEAF * 512)).caption
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(alice_chat.id, picture, caption=LEAF * 513)


async def test_callback_answer_limit_counts_utf16_units(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    sent = await bot.send_message(alice_chat.id, "Right?", reply_markup=_keyboard("yes"))
    too_long = fake.press_button(alice, sent.message_id, alice_chat, "yes")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(too_long, text=LEAF * 101)
    assert await bot.answer_callback_query(too_long, text=LEAF * 100)
    assert fake.callback_answers()[-1].text == LEAF * 100


def _keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(data, callback_data=data)]])


async def test_the_earlier_poll_is_terminated_and_the_later_one_serves(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    await bot.get_updates(offset=-1)
    confirmed = (await bot.get_updates())[-1].update_id + 1
    calls = len(fake.calls_to("getUpdates"))
    first = asyncio.create_task(bot.get_updates(offset=confirmed, timeout=30))
    await fake.wait_for(lambda: len(fake.calls_to("getUpdates")) == calls + 1)
    second = asyncio.create_task(bot.get_updates(offset=confirmed, timeout=30))
    with pytest.raises(Conflict, match="make sure that only one bot instance is running"):
        await asyncio.wait_for(first, 10)
    fake.send_text(alice, alice_chat, "who hears me?")
    (update,) = await asyncio.wait_for(second, 10)
    assert update.message is not None
    assert update.message.text == "who hears me?"


async def _failures(bot: Bot, chat_id: int, count: int = 40) -> list[bool]:
    """Send `count` messages; return which ones Telegram answered with 429 (retry after 2)."""
    waits: list[object] = []
    for n in range(count):
        try:
            await bot.send_message(chat_id, f"message {n}")
            waits.append(None)
        except RetryAfter as error:
            waits.append(error.retry_after)
    assert set(waits) <= {None, 2}
    return [wait is not None for wait in waits]


# PTB warns about its own RetryAfter.retry_after type change when it formats the error.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fail_randomly_is_seeded_and_stops(
    bot: Bot, fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    fake.fail_randomly(None, 0.3, retry_after=2, seed=7)
    first = await _failures(bot, alice_chat.id)
    assert 3 <= sum(first) <= 25
    assert (await bot.get_me()).username == "plantbot_test"  # not a sending method
    fake.fail_randomly(None, 0.3, retry_after=2, seed=7)
    assert await _failures(bot, alice_chat.id) == first
    fake.fail_randomly(None, 0)
    assert not any(await _failures(bot, alice_chat.id))
    assert "sendMessage" in SENDING_METHODS
    with pytest.raises(ValueError, match="probability"):
        fake.fail_randomly(None, 1.5)
    with pytest.raises(ValueError, match="kind must be one of"):
        fake.fail_randomly(None, 0.5, kind="404")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fail_randomly_named_methods_over_loopback(
    fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    with serve_on_loopback(fake.app) as base_url:
        remote = Bot(fake.token, base_url=f"{base_url}/bot", request=HTTPXRequest())
        fake.fail_randomly(["sendPhoto"], 1.0, kind="500")
        assert not any(await _failures(remote, alice_chat.id, 5))
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await remote.send_photo(alice_chat.id, image_bytes(100, 100))
        fake.fail_randomly(["sendPhoto"], 0)
        assert (await remote.send_photo(alice_chat.id, image_bytes(100, 100))).photo
        await remote.shutdown()
