"""Presses on inline buttons: answer each one, then redraw or follow up as the answer says."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.callbacks import ConfirmPress, parse_callback
from bot.chat import is_not_modified
from bot.context import Context
from bot.rendering import ButtonAnswer, clip_utf16

logger = logging.getLogger(__name__)

# Telegram takes at most 200 UTF-16 units as a press's answer; a longer one is refused.
ANSWER_LIMIT = 200


async def apply_answer(query: CallbackQuery, answer: ButtonAnswer) -> None:
    """Answer the press, redraw the message if the answer changes it, then run the follow-up."""
    text = None if answer.text is None else clip_utf16(answer.text, ANSWER_LIMIT)
    await query.answer(text, show_alert=answer.show_alert)
    try:
        if answer.replace is not None and query.message is not None:
            await query.edit_message_text(
                answer.replace.text,
                parse_mode=ParseMode.HTML,
                reply_markup=answer.replace.keyboard,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        elif answer.keyboard is not None and query.message is not None:
            await query.edit_message_reply_markup(answer.keyboard)
    except BadRequest as error:
        # Two quick presses may leave the message as it already is.
        if not is_not_modified(error):
            raise
    if answer.follow_up is not None:
        await answer.follow_up()


async def confirm_button(update: Update, context: Context) -> None:
    """Confirm a suggestion or "none of these"; any unknown button gets a polite answer."""
    query = update.callback_query
    if query is None:
        return
    service = context.bot_data.service
    press = parse_callback(query.data)
    if not isinstance(press, ConfirmPress):
        language = await service.language_of(query.from_user.id, query.from_user.language_code)
        await query.answer(service.translate(language, "confirm_stale"))
        return
    answer = await service.press_confirm(
        press, user_id=query.from_user.id, language_code=query.from_user.language_code
    )
    await apply_answer(query, answer)
