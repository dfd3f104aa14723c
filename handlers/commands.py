"""/start and /help: say in two or three lines what to do."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.context import Context


async def _reply(update: Update, context: Context, key: str, **values: object) -> None:
    """Reply with catalogue message `key` in the sender's language."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = context.bot_data.service
    language = await service.language_of(user.id, user.language_code)
    text = service.translate(language, key, **values)
    await message.reply_text(text, parse_mode=ParseMode.HTML)


async def start(update: Update, context: Context) -> None:
    """Greet the person and explain how to use the bot."""
    user = update.effective_user
    await _reply(update, context, "start", name=html.escape(user.first_name) if user else "")


async def help_command(update: Update, context: Context) -> None:
    """Explain how identification and confirmation work."""
    await _reply(update, context, "help")


async def text_hint(update: Update, context: Context) -> None:
    """Answer plain text in a private chat with a hint to send a photo."""
    await _reply(update, context, "text_hint")
