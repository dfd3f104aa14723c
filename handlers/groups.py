"""Group life: the bot joins or leaves, a group becomes a supergroup, admins opt in."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError

from bot.context import Context
from bot.intake import Notice
from handlers.intake import send_notice

logger = logging.getLogger(__name__)

_PRESENT = frozenset(
    {
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
        ChatMemberStatus.RESTRICTED,
    }
)
_GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


async def bot_membership(update: Update, context: Context) -> None:
    """Say hello when added to a group; end a chat's pending work when removed or blocked."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    was, now = change.old_chat_member.status, change.new_chat_member.status
    intake = context.bot_data.intake
    if now in _GONE:
        await intake.chat_closed(chat.id)
        return
    if now not in _PRESENT:
        return
    await intake.chat_opened(chat.id)
    if was in _GONE and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        service = context.bot_data.service
        language = service.language_for(change.from_user.language_code)
        text = service.translate(language, "group_hello", bot=context.bot.username)
        try:
            await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)
        except TelegramError as error:
            # Some groups let only admins write; the bot is there, the hello is optional.
            logger.info("hello in chat %s not sent: %s", chat.id, error)


async def migrated(update: Update, context: Context) -> None:
    """Follow a group that became a supergroup, with its pending identifications."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    await context.bot_data.intake.chat_moved(old, new)


async def autoidentify_command(update: Update, context: Context) -> None:
    """`/autoidentify on|off`: group admins let the bot identify every photo, or stop it."""
    message, person = update.effective_message, update.effective_user
    if message is None:
        return
    service = context.bot_data.service
    language = (
        await service.language_of(person.id, person.language_code)
        if person
        else service.language_for(None)
    )
    args = [arg.lower() for arg in context.args or []]
    if message.chat.type == ChatType.PRIVATE or args not in (["on"], ["off"]):
        await send_notice(
            message, context, Notice(service.translate(language, "autoidentify_usage"))
        )
        return
    # An anonymous admin writes as the group itself: only admins can do that.
    anonymous_admin = message.sender_chat is not None and message.sender_chat.id == message.chat_id
    admin = anonymous_admin or (
        person is not None and await context.bot_data.members.is_admin(message.chat_id, person.id)
    )
    if not admin:
        text = service.translate(language, "autoidentify_admins_only")
        await send_notice(message, context, Notice(text))
        return
    enabled = args == ["on"]
    await context.bot_data.intake.set_autoidentify(message.chat_id, enabled)
    key = "autoidentify_on" if enabled else "autoidentify_off"
    await send_notice(message, context, Notice(service.translate(language, key)))
