"""A backlog larger than the bot takes in hand at once: every update answered, in order per chat."""

from __future__ import annotations

from bot.inbox import IN_HAND
from sandbox.telegram import FakeTelegram
from tests.flow.conftest import RunBot


async def test_a_backlog_beyond_what_is_in_hand_is_answered_in_order(
    telegram: FakeTelegram, run_bot: RunBot
) -> None:
    # Each person's two commands arrive before the bot starts, more than it holds at once.
    people = IN_HAND // 2 + 20
    chats = []
    for n in range(people):
        user = telegram.user(f"Person {n}", language_code="en")
        chat = telegram.private_chat(user)
        telegram.send_command(user, chat, "start")
        telegram.send_command(user, chat, "help")
        chats.append(chat)
    assert telegram.pending_updates() == 2 * people > IN_HAND

    async with run_bot():
        await telegram.wait_for(
            lambda: all(len(telegram.bot_messages(chat)) == 2 for chat in chats), timeout=120
        )

    for chat in chats:
        greeting, explanation = telegram.bot_messages(chat)
        assert "Send me a photo" in greeting.visible_text
        assert "How it works" in explanation.visible_text
