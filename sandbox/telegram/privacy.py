"""Decide which group messages Telegram delivers to a bot, under its privacy mode."""

from __future__ import annotations

from sandbox.telegram.html import utf16_slice
from sandbox.telegram.model import StoredMessage
from sandbox.telegram.state import PRESENT


def addresses_bot(message: StoredMessage, bot_username: str) -> bool:
    """Return whether the text or caption starts with a command for the bot or mentions it."""
    if message.text is not None:
        text, entities = message.text, message.entities
    else:
        text, entities = message.caption or "", message.caption_entities
    name = bot_username.lower()
    for entity in entities:
        piece = utf16_slice(text, entity["offset"], entity["length"])
        if entity["type"] == "bot_command" and entity["offset"] == 0:
            # "/cmd@other_bot" is meant for another bot; a bare "/cmd" is for every bot.
            addressee = piece.partition("@")[2].lower()
            if addressee in ("", name):
                return True
        elif entity["type"] == "mention" and piece[1:].lower() == name:
            return True
    return False


def bot_receives(
    message: StoredMessage,
    *,
    reply_target: StoredMessage | None,
    bot_username: str,
    privacy_mode: bool,
    bot_status: str,
) -> bool:
    """Return whether Telegram sends `message` to the bot as an update."""
    if message.chat.type == "private":
        return True
    if bot_status not in PRESENT:
        return False
    # Privacy mode never hides service messages, and administrators see everything.
    if message.service is not None or not privacy_mode or bot_status != "member":
        return True
    if reply_target is not None and reply_target.from_bot:
        return True
    return addresses_bot(message, bot_username)
