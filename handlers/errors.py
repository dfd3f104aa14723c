"""The one global error handler: log with context, never let an update kill the loop."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import Context

logger = logging.getLogger(__name__)


async def log_error(update: object, context: Context) -> None:
    """Log an exception raised while handling an update, and answer a pending button press."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.callback_query is not None:
        # Every press must be answered, or the person's client spins.
        try:
            await update.callback_query.answer()
        except TelegramError:  # the press may already be answered, or be too old
            logger.debug("callback query %s could not be answered", update.callback_query.id)
