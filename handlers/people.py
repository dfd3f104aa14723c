"""/language, /history and /forget, and their buttons."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode

from bot.callbacks import ForgetPress, HistoryPress, LanguagePress, parse_callback
from bot.context import Context
from bot.rendering import RenderedMessage
from handlers.buttons import apply_answer


def is_people_press(data: object) -> bool:
    """Tell whether callback data belongs to /language, /history or /forget."""
    return isinstance(data, str) and isinstance(
        parse_callback(data), LanguagePress | HistoryPress | ForgetPress
    )


async def _reply(update: Update, message: RenderedMessage) -> None:
    if update.effective_message is None:
        return
    await update.effective_message.reply_text(
        message.text,
        parse_mode=ParseMode.HTML,
        reply_markup=message.keyboard,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def _language(update: Update, context: Context) -> str:
    user = update.effective_user
    assert user is not None
    return await context.bot_data.service.language_of(user.id, user.language_code)


async def language_command(update: Update, context: Context) -> None:
    """Offer the interface languages."""
    if update.effective_user is None:
        return
    language = await _language(update, context)
    await _reply(update, context.bot_data.people.language_menu(language))


async def history_command(update: Update, context: Context) -> None:
    """List the person's last identifications."""
    user = update.effective_user
    if user is None:
        return
    language = await _language(update, context)
    await _reply(update, await context.bot_data.people.history(user.id, language))


async def forget_command(update: Update, context: Context) -> None:
    """Ask whether to delete everything stored about the person."""
    if update.effective_user is None:
        return
    language = await _language(update, context)
    await _reply(update, context.bot_data.people.forget_question(language))


async def people_button(update: Update, context: Context) -> None:
    """Answer a /language, /history or /forget button."""
    query = update.callback_query
    if query is None:
        return
    people = context.bot_data.people
    user = query.from_user
    press = parse_callback(query.data)
    if isinstance(press, LanguagePress):
        answer = await people.choose_language(press, user_id=user.id)
    elif isinstance(press, HistoryPress):
        chat_id = query.message.chat.id if query.message is not None else user.id
        answer = await people.history_press(
            press, user_id=user.id, language_code=user.language_code, chat_id=chat_id
        )
    elif isinstance(press, ForgetPress):
        answer = await people.forget(press, user_id=user.id, language_code=user.language_code)
    else:
        return
    await apply_answer(query, answer)
