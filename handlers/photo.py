"""A photo in a private chat starts an identification."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import PhotoSize, Update

from bot.context import Context
from bot.model import IdentificationRequest, PhotoRef


def choose_photo_size(sizes: Sequence[PhotoSize]) -> PhotoSize:
    """Pick the largest rendition Telegram offers (it lists them smallest first, not always)."""
    return max(sizes, key=lambda size: (size.width * size.height, size.file_size or 0))


async def photo(update: Update, context: Context) -> None:
    """Record the photo for identification and acknowledge it."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.photo:
        return
    size = choose_photo_size(message.photo)
    reference = PhotoRef(
        file_id=size.file_id,
        file_unique_id=size.file_unique_id,
        message_id=message.message_id,
        file_size=size.file_size,
        width=size.width,
        height=size.height,
    )
    service = context.bot_data.service
    await service.accept_photo(
        IdentificationRequest(
            chat_id=message.chat_id,
            user_id=user.id,
            request_message_id=message.message_id,
            language=service.language_for(user.language_code),
            photos=(reference,),
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    )
