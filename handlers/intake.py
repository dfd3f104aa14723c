"""Photos, image files, albums and questions about them, in private chats and groups."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from telegram import Message, PhotoSize, ReplyParameters, Update
from telegram.constants import ParseMode

from bot.context import Context
from bot.intake import Notice
from bot.model import IdentificationRequest, PhotoRef
from bot.triggers import Ask, MessageFacts, decide


def choose_photo_size(sizes: Sequence[PhotoSize]) -> PhotoSize:
    """Pick the largest rendition Telegram offers (it lists them smallest first, not always)."""
    return max(sizes, key=lambda size: (size.width * size.height, size.file_size or 0))


def image_of(message: Message) -> PhotoRef | None:
    """Return the photo or file of a message as something to identify, if it has one."""
    if message.photo:
        size = choose_photo_size(message.photo)
        return PhotoRef(
            file_id=size.file_id,
            file_unique_id=size.file_unique_id,
            message_id=message.message_id,
            file_size=size.file_size,
            width=size.width,
            height=size.height,
        )
    document = message.document
    if document is not None:
        # Whether it is an image is decided from its bytes when it is downloaded.
        return PhotoRef(
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
            message_id=message.message_id,
            file_size=document.file_size,
        )
    return None


def _looks_like_image(message: Message) -> bool:
    if message.photo:
        return True
    mime_type = message.document.mime_type if message.document else None
    return mime_type is None or mime_type.startswith("image/")


def _facts(message: Message, bot_id: int) -> MessageFacts:
    replied = message.reply_to_message
    return MessageFacts(
        private=message.chat.type == "private",
        text=message.text or message.caption or "",
        has_image=image_of(message) is not None,
        looks_like_image=_looks_like_image(message),
        in_album=message.media_group_id is not None,
        replied_has_image=replied is not None and image_of(replied) is not None,
        replied_to_bot=replied is not None
        and replied.from_user is not None
        and replied.from_user.id == bot_id,
    )


def request_for(target: Message, asker: Message, context: Context) -> IdentificationRequest | None:
    """Describe the identification of `target`'s image that `asker`'s message asks for."""
    image = image_of(target)
    person = asker.from_user
    if image is None or (person is None and asker.sender_chat is None):
        return None
    private = asker.chat.type == "private"
    # Anonymous admins and channels write as a chat: that chat is the requester, and nobody
    # can be told apart to confirm for it.
    anonymous = asker.sender_chat
    user_id = anonymous.id if anonymous else person.id if person else 0
    name = (
        (anonymous.title or anonymous.username)
        if anonymous
        else person.first_name
        if person
        else None
    )
    photo_author = target.from_user if target.sender_chat is None else None
    service = context.bot_data.service
    return IdentificationRequest(
        chat_id=target.chat_id,
        user_id=user_id,
        request_message_id=target.message_id,
        language=service.language_for(
            None if anonymous or person is None else person.language_code
        ),
        photos=(image,),
        message_thread_id=target.message_thread_id if target.is_topic_message else None,
        media_group_id=target.media_group_id,
        requester_name=None if private else name,
        photo_user_id=photo_author.id if photo_author else None,
        confirmable=anonymous is None,
    )


async def send_notice(message: Message, context: Context, notice: Notice) -> None:
    """Answer in the message's chat and topic, as a reply to the notice's message."""
    await context.bot.send_message(
        message.chat_id,
        notice.text,
        parse_mode=ParseMode.HTML,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_parameters=ReplyParameters(
            notice.reply_to or message.message_id, allow_sending_without_reply=True
        ),
    )


async def _needs_photo(message: Message, context: Context) -> None:
    person = message.from_user
    service = context.bot_data.service
    language = (
        await service.language_of(person.id, person.language_code)
        if person
        else service.language_for(None)
    )
    text = service.translate(language, "identify_needs_photo")
    await send_notice(message, context, Notice(text))


async def identify(message: Message, context: Context, ask: Ask) -> None:
    """Do what `ask` says about `message`."""
    if ask is Ask.NEEDS_PHOTO:
        await _needs_photo(message, context)
        return
    target = message.reply_to_message if ask is Ask.REPLIED else message
    if target is None:
        return
    request = request_for(target, message, context)
    if request is None:
        return
    person = message.from_user
    if person is not None and message.sender_chat is None:
        # A language the person chose with /language wins over their app's.
        language = await context.bot_data.service.language_of(person.id, person.language_code)
        request = dataclasses.replace(request, language=language)
    intake = context.bot_data.intake
    if ask is Ask.ALBUM_PART:
        await intake.album_part(request)
        return
    if ask not in (Ask.THIS, Ask.REPLIED):
        return
    notice = await intake.ask(request, trigger_message_id=message.message_id)
    if notice is not None:
        await send_notice(message, context, notice)


async def incoming(update: Update, context: Context) -> None:
    """Identify a photo, image file or album when the message asks for it (see bot.triggers)."""
    message = update.effective_message
    if message is None:
        return
    facts = _facts(message, context.bot.id)
    autoidentify = False
    if not facts.private and facts.has_image:
        autoidentify = await context.bot_data.intake.autoidentify(message.chat_id)
    ask = decide(
        facts,
        bot_username=context.bot.username,
        phrases=context.bot_data.intake.phrases,
        autoidentify=autoidentify,
    )
    await identify(message, context, ask)


async def identify_command(update: Update, context: Context) -> None:
    """`/identify` as a reply to a photo or image file identifies it."""
    message = update.effective_message
    if message is None:
        return
    replied = message.reply_to_message
    has_image = replied is not None and image_of(replied) is not None
    await identify(message, context, Ask.REPLIED if has_image else Ask.NEEDS_PHOTO)
