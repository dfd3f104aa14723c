"""The one global error handler: log with context, never let an update kill the loop."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.context import Context

logger = logging.getLogger(__name__)


async def log_error(update: object, context: Context) -> None:
    """Log an exception raised while handling an update, and tell the person something short."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    user = update.effective_user
    # Only the Telegram code is used: the stored language choice may be what just failed.
    text = _our_side(context, user.language_code if user else None)
    if update.callback_query is not None:
        # Every press must be answered, or the person's client spins.
        try:
            await update.callback_query.answer(text)
        except TelegramError:  # the press may already be answered, or be too old
            logger.debug("callback query %s could not be answered", update.callback_query.id)
        return
    message = update.effective_message
    if message is None or update.effective_chat is None or text is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE and not message.text and not message.caption:
        # In a group, a photo nobody asked about is none of the bot's business, even failing.
        return
    try:
        await message.reply_text(text, do_quote=True)
    except TelegramError as error:
        logger.info("could not tell chat %s about the failure: %s", message.chat_id, error)


def _our_side(context: Context, language_code: str | None) -> str | None:
    try:
        service = context.bot_data.service
    except RuntimeError:
        return None
    return service.translate(service.language_for(language_code), "error_our_side")
