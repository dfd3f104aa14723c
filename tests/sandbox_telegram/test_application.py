"""A minimal PTB Application driven through the fake: polling in-process and webhook on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from sandbox.server import free_port, serve_on_loopback
from sandbox.telegram import Button, FakeChat, FakeTelegram
from tests.sandbox_telegram.conftest import IN_PROCESS_BASE, image_bytes, in_process_request


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user."""
    assert update.effective_message is not None
    assert update.effective_user is not None
    await update.effective_message.reply_text(f"Hello, {update.effective_user.first_name}!")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Repeat the text."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        f"You said: {update.effective_message.text}", do_quote=True
    )


async def photo_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download the largest photo size and report its size, with a button."""
    message = update.effective_message
    assert message is not None
    photo_file = await message.photo[-1].get_file()
    data = await photo_file.download_as_bytearray()
    await message.reply_text(
        f"Got {len(data)} bytes",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Thanks", callback_data="thx")]]),
    )


async def thanked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button press and replace the message."""
    query = update.callback_query
    assert query is not None
    await query.answer("You're welcome")
    await query.edit_message_text("Thanked")


async def greet_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say hello once when added to a group."""
    change = update.my_chat_member
    assert change is not None
    if change.new_chat_member.status == "member" and change.old_chat_member.status == "left":
        await context.bot.send_message(change.chat.id, f"Hello, {change.chat.title}!")


AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(
    base_url: str, token: str, request: Callable[[], HTTPXRequest] | None = None
) -> AnyApplication:
    """Return an Application with a rate limiter, pointed at the fake."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=2))
    )
    if request is not None:
        builder = builder.request(request()).get_updates_request(request())
    application: AnyApplication = builder.build()
    application.add_handlers(
        [
            CommandHandler("start", start),
            MessageHandler(filters.PHOTO, photo_size),
            MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
            CallbackQueryHandler(thanked),
            ChatMemberHandler(greet_group, ChatMemberHandler.MY_CHAT_MEMBER),
        ]
    )
    return application


@pytest.fixture
async def polling_bot(fake: FakeTelegram) -> AsyncIterator[AnyApplication]:
    application = build_application(IN_PROCESS_BASE, fake.token, lambda: in_process_request(fake))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=10)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


def texts(fake: FakeTelegram, chat: FakeChat) -> list[str | None]:
    return [message.text for message in fake.bot_messages(chat)]


@pytest.mark.usefixtures("polling_bot")
async def test_polling_text_gets_replies(fake: FakeTelegram) -> None:
    alice = fake.user("Alice")
    chat = fake.private_chat(alice)
    fake.send_command(alice, chat, "start")
    await fake.wait_for(lambda: texts(fake, chat) == ["Hello, Alice!"])
    said = fake.send_text(alice, chat, "hi there")
    await fake.wait_for(lambda: len(texts(fake, chat)) == 2)
    reply = fake.bot_messages(chat)[-1]
    assert reply.text == "You said: hi there"
    assert reply.reply_to == said["message_id"]
    await fake.wait_for(lambda: fake.pending_updates() == 0)


@pytest.mark.usefixtures("polling_bot")
async def test_polling_photo_download_button_and_edit(fake: FakeTelegram) -> None:
    alice = fake.user("Alice")
    chat = fake.private_chat(alice)
    image = image_bytes(1000, 800)
    sent = fake.send_photo(alice, chat, image)
    await fake.wait_for(lambda: len(texts(fake, chat)) == 1)
    reply = fake.bot_messages(chat)[0]
    assert reply.text == f"Got {len(image)} bytes"
    assert reply.buttons == [[Button("Thanks", "thx")]]
    assert fake.calls_to("getFile")[0].params["file_id"] == sent["photo"][-1]["file_id"]
    query_id = fake.press_button(alice, reply.message_id, chat, "thx")
    await fake.wait_for(lambda: texts(fake, chat) == ["Thanked"])
    assert [(a.callback_query_id, a.text) for a in fake.callback_answers()] == [
        (query_id, "You're welcome")
    ]
    edited = fake.bot_messages(chat)[0]
    assert edited.edited
    assert edited.buttons == []


@pytest.mark.usefixtures("polling_bot")
async def test_polling_album_each_photo_handled(fake: FakeTelegram) -> None:
    alice = fake.user("Alice")
    chat = fake.private_chat(alice)
    images = [image_bytes(500 + 100 * i, 400) for i in range(3)]
    delivered = fake.send_album(alice, chat, images, caption="my plants")
    assert len({message["media_group_id"] for message in delivered}) == 1
    assert [message.get("caption") for message in delivered] == ["my plants", None, None]
    await fake.wait_for(lambda: len(texts(fake, chat)) == 3)
    assert sorted(map(str, texts(fake, chat))) == sorted(
        f"Got {len(image)} bytes" for image in images
    )


@pytest.mark.usefixtures("polling_bot")
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_polling_flood_wait_is_retried_by_the_rate_limiter(fake: FakeTelegram) -> None:
    alice = fake.user("Alice")
    chat = fake.private_chat(alice)
    fake.fail_next("sendMessage", kind="429", retry_after=1)
    fake.send_text(alice, chat, "hello")
    await fake.wait_for(lambda: len(texts(fake, chat)) == 1)
    assert texts(fake, chat) == ["You said: hello"]
    assert len(fake.calls_to("sendMessage")) == 2
    await fake.wait_for(lambda: fake.pending_updates() == 0)
    assert texts(fake, chat) == ["You said: hello"]


@pytest.mark.usefixtures("polling_bot")
async def test_polling_group_greeting_and_privacy_mode(fake: FakeTelegram) -> None:
    alice = fake.user("Alice")
    group = fake.group("Plant lovers", with_bot=False)
    fake.add_bot_to_group(group, alice)
    await fake.wait_for(lambda: texts(fake, group) == ["Hello, Plant lovers!"])
    fake.send_text(alice, group, "nobody asked the bot")
    fake.send_mention(alice, group, "hello")
    await fake.wait_for(lambda: len(texts(fake, group)) == 2)
    await fake.wait_for(lambda: fake.pending_updates() == 0)
    assert texts(fake, group) == ["Hello, Plant lovers!", "You said: @plantbot_test hello"]


async def test_webhook_mode_on_loopback(fake: FakeTelegram) -> None:
    with serve_on_loopback(fake.app) as base_url:
        application = build_application(base_url, fake.token)
        port = free_port()
        await application.initialize()
        await application.start()
        assert application.updater is not None
        try:
            await application.updater.start_webhook(
                listen="127.0.0.1",
                port=port,
                url_path="hook",
                webhook_url=f"http://127.0.0.1:{port}/hook",
                secret_token="s3cret-Token_1",
            )
            alice = fake.user("Alice")
            chat = fake.private_chat(alice)
            fake.send_command(alice, chat, "start")
            fake.send_text(alice, chat, "webhook?")
            await fake.wait_for(
                lambda: texts(fake, chat) == ["Hello, Alice!", "You said: webhook?"]
            )
            assert fake.calls_to("setWebhook")[0].params["secret_token"] == "s3cret-Token_1"
            await fake.wait_for(lambda: fake.pending_updates() == 0)
            info = await application.bot.get_webhook_info()
            assert info.url == f"http://127.0.0.1:{port}/hook"
            assert info.last_error_message is None
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()


async def test_polling_over_loopback_stops_promptly(fake: FakeTelegram) -> None:
    with serve_on_loopback(fake.app) as base_url:
        application = build_application(base_url, fake.token)
        await application.initialize()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=30)
        alice = fake.user("Alice")
        chat = fake.private_chat(alice)
        fake.send_text(alice, chat, "over the wire")
        await fake.wait_for(lambda: texts(fake, chat) == ["You said: over the wire"])
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    # PTB's last getUpdates on stop confirms what it handled.
    assert fake.pending_updates() == 0
    assert fake.calls_to("getUpdates")[-1].params["timeout"] == "0"
