"""/stats, for the admin chat only."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot.context import Context


async def stats_command(update: Update, context: Context) -> None:
    """Show identification counts and credits left; other chats get no answer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    operator = context.bot_data.operator
    if not operator.is_admin_chat(message.chat_id):
        return
    language = await context.bot_data.service.language_of(user.id, user.language_code)
    await message.reply_text(await operator.stats(language), parse_mode=ParseMode.HTML)
