"""/start and /help: say in two or three lines what to do, in a private chat or a group."""

from __future__ import annotations

import html

from telegram import ReplyKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode

from bot.context import Context
from handlers.places import share_place_keyboard


async def _reply(
    update: Update,
    context: Context,
    key: str,
    *,
    keyboard: ReplyKeyboardMarkup | None = None,
    **values: object,
) -> None:
    """Reply with catalogue message `key` in the sender's language."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    service = context.bot_data.service
    if user is None:
        language = service.language_for(None)
    else:
        language = await service.language_of(user.id, user.language_code)
    text = service.translate(language, key, **values)
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


def _in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def start(update: Update, context: Context) -> None:
    """Greet the person and explain how to use the bot here."""
    if _in_group(update):
        await _reply(update, context, "start_group", bot=context.bot.username)
        return
    user = update.effective_user
    service = context.bot_data.service
    language = (
        await service.language_of(user.id, user.language_code)
        if user
        else service.language_for(None)
    )
    await _reply(
        update,
        context,
        "start",
        keyboard=share_place_keyboard(context, language),
        name=html.escape(user.first_name) if user else "",
    )


async def help_command(update: Update, context: Context) -> None:
    """Explain how identification and confirmation work here."""
    if _in_group(update):
        await _reply(update, context, "help_group", bot=context.bot.username)
        return
    await _reply(update, context, "help")


async def text_hint(update: Update, context: Context) -> None:
    """Answer plain text in a private chat with a hint to send a photo."""
    await _reply(update, context, "text_hint")
