"""What people send, as PTB's Bot receives it: places, documents, albums, captions, files."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InputMediaDocument, MessageEntity, Update
from telegram.error import BadRequest

from sandbox.telegram import DocumentFile, FakeChat, FakeTelegram, FakeUser
from tests.sandbox_telegram.conftest import image_bytes


async def fresh_updates(bot: Bot) -> list[Update]:
    """Return the queued updates and confirm them."""
    updates = list(await bot.get_updates())
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1)
    return updates


async def test_venue_carries_its_location(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    await fresh_updates(bot)
    fake.send_venue(alice, alice_chat, 48.8584, 2.2945, "Jardin", "Champ de Mars, Paris")
    (update,) = await fresh_updates(bot)
    message = update.message
    assert message is not None
    assert message.venue is not None
    assert (message.venue.title, message.venue.address) == ("Jardin", "Champ de Mars, Paris")
    assert message.venue.location.latitude == pytest.approx(48.8584)
    assert message.location is not None
    assert message.location.longitude == pytest.approx(2.2945)


# PTB warns about its own Location.live_period type change when it reads the field.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_live_location_first_point_then_moves(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    await fresh_updates(bot)
    sent = fake.send_location(
        alice, alice_chat, 52.52, 13.405, live_period=900, horizontal_accuracy=20
    )
    fake.move_live_location(alice, alice_chat, sent["message_id"], 52.53, 13.41)
    first, moved = await fresh_updates(bot)
    assert first.message is not None
    assert first.message.location is not None
    assert first.message.location.live_period == 900
    assert first.message.location.horizontal_accuracy == 20
    assert moved.edited_message is not None
    assert moved.edited_message.message_id == sent["message_id"]
    assert moved.edited_message.location is not None
    assert moved.edited_message.location.latitude == pytest.approx(52.53)
    assert moved.edited_message.edit_date is not None
    plain = fake.send_location(alice, alice_chat, 1.0, 2.0)
    with pytest.raises(ValueError, match="only the sender of a live location"):
        fake.move_live_location(alice, alice_chat, plain["message_id"], 1.1, 2.1)


@pytest.mark.parametrize(
    ("data", "file_name", "mime_type"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "fern.png", "image/png"),
        (b"\0\0\0\x18ftypheic" + b"\0" * 50, "IMG_0001.HEIC", "image/heic"),
        (b"%PDF-1.7 care guide", "care guide.pdf", "application/pdf"),
        (b"no name, no type", None, None),
    ],
)
async def test_documents_keep_bytes_name_type_and_size(
    bot: Bot,
    fake: FakeTelegram,
    alice: FakeUser,
    alice_chat: FakeChat,
    data: bytes,
    file_name: str | None,
    mime_type: str | None,
) -> None:
    await fresh_updates(bot)
    fake.send_document(alice, alice_chat, data, file_name=file_name, mime_type=mime_type)
    (update,) = await fresh_updates(bot)
    assert update.message is not None
    document = update.message.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        file_name,
        mime_type,
        len(data),
    )
    downloaded = await (await bot.get_file(document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == data
    assert fake.messages(alice_chat)[-1].document


async def test_albums_of_photos_and_of_documents(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    await fresh_updates(bot)
    fake.send_album(alice, alice_chat, [image_bytes(400, 300), image_bytes(300, 400)])
    fake.send_album(
        alice,
        alice_chat,
        [
            DocumentFile(image_bytes(500, 500), "a.jpg"),
            DocumentFile(b"\x89PNG", "b.png", "image/png"),
        ],
        caption="two files",
    )
    messages = [u.message for u in await fresh_updates(bot) if u.message]
    assert [(bool(m.photo), m.document is not None) for m in messages] == [
        (True, False),
        (True, False),
        (False, True),
        (False, True),
    ]
    groups = [m.media_group_id for m in messages]
    assert groups[0] == groups[1] != groups[2] == groups[3]
    assert [m.caption for m in messages[2:]] == ["two files", None]
    with pytest.raises(ValueError, match="either photos or documents"):
        fake.send_album(alice, alice_chat, [image_bytes(), DocumentFile(image_bytes())])
    with pytest.raises(ValueError, match="2-10"):
        fake.send_album(alice, alice_chat, [image_bytes()])


async def test_caption_entities_given_or_detected(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    await fresh_updates(bot)
    fake.send_photo(alice, alice_chat, image_bytes(200, 200), caption="🌿 /identify@plantbot_test")
    fake.send_document(
        alice,
        alice_chat,
        b"%PDF",
        file_name="x.pdf",
        mime_type="application/pdf",
        caption="🌿 bold",
        caption_entities=[{"type": "bold", "offset": 3, "length": 4}],
    )
    photo, document = (u.message for u in await fresh_updates(bot))
    assert photo is not None
    assert document is not None
    assert photo.parse_caption_entities([MessageEntity.BOT_COMMAND]).popitem()[1] == (
        "/identify@plantbot_test"
    )
    assert document.parse_caption_entities([MessageEntity.BOT_COMMAND]) == {}
    assert list(document.parse_caption_entities().values()) == ["bold"]


async def test_same_bytes_share_file_unique_id(
    fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    picture = image_bytes(640, 480)
    first = fake.send_photo(alice, alice_chat, picture)["photo"][-1]
    second = fake.send_photo(alice, alice_chat, picture)["photo"][-1]
    other = fake.send_photo(alice, alice_chat, image_bytes(640, 480, "red"))["photo"][-1]
    as_file = fake.send_document(alice, alice_chat, picture)["document"]
    assert first["file_unique_id"] == second["file_unique_id"]
    assert first["file_id"] != second["file_id"]
    assert other["file_unique_id"] != first["file_unique_id"]
    assert as_file["file_unique_id"] != first["file_unique_id"]


async def test_too_big_and_unknown_files(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    big = fake.send_document(alice, alice_chat, b"\0" * (20 * 1024 * 1024 + 1))["document"]
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big["file_id"])
    exactly = fake.send_document(alice, alice_chat, b"\0" * (20 * 1024 * 1024))["document"]
    assert (await bot.get_file(exactly["file_id"])).file_size == 20 * 1024 * 1024
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        missing = await client.get(f"/file/bot{fake.token}/documents/file_999999.jpg")
        wrong_token = await client.get("/file/bot1:nope/documents/file_1.jpg")
    assert missing.status_code == wrong_token.status_code == 404
    assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_bot_uploads_documents_by_multipart(
    bot: Bot, fake: FakeTelegram, alice_chat: FakeChat
) -> None:
    sent = await bot.send_document(
        alice_chat.id, b"%PDF-1.7", filename="guide.pdf", caption="<b>Guide</b>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert sent.document.file_name == "guide.pdf"
    assert sent.caption == "Guide"
    assert fake.file_bytes(sent.document.file_id) == b"%PDF-1.7"
    album = await bot.send_media_group(
        alice_chat.id,
        [
            InputMediaDocument(b"one", filename="1.txt"),
            InputMediaDocument(b"two", filename="2.txt"),
        ],
    )
    assert [m.document.file_name for m in album if m.document] == ["1.txt", "2.txt"]
    assert fake.file_bytes(album[1].document.file_id) == b"two"  # type: ignore[union-attr]
    assert fake.calls_to("sendDocument")[0].params["document"] == b"%PDF-1.7"
    location = await bot.send_location(alice_chat.id, 52.5, 13.4)
    assert location.location is not None
