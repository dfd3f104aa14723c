"""Image files of every accepted format, things that are not images, and albums as one request."""

from __future__ import annotations

import base64

import pytest

from sandbox.plantid import Emulator
from sandbox.telegram import DocumentFile, FakeTelegram
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo
from tests.flow.inputs import enqueued, identify_all, leaf_file


@pytest.mark.parametrize(
    ("image_format", "file_name", "mime_type"),
    [
        ("JPEG", "IMG_0001.JPG", "image/jpeg"),
        ("PNG", "leaf.png", "image/png"),
        ("WEBP", "leaf.webp", "image/webp"),
        ("HEIF", "IMG_0002.HEIC", "image/heic"),
        ("GIF", "leaf.gif", "image/gif"),
        ("TIFF", "scan.tiff", "image/tiff"),
        # Sniffed from the bytes: a wrong name and a generic type change nothing.
        ("HEIF", "photo.bin", "application/octet-stream"),
    ],
)
async def test_an_image_sent_as_a_file_is_identified_like_a_photo(
    telegram: FakeTelegram,
    plantid: Emulator,
    run_bot: RunBot,
    image_format: str,
    file_name: str,
    mime_type: str,
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    data = leaf_file(image_format, seed=51)
    async with run_bot():
        telegram.send_document(alice, chat, data, file_name=file_name, mime_type=mime_type)
        (result,) = await identify_all(telegram, plantid, chat, 1)
    assert result.buttons
    (body,) = enqueued(plantid)
    assert base64.b64decode(body["images"][0]).startswith(b"\xff\xd8"), "sent on as JPEG"


@pytest.mark.parametrize(
    ("data", "file_name", "mime_type"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "plant.pdf", "application/pdf"),
        (b"just some notes about my ficus\n", "plant.jpg", "image/jpeg"),
    ],
    ids=["pdf", "text-named-jpg"],
)
async def test_a_file_that_is_no_image_gets_a_hint_and_costs_nothing(
    telegram: FakeTelegram,
    plantid: Emulator,
    run_bot: RunBot,
    data: bytes,
    file_name: str,
    mime_type: str,
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_document(alice, chat, data, file_name=file_name, mime_type=mime_type)
        await telegram.wait_for(
            lambda: any("isn't an image" in m.visible_text for m in telegram.bot_messages(chat))
        )
    (answer,) = telegram.bot_messages(chat)
    assert answer.visible_text == (
        "This file isn't an image I can read. "
        "Send a photo of a plant (JPEG, PNG, WebP, HEIC, GIF or TIFF)."
    )
    assert not enqueued(plantid)


async def test_a_damaged_image_is_explained(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    broken = leaf_file("PNG", seed=52)[:400]
    async with run_bot():
        telegram.send_document(alice, chat, broken, file_name="leaf.png", mime_type="image/png")
        await telegram.wait_for(
            lambda: any("couldn't read" in m.visible_text for m in telegram.bot_messages(chat))
        )
    (answer,) = telegram.bot_messages(chat)
    assert answer.visible_text == "🖼 I couldn't read this image. Please try another photo."
    assert "regular photo" not in answer.visible_text
    assert not enqueued(plantid)


async def test_an_album_is_one_identification_with_every_photo(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    photos = [leaf_photo(53), leaf_photo(54), leaf_photo(55)]
    async with run_bot():
        parts = telegram.send_album(alice, chat, photos, caption="my tree")
        (result,) = await identify_all(telegram, plantid, chat, 1)
    assert len(telegram.bot_messages(chat)) == 1, "one status message, edited into one result"
    assert result.reply_to == parts[0]["message_id"]
    (body,) = enqueued(plantid)
    assert len(body["images"]) == 3
    assert len(plantid.identifications) == 1


async def test_an_album_of_files_is_one_identification_of_at_most_max_images(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    files = [DocumentFile(leaf_file("PNG", seed=56 + i), "leaf.png", "image/png") for i in range(3)]
    async with run_bot(max_images=2):
        telegram.send_album(alice, chat, files)
        await identify_all(telegram, plantid, chat, 1)
    (body,) = enqueued(plantid)
    assert len(body["images"]) == 2
