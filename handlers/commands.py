"""/start and /help: say in two or three lines what to do."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.context import Context


async def start(update: Update, context: Context) -> None:
    """Greet the person and explain how to use the bot."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = context.bot_data.service
    language = service.language_for(user.language_code)
    text = service.translate(language, "start", name=html.escape(user.first_name))
    await message.reply_text(text, parse_mode=ParseMode.HTML)


async def help_command(update: Update, context: Context) -> None:
    """Explain how identification and confirmation work."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = context.bot_data.service
    text = service.translate(service.language_for(user.language_code), "help")
    await message.reply_text(text, parse_mode=ParseMode.HTML)


async def text_hint(update: Update, context: Context) -> None:
    """Answer plain text in a private chat with a hint to send a photo."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = context.bot_data.service
    await message.reply_text(
        service.translate(service.language_for(user.language_code), "text_hint")
    )
