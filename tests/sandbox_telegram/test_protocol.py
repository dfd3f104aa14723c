"""The fake Bot API as PTB's own `telegram.Bot` sees it: results, state and Telegram's errors."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from sandbox.server import free_port, serve_on_loopback
from sandbox.telegram import Button, FakeChat, FakeTelegram, FakeUser
from tests.sandbox_telegram.conftest import image_bytes


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


async def test_get_me_describes_the_bot(bot: Bot, fake: FakeTelegram) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "plantbot_test"
    assert me.id == fake.bot_id
    assert me.can_join_groups


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/bot999:wrong/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_method_names_are_case_insensitive_and_unknown_ones_not_found(
    fake: FakeTelegram,
) -> None:
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        found = await client.get(f"/bot{fake.token}/GETME")
        missing = await client.post(f"/bot{fake.token}/sendTelepathy", json={"chat_id": 1})
    assert found.json()["result"]["username"] == "plantbot_test"
    assert missing.status_code == 404
    assert missing.json()["description"] == "Not Found"


async def test_json_bodies_are_accepted_like_form_bodies(
    fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            f"/bot{fake.token}/sendMessage", json={"chat_id": alice_chat.id, "text": "hi"}
        )
    result = response.json()["result"]
    assert result["text"] == "hi"
    assert isinstance(result["date"], int)
    assert result["date"] < 10**11  # seconds, not milliseconds


async def test_wrong_token_through_ptb_raises_invalid_token(fake: FakeTelegram) -> None:
    from tests.sandbox_telegram.conftest import in_process_request

    stranger = Bot("42:nope", base_url="http://telegram.test/bot", request=in_process_request(fake))
    with pytest.raises(InvalidToken):
        await stranger.initialize()


async def test_send_message_numbers_messages_per_chat_and_records_the_call(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    bob = fake.user("Bob")
    bob_chat = fake.private_chat(bob)
    fake.send_text(bob, bob_chat, "hello")
    first = await bot.send_message(alice_chat.id, "one")
    second = await bot.send_message(alice_chat.id, "two")
    to_bob = await bot.send_message(bob_chat.id, "hi Bob")
    assert (first.message_id, second.message_id) == (2, 3)
    assert to_bob.message_id == 2
    assert first.from_user is not None
    assert first.from_user.is_bot
    assert [m.text for m in fake.messages(alice_chat)] == ["/start", "one", "two"]
    assert [m.text for m in fake.bot_messages(alice_chat)] == ["one", "two"]
    assert fake.calls_to("sendmessage")[0].params["text"] == "one"


async def test_bot_cannot_start_a_conversation(bot: Bot, fake: FakeTelegram) -> None:
    silent = fake.private_chat(fake.user("Carol"))
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(silent.id, "hello?")


async def test_blocked_bot_is_forbidden(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    fake.user_blocks_bot(alice)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice_chat.id, "still there?")


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(987654321, "anyone?")


async def test_replies_carry_the_replied_message(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    question = fake.send_text(alice, alice_chat, "what is this?")
    answer = await bot.send_message(
        alice_chat.id, "a fern", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "what is this?"
    assert fake.bot_messages(alice_chat)[-1].reply_to == question["message_id"]


async def test_reply_to_a_missing_message(bot: Bot, alice_chat: FakeChat) -> None:
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(alice_chat.id, "late", reply_to_message_id=99)
    sent = await bot.send_message(
        alice_chat.id,
        "late anyway",
        reply_parameters=ReplyParameters(99, allow_sending_without_reply=True),
    )
    assert sent.reply_to_message is None


async def test_text_length_limits(bot: Bot, alice_chat: FakeChat) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice_chat.id, "  ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice_chat.id, "x" * 4097)
    longest = await bot.send_message(alice_chat.id, "x" * 4096)
    assert longest.text == "x" * 4096


async def test_html_length_is_measured_after_parsing(bot: Bot, alice_chat: FakeChat) -> None:
    sent = await bot.send_message(alice_chat.id, f"<b>{'x' * 4096}</b>", parse_mode="HTML")
    assert sent.text == "x" * 4096
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice_chat.id, "<b></b>", parse_mode="HTML")


@pytest.mark.parametrize(
    ("html", "text", "entity_types"),
    [
        ("<b>bold</b> <strong>s</strong>", "bold s", ["bold", "bold"]),
        (
            "<i>i</i><em>e</em><u>u</u><ins>n</ins>",
            "ieun",
            ["italic", "italic", "underline"] * 1 + ["underline"],
        ),
        ("<s>a</s><strike>b</strike><del>c</del>", "abc", ["strikethrough"] * 3),
        ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy", ["spoiler"] * 2),
        ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link", ["text_link"]),
        ("<code>x = 1</code>", "x = 1", ["code"]),
        ('<pre><code class="language-python">pass</code></pre>', "pass", ["pre"]),
        ("<blockquote>q</blockquote>", "q", ["blockquote"]),
        ("<blockquote expandable>q</blockquote>", "q", ["expandable_blockquote"]),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", ["custom_emoji"]),
        (
            "1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;ok&quot; &#169; &#x41;",
            '1 < 2 && 3 > 2 "ok" © A',
            [],
        ),
        ("<B>upper</B>", "upper", ["bold"]),
    ],
)
async def test_html_allowed_markup(
    bot: Bot, alice_chat: FakeChat, html: str, text: str, entity_types: list[str]
) -> None:
    sent = await bot.send_message(alice_chat.id, html, parse_mode="HTML")
    assert sent.text == text
    assert [e.type for e in sent.entities] == entity_types


async def test_html_entities_use_utf16_offsets(bot: Bot, alice_chat: FakeChat) -> None:
    sent = await bot.send_message(alice_chat.id, "🌿 <b>Fern</b>", parse_mode="HTML")
    (entity,) = sent.entities
    assert (entity.offset, entity.length) == (3, 4)
    assert sent.parse_entity(entity) == "Fern"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<p>para</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'unescaped "&" at byte offset 4'),
        ("&nbsp;", 'unescaped "&" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
    ],
)
async def test_html_errors(bot: Bot, alice_chat: FakeChat, html: str, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(alice_chat.id, html, parse_mode="HTML")
    # PTB capitalises only the first letter of Telegram's description.
    assert caught.value.message.startswith("Can't parse entities: ")
    assert reason.lower() in caught.value.message.lower()


async def test_raw_html_is_kept_for_tests(
    bot: Bot, fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    await bot.send_message(alice_chat.id, "<b>Monstera</b> &amp; co", parse_mode="HTML")
    shown = fake.bot_messages(alice_chat)[-1]
    assert shown.text == "Monstera & co"
    assert shown.html == "<b>Monstera</b> &amp; co"


async def test_callback_data_limit_is_64_bytes(
    bot: Bot, fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    await bot.send_message(alice_chat.id, "ok", reply_markup=keyboard("x" * 64))
    assert fake.bot_messages(alice_chat)[-1].buttons == [[Button("x" * 64, "x" * 64)]]
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(alice_chat.id, "too long", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(alice_chat.id, "bytes count", reply_markup=keyboard("é" * 33))


async def test_edit_text_and_keyboard(bot: Bot, fake: FakeTelegram, alice_chat: FakeChat) -> None:
    sent = await bot.send_message(alice_chat.id, "Identifying…", reply_markup=keyboard("cancel"))
    edited = await bot.edit_message_text(
        "<b>Fern</b>",
        alice_chat.id,
        sent.message_id,
        parse_mode="HTML",
        reply_markup=keyboard("more"),
    )
    assert isinstance(edited, Message)
    assert edited.text == "Fern"
    assert edited.edit_date is not None
    shown = fake.bot_messages(alice_chat)[-1]
    assert (shown.text, shown.edited, shown.buttons) == ("Fern", True, [[Button("more", "more")]])
    await bot.edit_message_reply_markup(alice_chat.id, sent.message_id, reply_markup=None)
    assert fake.bot_messages(alice_chat)[-1].buttons == []


async def test_edit_with_identical_content_is_not_modified(bot: Bot, alice_chat: FakeChat) -> None:
    sent = await bot.send_message(alice_chat.id, "same", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message is not modified: specified new message"):
        await bot.edit_message_text(
            "same", alice_chat.id, sent.message_id, reply_markup=keyboard("a")
        )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(
            alice_chat.id, sent.message_id, reply_markup=keyboard("a")
        )
    dropped = await bot.edit_message_text("same", alice_chat.id, sent.message_id)
    assert isinstance(dropped, Message)
    assert dropped.reply_markup is None


async def test_edit_and_delete_missing_messages(
    bot: Bot, fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", alice_chat.id, 77)
    sent = await bot.send_message(alice_chat.id, "bye")
    assert await bot.delete_message(alice_chat.id, sent.message_id)
    assert [m.text for m in fake.messages(alice_chat)] == ["/start"]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(alice_chat.id, sent.message_id)


async def test_message_deleted_by_the_user_cannot_be_edited(
    bot: Bot, fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    sent = await bot.send_message(alice_chat.id, "result")
    fake.user_deletes_message(alice_chat, sent.message_id)
    assert fake.bot_messages(alice_chat) == []
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new result", alice_chat.id, sent.message_id)


async def test_people_messages_cannot_be_edited(bot: Bot, alice_chat: FakeChat) -> None:
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("hijack", alice_chat.id, 1)


async def test_photo_sizes_and_download(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    original = image_bytes(1600, 1200)
    message = fake.send_photo(alice, alice_chat, original, caption="what is it?")
    sizes = message["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [
        (90, 68),
        (320, 240),
        (800, 600),
        (1600, 1200),
    ]
    assert all(s["file_id"] and s["file_unique_id"] and s["file_size"] for s in sizes)
    largest = await bot.get_file(sizes[-1]["file_id"])
    assert largest.file_size == len(original)
    assert bytes(await largest.download_as_bytearray()) == original
    smallest = await bot.get_file(sizes[0]["file_id"])
    assert len(await smallest.download_as_bytearray()) == sizes[0]["file_size"]
    assert len(fake.downloads) == 2
    assert str(largest.file_path).endswith(fake.downloads[0])
    assert str(smallest.file_path).endswith(fake.downloads[1])


async def test_small_photo_keeps_only_fitting_sizes(
    fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    sizes = fake.send_photo(alice, alice_chat, image_bytes(300, 200))["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 60), (300, 200)]


async def test_get_file_refuses_big_and_unknown_files(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    document = fake.send_document(
        alice,
        alice_chat,
        b"\0" * (20 * 1024 * 1024 + 1),
        file_name="huge.tiff",
        mime_type="image/tiff",
    )["document"]
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(document["file_id"])
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nonsense")


async def test_send_photo_upload_and_reuse_by_file_id(
    bot: Bot, fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    picture = image_bytes(640, 480, "red")
    sent = await bot.send_photo(alice_chat.id, picture, caption="<i>Rose</i>", parse_mode="HTML")
    assert sent.caption == "Rose"
    assert fake.file_bytes(sent.photo[-1].file_id) == picture
    again = await bot.send_photo(alice_chat.id, sent.photo[-1].file_id)
    assert again.photo[-1].file_id == sent.photo[-1].file_id
    shown = fake.bot_messages(alice_chat)
    assert [(m.photo, m.text) for m in shown] == [(True, "Rose"), (True, None)]
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(alice_chat.id, picture, caption="c" * 1025)
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(alice_chat.id, "no-such-file")


async def test_media_group(bot: Bot, fake: FakeTelegram, alice_chat: FakeChat) -> None:
    album = [InputMediaPhoto(image_bytes(400, 300, c), caption=c) for c in ("red", "blue")]
    sent = await bot.send_media_group(alice_chat.id, album)
    assert len(sent) == 2
    assert sent[0].media_group_id == sent[1].media_group_id is not None
    assert [m.caption for m in sent] == ["red", "blue"]
    with pytest.raises(BadRequest, match="Wrong number of media"):
        await bot.send_media_group(alice_chat.id, album[:1])


async def test_chat_action(bot: Bot, alice_chat: FakeChat, fake: FakeTelegram) -> None:
    assert await bot.send_chat_action(alice_chat.id, "upload_photo")
    assert fake.calls_to("sendChatAction")[0].params["action"] == "upload_photo"
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(alice_chat.id, "dancing")


async def test_callback_query_and_answer(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    sent = await bot.send_message(alice_chat.id, "Is it right?", reply_markup=keyboard("yes"))
    await bot.get_updates(offset=-1)
    query_id = fake.press_button(alice, sent.message_id, alice_chat, "yes")
    (update,) = await bot.get_updates(offset=-1)
    query = update.callback_query
    assert query is not None
    assert (query.id, query.data) == (query_id, "yes")
    assert query.chat_instance
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="Thanks!", show_alert=True)
    assert [(a.callback_query_id, a.text, a.show_alert) for a in fake.callback_answers()] == [
        (query_id, "Thanks!", True)
    ]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(ValueError, match="no button"):
        fake.press_button(alice, sent.message_id, alice_chat, "forged")


async def test_commands_per_scope_and_language(bot: Bot, alice_chat: FakeChat) -> None:
    await bot.set_my_commands([BotCommand("identify", "Identify a plant")])
    await bot.set_my_commands(
        [BotCommand("identify", "Bestimme eine Pflanze")],
        scope=BotCommandScopeChat(alice_chat.id),
        language_code="de",
    )
    default = await bot.get_my_commands()
    german = await bot.get_my_commands(scope=BotCommandScopeChat(alice_chat.id), language_code="de")
    assert [c.description for c in default] == ["Identify a plant"]
    assert [c.description for c in german] == ["Bestimme eine Pflanze"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])


async def test_get_chat_and_member(bot: Bot, fake: FakeTelegram, alice: FakeUser) -> None:
    group = fake.group("Fern friends", forum=True)
    info = await bot.get_chat(group.id)
    assert (info.title, info.type, info.is_forum) == ("Fern friends", "supergroup", True)
    assert (await bot.get_chat_member(group.id, alice.id)).status == "left"
    fake.send_text(alice, group, "hi all")
    assert (await bot.get_chat_member(group.id, alice.id)).status == "member"
    assert (await bot.get_chat_member(group.id, fake.bot_id)).user.is_bot
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(-42)


async def test_forum_topics(bot: Bot, fake: FakeTelegram, alice: FakeUser) -> None:
    group = fake.group(forum=True)
    ferns = fake.topic(group, "Ferns")
    asked = fake.send_text(alice, group, "which fern?", thread_id=ferns)
    assert asked["message_thread_id"] == ferns
    assert asked["is_topic_message"]
    answer = await bot.send_message(group.id, "Boston fern", message_thread_id=ferns)
    assert answer.message_thread_id == ferns
    reply = await bot.send_message(group.id, "sure", reply_to_message_id=asked["message_id"])
    assert reply.message_thread_id == ferns
    assert [m.thread_id for m in fake.messages(group)] == [ferns, ferns, ferns]
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(group.id, "lost", message_thread_id=9999)


async def test_command_and_mention_entities(bot: Bot, fake: FakeTelegram, alice: FakeUser) -> None:
    group = fake.group()
    fake.send_command(alice, group, "identify", "fast", mention_bot=True)
    fake.send_mention(alice, group, "what is this?")
    command, mention = (u.message for u in await bot.get_updates())
    assert command is not None
    assert mention is not None
    assert command.text == "/identify@plantbot_test fast"
    assert command.parse_entities(["bot_command"]).popitem()[1] == "/identify@plantbot_test"
    assert mention.parse_entities(["mention"]).popitem()[1] == "@plantbot_test"


async def test_location_and_document_updates(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    await bot.get_updates(offset=-1)
    fake.send_location(alice, alice_chat, 52.52, 13.405)
    fake.send_document(alice, alice_chat, image_bytes(), file_name="leaf.jpg", caption="leaf")
    (_, location_update), (_, document_update) = (
        (u.update_id, u.message) for u in (await bot.get_updates())[-2:]
    )
    assert location_update is not None
    assert location_update.location is not None
    assert location_update.location.latitude == pytest.approx(52.52)
    assert document_update is not None
    assert document_update.document is not None
    assert document_update.document.file_name == "leaf.jpg"
    assert document_update.caption == "leaf"


async def test_long_poll_returns_when_an_update_arrives(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    await bot.get_updates(offset=-1)
    confirmed = (await bot.get_updates())[-1].update_id + 1
    poll = asyncio.create_task(bot.get_updates(offset=confirmed, timeout=60))
    await fake.wait_for(lambda: len(fake.calls_to("getUpdates")) == 3)
    assert not poll.done()
    fake.send_text(alice, alice_chat, "are you there?")
    (update,) = await asyncio.wait_for(poll, 10)
    assert update.message is not None
    assert update.message.text == "are you there?"


async def test_offset_confirms_updates(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    fake.send_text(alice, alice_chat, "one")
    fake.send_text(alice, alice_chat, "two")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/start", "one", "two"]
    assert fake.pending_updates() == 3
    again = await bot.get_updates(offset=updates[1].update_id + 1)
    assert [u.message.text for u in again if u.message] == ["two"]
    assert fake.pending_updates() == 1
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()
    assert fake.pending_updates() == 0


async def test_limit_and_allowed_updates(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    fake.send_text(alice, alice_chat, "more")
    assert len(await bot.get_updates(limit=1)) == 1
    await bot.get_updates(offset=-1, allowed_updates=["callback_query"])
    await bot.get_updates(offset=(await bot.get_updates())[-1].update_id + 1)
    fake.send_text(alice, alice_chat, "ignored")
    assert fake.pending_updates() == 0


async def test_second_poller_conflicts(bot: Bot, fake: FakeTelegram) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=60))
    await fake.wait_for(lambda: len(fake.calls_to("getUpdates")) == 1)
    second = asyncio.create_task(bot.get_updates(timeout=60))
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 10)
    second.cancel()


async def test_webhook_blocks_get_updates(
    bot: Bot, fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    assert info.pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()
    with pytest.raises(BadRequest, match="Bad webhook"):
        await bot.set_webhook("https://example.org/hook")


# PTB warns about its own RetryAfter.retry_after type change when it formats the error.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fault_injection(bot: Bot, fake: FakeTelegram, alice_chat: FakeChat) -> None:
    fake.fail_next("sendMessage", 2, kind="429", retry_after=3)
    for _ in range(2):
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await bot.send_message(alice_chat.id, "flood")
    fake.fail_next("sendMessage", kind="500")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(alice_chat.id, "broken")
    fake.fail_next("sendMessage", kind="slow", seconds=0.01)
    await bot.send_message(alice_chat.id, "finally")
    assert [m.text for m in fake.bot_messages(alice_chat)] == ["finally"]
    assert len(fake.calls_to("sendMessage")) == 4
    with pytest.raises(ValueError, match="kind must be one of"):
        fake.fail_next("sendMessage", kind="404")


async def test_wait_for_times_out_with_a_dump(fake: FakeTelegram, alice_chat: FakeChat) -> None:
    with pytest.raises(AssertionError, match="condition not met") as caught:
        await fake.wait_for(lambda: False, timeout=0.05)
    assert "/start" in str(caught.value)


async def test_failed_webhook_delivery_is_reported_and_kept(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    await bot.get_updates(offset=-1)
    await bot.get_updates(offset=(await bot.get_updates())[-1].update_id + 1)
    await bot.set_webhook(f"http://127.0.0.1:{free_port()}/nobody-listens")
    fake.send_text(alice, alice_chat, "hello?")
    await fake.wait_for(lambda: fake.last_webhook_error() is not None)
    info = await bot.get_webhook_info()
    assert info.last_error_message is not None
    assert info.last_error_message.startswith("Connection failed")
    assert info.pending_update_count == 1
    await bot.delete_webhook()
    (update,) = await bot.get_updates()
    assert update.message is not None
    assert update.message.text == "hello?"


async def test_slow_answers_time_out_on_the_client(fake: FakeTelegram) -> None:
    with serve_on_loopback(fake.app) as base_url:
        impatient = Bot(
            fake.token, base_url=f"{base_url}/bot", request=HTTPXRequest(read_timeout=0.1)
        )
        fake.fail_next("getMe", kind="slow", seconds=1.0)
        with pytest.raises(TimedOut):
            await impatient.get_me()
        assert (await impatient.get_me()).username == "plantbot_test"
        await impatient.shutdown()


async def test_privacy_mode_hides_plain_group_chatter() -> None:
    fake = FakeTelegram(privacy_mode=True)
    alice = fake.user("Alice")
    group = fake.group()
    fake.send_text(alice, group, "just chatting")
    assert fake.pending_updates() == 0
    fake.send_command(alice, group, "identify")
    fake.send_mention(alice, group, "look at this")
    assert fake.pending_updates() == 2
    assert fake.messages(group)[0].text == "just chatting"
    await fake.aclose()


async def test_malformed_parameters_are_a_bad_request(
    fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            f"/bot{fake.token}/sendMessage",
            json={"chat_id": alice_chat.id, "text": "x", "reply_parameters": {"quote": "x"}},
        )
    assert response.status_code == 400
    assert response.json()["description"].startswith("Bad Request: malformed sendMessage")
