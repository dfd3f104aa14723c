"""Presses on the confirm buttons under a result."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.callbacks import parse_callback
from bot.chat import is_not_modified
from bot.context import Context

logger = logging.getLogger(__name__)


async def confirm_button(update: Update, context: Context) -> None:
    """Confirm or unconfirm a suggestion, answer the press, redraw the keyboard."""
    query = update.callback_query
    if query is None:
        return
    service = context.bot_data.service
    press = parse_callback(query.data)
    if press is None:
        language = service.language_for(query.from_user.language_code)
        await query.answer(service.translate(language, "confirm_stale"))
        return
    answer = await service.press_confirm(
        press, user_id=query.from_user.id, language_code=query.from_user.language_code
    )
    await query.answer(answer.text, show_alert=answer.show_alert)
    if answer.keyboard is not None and query.message is not None:
        try:
            await query.edit_message_reply_markup(answer.keyboard)
        except BadRequest as error:
            # Two quick presses may leave the keyboard as it already is.
            if not is_not_modified(error):
                raise
