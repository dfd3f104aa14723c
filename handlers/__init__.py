"""The routing table: every handler, in the order PTB tries them."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.buttons import confirm_button
from handlers.commands import help_command, start, text_hint
from handlers.errors import log_error
from handlers.photo import photo

__all__ = ["build_handlers", "log_error"]


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return the bot's handlers, most specific first."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", start, filters=private),
        CommandHandler("help", help_command),
        MessageHandler(private & filters.PHOTO, photo),
        CallbackQueryHandler(confirm_button),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, text_hint),
    ]
