"""Fair use of credits: repeats answered from the earlier result, hourly limits, closed chats."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.plantid import Emulator
from sandbox.telegram import FakeTelegram
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo
from tests.flow.inputs import enqueued, identify_all, results, stored

LIMIT_TEXT = re.compile(
    r"You've reached the limit of 2 identifications per hour\. Try again at \d{1,2}:\d{2}"
)


async def test_the_same_image_again_is_answered_from_the_earlier_result(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    photo = leaf_photo(61)
    async with run_bot():
        telegram.send_photo(alice, chat, photo)
        (first,) = await identify_all(telegram, plantid, chat, 1)
        again = telegram.send_photo(alice, chat, photo)
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 2)
        second = results(telegram, chat)[1]
        # The repeat's buttons work like the first's.
        data = second.buttons[0][0].callback_data
        assert data is not None
        telegram.press_button(alice, second.message_id, chat, data)
        await telegram.wait_for(lambda: bool(telegram.callback_answers()))
    assert second.reply_to == again["message_id"]
    assert second.visible_text == first.visible_text
    assert len(enqueued(plantid)) == 1, "no second credit"
    assert (telegram.callback_answers()[0].text or "").startswith("Thanks!")


async def test_the_same_image_while_the_first_is_still_running_points_to_it(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    photo = leaf_photo(62)
    async with run_bot():
        telegram.send_photo(alice, chat, photo)
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        telegram.send_photo(alice, chat, photo)
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 2)
        status = telegram.bot_messages(chat)[0]
        pointer = telegram.bot_messages(chat)[1]
        assert pointer.visible_text == "I've already identified this photo: see my answer above."
        assert pointer.reply_to == status.message_id
        await identify_all(telegram, plantid, chat, 1)
    assert len(enqueued(plantid)) == 1


async def test_a_person_over_the_hourly_limit_is_told_when_to_come_back(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    chat = telegram.private_chat(alice)
    async with run_bot(limit_per_person_hour=2):
        for seed in (63, 64):
            telegram.send_photo(alice, chat, leaf_photo(seed))
        await identify_all(telegram, plantid, chat, 2)
        third = telegram.send_photo(alice, chat, leaf_photo(65))
        await telegram.wait_for(
            lambda: any(LIMIT_TEXT.match(m.visible_text) for m in telegram.bot_messages(chat))
        )
        # Someone else is not held back by Alice's limit.
        other = telegram.private_chat(bob)
        telegram.send_photo(bob, other, leaf_photo(66))
        await identify_all(telegram, plantid, other, 1, total=3)
    refusal = next(m for m in telegram.bot_messages(chat) if LIMIT_TEXT.match(m.visible_text))
    assert refusal.reply_to == third["message_id"]
    assert len(enqueued(plantid)) == 3


async def test_a_group_over_its_hourly_limit_is_told_so(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    group = telegram.group()
    async with run_bot(limit_per_chat_hour=1):
        telegram.send_photo(alice, group, leaf_photo(67), caption="/identify")
        await identify_all(telegram, plantid, group, 1)
        telegram.send_photo(bob, group, leaf_photo(68), caption="/identify")
        await telegram.wait_for(
            lambda: any(
                m.visible_text.startswith("This chat has reached the limit of 1 identification")
                for m in telegram.bot_messages(group)
            )
        )
    assert len(enqueued(plantid)) == 1


async def test_a_chat_that_refuses_the_status_message_spends_no_credit(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, database_path: Path
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.fail_next("sendMessage", kind="403")
        telegram.send_photo(alice, chat, leaf_photo(69))
        await telegram.wait_for(lambda: bool(stored(database_path)))
        await telegram.wait_for(lambda: stored(database_path)[0]["state"] == "failed")
        other = telegram.private_chat(bob)
        telegram.send_photo(bob, other, leaf_photo(70))
        await identify_all(telegram, plantid, other, 1)
    assert len(enqueued(plantid)) == 1, "only Bob's photo was paid for"
    assert not telegram.bot_messages(chat)
