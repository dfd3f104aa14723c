"""Groups: every way to ask, under privacy mode on and off, and who may do what afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.plantid import Emulator
from sandbox.telegram import FakeChat, FakeTelegram, FakeUser
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo
from tests.flow.inputs import enqueued, identify_all, results, stored

BOT = "plantbot_test"
Trigger = Callable[[FakeTelegram, FakeUser, FakeUser, FakeChat], int]


def _photo_then(reply: Callable[[FakeTelegram, FakeUser, FakeChat, int], Any]) -> Trigger:
    """Bob posts a photo, Alice answers it with `reply`; return the photo's message id."""

    def trigger(telegram: FakeTelegram, alice: FakeUser, bob: FakeUser, group: FakeChat) -> int:
        photo = telegram.send_photo(bob, group, leaf_photo(11))["message_id"]
        reply(telegram, alice, group, photo)
        return int(photo)

    return trigger


def _own_photo(caption: str) -> Trigger:
    def trigger(telegram: FakeTelegram, alice: FakeUser, bob: FakeUser, group: FakeChat) -> int:
        return int(telegram.send_photo(alice, group, leaf_photo(12), caption=caption)["message_id"])

    return trigger


def _document_then_identify(
    telegram: FakeTelegram, alice: FakeUser, bob: FakeUser, group: FakeChat
) -> int:
    document = telegram.send_document(bob, group, leaf_photo(13), file_name="IMG_1.jpg")
    telegram.send_command(alice, group, "identify", reply_to=document["message_id"])
    return int(document["message_id"])


def _album_member_then_identify(
    telegram: FakeTelegram, alice: FakeUser, bob: FakeUser, group: FakeChat
) -> int:
    parts = telegram.send_album(bob, group, [leaf_photo(14), leaf_photo(15)])
    telegram.send_command(alice, group, "identify", reply_to=parts[1]["message_id"])
    return int(parts[1]["message_id"])


TRIGGERS_IN_BOTH_MODES: dict[str, Trigger] = {
    "/identify as a reply": _photo_then(
        lambda t, alice, group, photo: t.send_command(alice, group, "identify", reply_to=photo)
    ),
    "/identify@bot as a reply": _photo_then(
        lambda t, alice, group, photo: t.send_command(
            alice, group, "identify", reply_to=photo, mention_bot=True
        )
    ),
    "a mention as a reply": _photo_then(
        lambda t, alice, group, photo: t.send_mention(
            alice, group, "what plant is this?", reply_to=photo
        )
    ),
    "a caption starting with /identify": _own_photo("/identify"),
    "a caption mentioning the bot": _own_photo(f"@{BOT} is this a fern?"),
    "/identify replying to an image file": _document_then_identify,
    "/identify replying to an album member": _album_member_then_identify,
}


@pytest.fixture(params=[True, False], ids=["privacy-on", "privacy-off"])
def privacy(request: pytest.FixtureRequest, telegram: FakeTelegram) -> bool:
    telegram.privacy_mode = request.param
    return bool(request.param)


@pytest.mark.parametrize("how", list(TRIGGERS_IN_BOTH_MODES))
async def test_each_way_of_asking_gets_one_answer_in_the_group(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, privacy: bool, how: str
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    group = telegram.group()
    async with run_bot():
        photo = TRIGGERS_IN_BOTH_MODES[how](telegram, alice, bob, group)
        await telegram.wait_for(lambda: len(telegram.bot_messages(group)) >= 1)
        status = telegram.bot_messages(group)[0]
        assert status.visible_text == "🔎 Looking at the plant for Alice…"
        assert status.reply_to == photo, "the answer replies to the photo"
        (result,) = await identify_all(telegram, plantid, group)
    assert result.message_id == status.message_id
    assert result.buttons
    assert len(enqueued(plantid)) == 1
    if how == "/identify replying to an album member" and not privacy:
        assert len(enqueued(plantid)[0]["images"]) == 2, "the bot saw the whole album"


async def test_a_photo_sent_as_a_reply_to_the_bot_is_identified(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, privacy: bool
) -> None:
    alice = telegram.user("Alice")
    group = telegram.group()
    async with run_bot():
        telegram.send_command(alice, group, "help")
        await telegram.wait_for(lambda: bool(telegram.bot_messages(group)))
        help_message = telegram.bot_messages(group)[0]
        photo = telegram.send_photo(alice, group, leaf_photo(16), reply_to=help_message.message_id)
        (result,) = await identify_all(telegram, plantid, group)
    assert result.reply_to == photo["message_id"]


async def test_a_question_without_mention_works_only_without_privacy_mode(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, privacy: bool
) -> None:
    alice, bob, carol = telegram.user("Alice"), telegram.user("Bob"), telegram.user("Carol")
    ivan = telegram.user("Иван", language_code="ru")
    group = telegram.group()
    async with run_bot():
        first = telegram.send_photo(bob, group, leaf_photo(17))["message_id"]
        telegram.send_text(alice, group, "Hey, what plant is this?? 🌿", reply_to=first)
        second = telegram.send_photo(bob, group, leaf_photo(18))["message_id"]
        telegram.send_text(ivan, group, "Что это за растение?", reply_to=second)
        telegram.send_text(carol, group, "nice plant", reply_to=second)
        # A bare photo is never identified unless the group opted in.
        telegram.send_photo(carol, group, leaf_photo(19))
        # A last request everyone sees, so the earlier ones have surely been handled.
        last = telegram.send_photo(carol, group, leaf_photo(20), caption="/identify")
        expected = 1 if privacy else 3
        answered = await identify_all(telegram, plantid, group, expected)
    assert len(enqueued(plantid)) == expected
    replied_to = {message.reply_to for message in answered}
    assert replied_to == ({last["message_id"]} if privacy else {first, second, last["message_id"]})
    if not privacy:
        russian = next(m for m in telegram.bot_messages(group) if m.reply_to == second)
        assert "Нажми на него" in russian.visible_text, "in the asker's language"


async def test_status_and_result_stay_in_the_forum_topic_in_the_askers_language(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    bernd, bob = telegram.user("Bernd", language_code="de"), telegram.user("Bob")
    group = telegram.group(forum=True)
    topic = telegram.topic(group, "Farne")
    async with run_bot():
        photo = telegram.send_photo(bob, group, leaf_photo(21), thread_id=topic)["message_id"]
        telegram.send_command(bernd, group, "identify", reply_to=photo)
        await telegram.wait_for(lambda: bool(telegram.bot_messages(group)))
        status = telegram.bot_messages(group)[0]
        assert status.visible_text == "🔎 Ich sehe mir die Pflanze für Bernd an…"
        (result,) = await identify_all(telegram, plantid, group)
    sends = [call for call in telegram.calls_to("sendMessage") if call.params.get("chat_id")]
    assert all(int(call.params["message_thread_id"]) == topic for call in sends)
    assert result.reply_to == photo
    assert "Ist einer davon richtig?" in result.visible_text, "German, the asker's language"


async def test_identify_without_a_photo_explains_how_to_ask(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, privacy: bool
) -> None:
    alice = telegram.user("Alice")
    group = telegram.group()
    async with run_bot():
        telegram.send_command(alice, group, "identify")
        await telegram.wait_for(lambda: bool(telegram.bot_messages(group)))
    assert telegram.bot_messages(group)[0].visible_text == (
        "Reply to a message with a photo of a plant and I'll identify it."
    )
    assert not enqueued(plantid)


async def test_a_photo_asked_about_twice_is_identified_once(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    group = telegram.group()
    async with run_bot():
        photo = telegram.send_photo(bob, group, leaf_photo(22))["message_id"]
        telegram.send_command(alice, group, "identify", reply_to=photo)
        (result,) = await identify_all(telegram, plantid, group)
        telegram.send_mention(bob, group, "what plant is this?", reply_to=photo)
        await telegram.wait_for(lambda: len(telegram.bot_messages(group)) == 2)
    pointer = telegram.bot_messages(group)[1]
    assert pointer.visible_text == "I've already identified this photo: see my answer above."
    assert pointer.reply_to == result.message_id
    assert len(enqueued(plantid)) == 1


async def press(telegram: FakeTelegram, user: FakeUser, chat: FakeChat, message_id: int) -> Any:
    (message,) = [m for m in telegram.bot_messages(chat) if m.message_id == message_id]
    data = message.buttons[0][0].callback_data
    assert data is not None
    before = len(telegram.callback_answers())
    telegram.press_button(user, message_id, chat, data)
    await telegram.wait_for(lambda: len(telegram.callback_answers()) > before)
    return telegram.callback_answers()[-1]


async def test_only_the_requester_and_the_photos_author_may_confirm(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    mallory = telegram.user("Mallory", language_code="de")
    group = telegram.group()
    async with run_bot():
        photo = telegram.send_photo(bob, group, leaf_photo(23))["message_id"]
        telegram.send_command(alice, group, "identify", reply_to=photo)
        (result,) = await identify_all(telegram, plantid, group)
        stranger = await press(telegram, mallory, group, result.message_id)
        assert stranger.show_alert
        assert "Nur" in (stranger.text or ""), "the alert is in the presser's language"
        (identification,) = plantid.identifications.values()
        assert not [s for s in identification.suggestions or [] if s.confirmed]
        by_author = await press(telegram, bob, group, result.message_id)
        assert not by_author.show_alert
        by_requester = await press(telegram, alice, group, result.message_id)
        assert not by_requester.show_alert


async def test_anonymous_admins_and_channels_get_results_without_confirm_buttons(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    group = telegram.group(creator=alice)
    channel = telegram.channel()
    async with run_bot():
        telegram.send_photo(alice, group, leaf_photo(24), caption="/identify", sender_chat=group)
        telegram.send_photo(alice, group, leaf_photo(25), caption=f"@{BOT}", sender_chat=channel)
        answered = await identify_all(telegram, plantid, group, 2)
    assert all(not message.buttons for message in answered)
    assert all("Is one of these right?" not in message.visible_text for message in answered)


async def test_autoidentify_is_for_admins_and_then_every_photo_is_identified(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    telegram.privacy_mode = False
    admin, bob = telegram.user("Ada"), telegram.user("Bob")
    group = telegram.group(creator=admin)
    async with run_bot():
        telegram.send_command(bob, group, "autoidentify", "on")
        await telegram.wait_for(lambda: len(telegram.bot_messages(group)) == 1)
        assert telegram.bot_messages(group)[0].visible_text == "Only group admins can change this."
        telegram.send_command(admin, group, "autoidentify", "on")
        await telegram.wait_for(lambda: len(telegram.bot_messages(group)) == 2)
        assert telegram.bot_messages(group)[1].visible_text == (
            "✅ From now on I'll identify every photo in this group."
        )
        assert telegram.calls_to("getChatMember")
        photo = telegram.send_photo(bob, group, leaf_photo(26))["message_id"]
        (result,) = await identify_all(telegram, plantid, group)
        assert result.reply_to == photo
        telegram.send_command(admin, group, "autoidentify", "off")
        await telegram.wait_for(
            lambda: (
                "Okay, I'll only answer when someone asks (/identify)."
                in [m.visible_text for m in telegram.bot_messages(group)]
            )
        )
        telegram.send_photo(bob, group, leaf_photo(27))
        telegram.send_photo(bob, group, leaf_photo(28), caption="/identify")
        await identify_all(telegram, plantid, group, 2)
    assert len(enqueued(plantid)) == 2


async def test_start_and_help_in_a_group_explain_the_group_triggers(
    telegram: FakeTelegram, run_bot: RunBot, privacy: bool
) -> None:
    alice = telegram.user("Alice")
    group = telegram.group()
    async with run_bot():
        telegram.send_command(alice, group, "start", mention_bot=True)
        telegram.send_command(alice, group, "help", mention_bot=True)
        await telegram.wait_for(lambda: len(telegram.bot_messages(group)) == 2)
    for message in telegram.bot_messages(group):
        assert f"@{BOT}" in message.visible_text
        assert "/identify" in message.visible_text
        assert "Send me a photo" not in message.visible_text


async def test_added_to_a_group_the_bot_says_hello_once(
    telegram: FakeTelegram, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    group = telegram.group(with_bot=False)
    async with run_bot():
        telegram.add_bot_to_group(group, alice)
        await telegram.wait_for(lambda: bool(telegram.bot_messages(group)))
        telegram.send_command(alice, group, "help")
        await telegram.wait_for(lambda: len(telegram.bot_messages(group)) == 2)
    hello = telegram.bot_messages(group)[0]
    assert hello.visible_text.startswith("🌿 Hello!")
    assert f"@{BOT}" in hello.visible_text


async def test_removed_from_a_group_pending_work_ends_quietly(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, database_path: Path
) -> None:
    alice = telegram.user("Alice")
    group = telegram.group(creator=alice)
    async with run_bot():
        telegram.send_photo(alice, group, leaf_photo(29), caption="/identify")
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        telegram.remove_bot_from_group(group, alice)
        await telegram.wait_for(lambda: stored(database_path)[0]["state"] == "failed")
        calls_before = len(telegram.calls)
        plantid.complete_all()
        # Another chat's photo goes all the way through meanwhile.
        other = telegram.private_chat(alice)
        telegram.send_photo(alice, other, leaf_photo(30))
        await identify_all(telegram, plantid, other, 1, total=2)
    (row, _) = stored(database_path)
    assert row["failure_reason"] == "chat_closed"
    assert row["notified_at"] is not None, "nobody is left to tell"
    later = telegram.calls[calls_before:]
    assert not [call for call in later if call.params.get("chat_id") == str(group.id)]


async def test_a_group_that_becomes_a_supergroup_keeps_its_pending_identification(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    group = telegram.group(supergroup=False, creator=alice)
    async with run_bot():
        telegram.send_photo(alice, group, leaf_photo(31), caption="/identify")
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        supergroup = telegram.migrate_to_supergroup(group)
        await telegram.wait_for(lambda: bool(telegram.calls_to("getUpdates")))
        # Both halves of the migration are delivered; the bot follows the new chat id.
        telegram.send_command(alice, supergroup, "help")
        await telegram.wait_for(lambda: bool(telegram.bot_messages(supergroup)))
        plantid.complete_all()
        await telegram.wait_for(lambda: bool(results(telegram, supergroup)))
    assert len(enqueued(plantid)) == 1
