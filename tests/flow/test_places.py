"""Locations: shared places and EXIF GPS reach Plant.id rounded to about 1 km, and only then."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sandbox.plantid import Emulator
from sandbox.telegram import FakeTelegram
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo
from tests.flow.inputs import enqueued, identify_all, leaf_file, stored

# The Eiffel tower, to more decimals than the bot may keep.
PARIS = (48.858244, 2.294514)
SYDNEY = (-33.859812, 151.200083)


def place_of(body: dict[str, object]) -> tuple[object, object]:
    return body.get("latitude"), body.get("longitude")


async def test_a_shared_location_goes_rounded_with_the_next_photos_until_forgotten(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, database_path: Path
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_location(alice, chat, *PARIS)
        await telegram.wait_for(lambda: bool(telegram.bot_messages(chat)))
        saved = telegram.bot_messages(chat)[0]
        assert saved.visible_text.startswith("📍 Thanks! For the next hour I'll use this place")
        assert saved.buttons[0][0].text == "Forget my location"
        telegram.send_photo(alice, chat, leaf_photo(41))
        await identify_all(telegram, plantid, chat, 1)
        assert place_of(enqueued(plantid)[0]) == (48.86, 2.29)
        assert all(row["latitude"] in (None, 48.86) for row in stored(database_path))

        telegram.send_command(alice, chat, "location", "off")
        await telegram.wait_for(
            lambda: (
                "Okay, I've forgotten your location."
                in [message.visible_text for message in telegram.bot_messages(chat)]
            )
        )
        telegram.send_photo(alice, chat, leaf_photo(42))
        await identify_all(telegram, plantid, chat, 2)
    assert place_of(enqueued(plantid)[1]) == (None, None)
    with_place = [row for row in stored(database_path) if row["latitude"] is not None]
    assert [(row["latitude"], row["longitude"]) for row in with_place] == [(48.86, 2.29)]


async def test_the_forget_button_forgets_the_place(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_venue(alice, chat, *PARIS, "Tour Eiffel", "Champ de Mars")
        await telegram.wait_for(lambda: bool(telegram.bot_messages(chat)))
        saved = telegram.bot_messages(chat)[0]
        data = saved.buttons[0][0].callback_data
        assert data is not None
        telegram.press_button(alice, saved.message_id, chat, data)
        await telegram.wait_for(lambda: bool(telegram.callback_answers()))
        assert telegram.callback_answers()[0].text == "Okay, I've forgotten your location."
        telegram.send_photo(alice, chat, leaf_photo(43))
        await identify_all(telegram, plantid, chat, 1)
    assert place_of(enqueued(plantid)[0]) == (None, None)


async def test_a_place_is_not_used_after_its_time(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot(location_ttl=0.5):
        telegram.send_location(alice, chat, *PARIS, live_period=600)
        await telegram.wait_for(lambda: bool(telegram.bot_messages(chat)))
        shared_at = time.time()
        telegram.send_photo(alice, chat, leaf_photo(44))
        await identify_all(telegram, plantid, chat, 1)
        await telegram.wait_for(lambda: time.time() > shared_at + 0.5)
        telegram.send_photo(alice, chat, leaf_photo(45))
        await identify_all(telegram, plantid, chat, 2)
    assert place_of(enqueued(plantid)[0]) == (48.86, 2.29), "a live location's first point"
    assert place_of(enqueued(plantid)[1]) == (None, None)


async def test_a_place_shared_while_an_album_gathers_joins_it(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot(album_wait=2.0):
        telegram.send_album(alice, chat, [leaf_photo(46), leaf_photo(47)])
        await telegram.wait_for(lambda: bool(telegram.bot_messages(chat)))
        telegram.send_location(alice, chat, *SYDNEY)
        await identify_all(telegram, plantid, chat, 1)
    (body,) = enqueued(plantid)
    assert place_of(body) == (-33.86, 151.2)
    assert len(body["images"]) == 2


async def test_start_offers_to_share_the_location(telegram: FakeTelegram, run_bot: RunBot) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_command(alice, chat, "start")
        await telegram.wait_for(lambda: bool(telegram.bot_messages(chat)))
    (call,) = telegram.calls_to("sendMessage")
    keyboard = json.loads(call.params["reply_markup"])["keyboard"]
    assert keyboard == [[{"text": "📍 Share location", "request_location": True}]]


async def test_in_a_group_a_persons_place_serves_only_their_own_requests(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    group = telegram.group()
    async with run_bot():
        telegram.send_location(alice, telegram.private_chat(alice), *PARIS)
        await telegram.wait_for(lambda: bool(telegram.calls_to("sendMessage")))
        photo = telegram.send_photo(alice, group, leaf_photo(48))["message_id"]
        telegram.send_command(bob, group, "identify", reply_to=photo)
        await identify_all(telegram, plantid, group, 1)
        telegram.send_photo(alice, group, leaf_photo(49), caption="/identify")
        answered = await identify_all(telegram, plantid, group, 2)
    assert place_of(enqueued(plantid)[0]) == (None, None), "Bob asked: Alice's place stays hers"
    assert place_of(enqueued(plantid)[1]) == (48.86, 2.29)
    assert all("48.86" not in message.visible_text for message in answered)


async def test_gps_in_an_image_file_is_used_rounded_and_the_result_says_so(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_document(alice, chat, leaf_file("JPEG", gps=SYDNEY), file_name="IMG.jpg")
        (result,) = await identify_all(telegram, plantid, chat, 1)
    assert place_of(enqueued(plantid)[0]) == (-33.86, 151.2)
    assert "📍 Location taken from the photo" in result.visible_text


async def test_a_shared_place_wins_over_the_photos_gps(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_location(alice, chat, *PARIS)
        await telegram.wait_for(lambda: bool(telegram.bot_messages(chat)))
        telegram.send_document(alice, chat, leaf_file("JPEG", gps=SYDNEY), file_name="IMG.jpg")
        (result,) = await identify_all(telegram, plantid, chat, 1)
    assert place_of(enqueued(plantid)[0]) == (48.86, 2.29)
    assert "📍 Location taken from the photo" not in result.visible_text


async def test_photo_gps_can_be_turned_off(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot(use_photo_gps=False):
        telegram.send_document(alice, chat, leaf_file("JPEG", gps=SYDNEY), file_name="IMG.jpg")
        (result,) = await identify_all(telegram, plantid, chat, 1)
    assert place_of(enqueued(plantid)[0]) == (None, None)
    assert "📍" not in result.visible_text
