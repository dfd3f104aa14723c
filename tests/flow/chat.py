"""What a person sees in a chat, read off the fake Bot API."""

from __future__ import annotations

from sandbox.telegram import ChatMessage, FakeChat, FakeTelegram


def results(telegram: FakeTelegram, chat: FakeChat) -> list[ChatMessage]:
    """Return the bot's messages that carry confirm buttons, i.e. shown results."""
    return [message for message in telegram.bot_messages(chat) if message.buttons]


def bot_texts(telegram: FakeTelegram, chat: FakeChat) -> list[str]:
    """Return the texts of the bot's messages as they read now."""
    return [message.visible_text for message in telegram.bot_messages(chat)]
