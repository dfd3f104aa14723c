"""The routing table: every handler, in the order PTB tries them."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers.admin import stats_command
from handlers.answers import action_button, is_action
from handlers.buttons import confirm_button
from handlers.commands import help_command, start, text_hint
from handlers.errors import log_error
from handlers.groups import autoidentify_command, bot_membership, migrated
from handlers.intake import identify_command, incoming
from handlers.people import (
    forget_command,
    history_command,
    is_people_press,
    language_command,
    people_button,
)
from handlers.places import FORGET_PLACE, forget_place_button, location_command, place_shared

__all__ = ["build_handlers", "log_error"]


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return the bot's handlers, most specific first."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    return [
        ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("identify", identify_command),
        CommandHandler("autoidentify", autoidentify_command),
        CommandHandler("location", location_command, filters=private),
        MessageHandler(filters.PHOTO | filters.Document.ALL, incoming),
        MessageHandler(private & (filters.LOCATION | filters.VENUE), place_shared),
        CallbackQueryHandler(forget_place_button, pattern=f"^{FORGET_PLACE}$"),
        CommandHandler("language", language_command),
        CommandHandler("history", history_command, filters=private),
        CommandHandler("forget", forget_command, filters=private),
        CommandHandler("stats", stats_command),
        CallbackQueryHandler(action_button, pattern=is_action),
        CallbackQueryHandler(people_button, pattern=is_people_press),
        # Last: it answers confirm presses and, politely, every button it doesn't know.
        CallbackQueryHandler(confirm_button),
        MessageHandler(groups & filters.TEXT & ~filters.COMMAND, incoming),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, text_hint),
    ]
