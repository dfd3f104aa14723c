"""A person's place: shared as a location, venue or live location; forgotten on request."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode

from bot.context import Context

FORGET_PLACE = "loc1:forget"


def share_place_keyboard(context: Context, language: str) -> ReplyKeyboardMarkup:
    """Return the reply keyboard with one button that shares the person's location."""
    text = context.bot_data.service.translate(language, "share_location_button")
    return ReplyKeyboardMarkup(
        [[KeyboardButton(text, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def place_shared(update: Update, context: Context) -> None:
    """Use a shared location (or a venue, or a live location's first point) for later photos."""
    message, person = update.effective_message, update.effective_user
    if message is None or person is None:
        return
    location = message.venue.location if message.venue else message.location
    if location is None:
        return
    service = context.bot_data.service
    language = await service.language_of(person.id, person.language_code)
    text = await context.bot_data.intake.share_place(
        person.id, language, location.latitude, location.longitude
    )
    forget = service.translate(language, "location_forget_button")
    await message.reply_text(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(forget, callback_data=FORGET_PLACE)]]
        ),
    )


async def location_command(update: Update, context: Context) -> None:
    """`/location off` forgets the person's place; `/location` offers to share one."""
    message, person = update.effective_message, update.effective_user
    if message is None or person is None:
        return
    service = context.bot_data.service
    language = await service.language_of(person.id, person.language_code)
    if [arg.lower() for arg in context.args or []] == ["off"]:
        text = await context.bot_data.intake.forget_place(person.id, language)
        await message.reply_text(text, parse_mode=ParseMode.HTML)
        return
    await message.reply_text(
        service.translate(language, "location_hint"),
        parse_mode=ParseMode.HTML,
        reply_markup=share_place_keyboard(context, language),
    )


async def forget_place_button(update: Update, context: Context) -> None:
    """The button under "I'll use this place" forgets it."""
    query = update.callback_query
    if query is None:
        return
    service = context.bot_data.service
    language = await service.language_of(query.from_user.id, query.from_user.language_code)
    text = await context.bot_data.intake.forget_place(query.from_user.id, language)
    await query.answer(text)
    if query.message is not None:
        await query.edit_message_reply_markup(None)
