"""The routing table: every handler, in the order PTB tries them."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.admin import stats_command
from handlers.answers import action_button, is_action
from handlers.buttons import confirm_button
from handlers.commands import help_command, start, text_hint
from handlers.errors import log_error
from handlers.people import (
    forget_command,
    history_command,
    is_people_press,
    language_command,
    people_button,
)
from handlers.photo import photo

__all__ = ["build_handlers", "log_error"]


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return the bot's handlers, most specific first."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", start, filters=private),
        CommandHandler("help", help_command),
        CommandHandler("language", language_command),
        CommandHandler("history", history_command, filters=private),
        CommandHandler("forget", forget_command, filters=private),
        CommandHandler("stats", stats_command),
        MessageHandler(private & filters.PHOTO, photo),
        CallbackQueryHandler(action_button, pattern=is_action),
        CallbackQueryHandler(people_button, pattern=is_people_press),
        # Last: it answers confirm presses and, politely, every button it doesn't know.
        CallbackQueryHandler(confirm_button),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, text_hint),
    ]
