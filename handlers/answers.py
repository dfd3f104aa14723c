"""Presses on a result's action buttons: compare, more, health, show anyway."""

from __future__ import annotations

from telegram import Update

from bot.callbacks import ActionPress, parse_callback
from bot.context import Context
from handlers.buttons import apply_answer


def is_action(data: object) -> bool:
    """Tell whether callback data belongs to a result action button."""
    return isinstance(data, str) and isinstance(parse_callback(data), ActionPress)


async def action_button(update: Update, context: Context) -> None:
    """Answer a result action button."""
    query = update.callback_query
    if query is None:
        return
    press = parse_callback(query.data)
    if not isinstance(press, ActionPress):
        return
    answer = await context.bot_data.answers.press(
        press, user_id=query.from_user.id, language_code=query.from_user.language_code
    )
    await apply_answer(query, answer)
