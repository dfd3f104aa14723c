"""Groups as PTB's Bot sees them: privacy mode, members, removal, migration, anonymous senders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden

from sandbox.telegram import DocumentFile, FakeChat, FakeTelegram, FakeUser
from tests.sandbox_telegram.conftest import image_bytes

Trigger = Callable[[FakeTelegram, FakeUser, FakeChat, int], Any]


async def updates_after(bot: Bot, fake: FakeTelegram, act: Callable[[], Any]) -> list[Update]:
    """Confirm everything queued so far, run `act`, and return the updates it produced."""
    queued = await bot.get_updates()
    if queued:
        await bot.get_updates(offset=queued[-1].update_id + 1)
    act()
    updates = list(await bot.get_updates())
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1)
    return updates


# Each trigger and whether a bot in privacy mode receives it (issue 9's list).
TRIGGERS: dict[str, tuple[Trigger, bool]] = {
    "plain text": (lambda f, u, g, _: f.send_text(u, g, "what plant is this?"), False),
    "bare command": (lambda f, u, g, _: f.send_command(u, g, "identify"), True),
    "command to the bot": (
        lambda f, u, g, _: f.send_command(u, g, "identify", mention_bot=True),
        True,
    ),
    "command to another bot": (
        lambda f, u, g, _: f.send_command(u, g, "identify", addressed_to="other_bot"),
        False,
    ),
    "command not at the start": (lambda f, u, g, _: f.send_text(u, g, "see /identify"), False),
    "mention": (lambda f, u, g, _: f.send_mention(u, g, "what plant is this?"), True),
    "mention mid-text": (lambda f, u, g, _: f.send_text(u, g, "hey @plantbot_test look"), True),
    "mention of someone else": (lambda f, u, g, _: f.send_text(u, g, "hey @someone_else"), False),
    "reply to the bot": (lambda f, u, g, b: f.send_text(u, g, "and this?", reply_to=b), True),
    "reply to a person": (lambda f, u, g, b: f.send_text(u, g, "nice", reply_to=b - 1), False),
    "bare photo": (lambda f, u, g, _: f.send_photo(u, g, image_bytes(200, 100)), False),
    "photo captioned with a command": (
        lambda f, u, g, _: f.send_photo(u, g, image_bytes(200, 100), caption="/identify"),
        True,
    ),
    "photo captioned with a mention": (
        lambda f, u, g, _: f.send_photo(u, g, image_bytes(200, 100), caption="@plantbot_test ?"),
        True,
    ),
    "photo replying to the bot": (
        lambda f, u, g, b: f.send_photo(u, g, image_bytes(200, 100), reply_to=b),
        True,
    ),
    "document captioned with a mention": (
        lambda f, u, g, _: f.send_document(u, g, b"%PDF", caption="@plantbot_test what?"),
        True,
    ),
    "bare document": (lambda f, u, g, _: f.send_document(u, g, b"%PDF"), False),
    "location": (lambda f, u, g, _: f.send_location(u, g, 52.5, 13.4), False),
}


async def bot_message_in(bot: Bot, fake: FakeTelegram, alice: FakeUser, group: FakeChat) -> int:
    """Return the id of a bot message that follows one of Alice's (for the reply triggers)."""
    fake.send_text(alice, group, "hello everyone")
    return (await bot.send_message(group.id, "Hi, I identify plants.")).message_id


@pytest.mark.parametrize("trigger", list(TRIGGERS))
@pytest.mark.parametrize("mode", ["privacy on", "privacy off", "privacy on, bot admin"])
async def test_group_delivery_follows_privacy_mode(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, trigger: str, mode: str
) -> None:
    fake.privacy_mode = mode != "privacy off"
    group = fake.group()
    if mode.endswith("bot admin"):
        fake.set_bot_admin(group)
    bot_message = await bot_message_in(bot, fake, alice, group)
    act, seen_in_privacy_mode = TRIGGERS[trigger]
    sent: list[dict[str, Any]] = []
    updates = await updates_after(
        bot, fake, lambda: sent.append(act(fake, alice, group, bot_message))
    )
    expected = seen_in_privacy_mode or mode != "privacy on"
    delivered = [u.message.message_id for u in updates if u.message]
    assert delivered == ([sent[0]["message_id"]] if expected else [])
    assert fake.messages(group)[-1].message_id == sent[0]["message_id"]


async def test_get_me_reports_privacy_mode(bot: Bot, fake: FakeTelegram) -> None:
    assert not (await bot.get_me()).can_read_all_group_messages
    fake.privacy_mode = False
    assert (await bot.get_me()).can_read_all_group_messages


async def test_service_messages_pass_privacy_mode(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    group = fake.group()
    (update,) = await updates_after(bot, fake, lambda: fake.join_group(alice, group))
    assert update.message is not None
    assert [u.id for u in update.message.new_chat_members] == [alice.id]


async def test_member_statuses(bot: Bot, fake: FakeTelegram, alice: FakeUser) -> None:
    owner, admin, banned = fake.user("Olga"), fake.user("Adam"), fake.user("Bert")
    group = fake.group(creator=owner)
    fake.make_admin(group, admin)
    fake.set_member_status(group, banned, "kicked")
    fake.send_text(alice, group, "hi")
    statuses = {
        user.first_name: (await bot.get_chat_member(group.id, user.id)).status
        for user in (owner, admin, alice, banned, fake.user("Nobody"))
    }
    assert statuses == {
        "Olga": "creator",
        "Adam": "administrator",
        "Alice": "member",
        "Bert": "kicked",
        "Nobody": "left",
    }
    assert (await bot.get_chat_member(group.id, fake.bot_id)).status == "member"
    fake.set_bot_admin(group)
    assert (await bot.get_chat_member(group.id, fake.bot_id)).status == "administrator"
    admins = await bot.get_chat_administrators(group.id)
    assert {m.user.id for m in admins} == {owner.id, admin.id, fake.bot_id}
    with pytest.raises(ValueError, match="status must be one of"):
        fake.set_member_status(group, alice, "restricted")
    with pytest.raises(ValueError, match="banned"):
        fake.send_text(banned, group, "let me in")


async def test_bot_added_and_removed_gets_my_chat_member(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    group = fake.group(supergroup=False, with_bot=False)
    with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
        await bot.send_message(group.id, "hello?")
    added = await updates_after(bot, fake, lambda: fake.add_bot_to_group(group, alice))
    assert [u.my_chat_member is not None for u in added] == [True, False]
    change = added[0].my_chat_member
    assert change is not None
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("left", "member")
    assert change.from_user.id == alice.id
    assert change.chat.id == group.id
    joined = added[1].message
    assert joined is not None
    assert [u.id for u in joined.new_chat_members] == [fake.bot_id]
    await bot.send_message(group.id, "Hello! Reply /identify to a photo.")

    removed = await updates_after(bot, fake, lambda: fake.remove_bot_from_group(group, alice))
    assert [u.my_chat_member.new_chat_member.status for u in removed if u.my_chat_member] == [
        "kicked"
    ]
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "still here?")
    assert await updates_after(bot, fake, lambda: fake.send_command(alice, group, "help")) == []


async def test_kicked_from_a_supergroup_uses_telegrams_text(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    group = fake.group()
    fake.remove_bot_from_group(group, alice)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_photo(group.id, image_bytes(100, 100))
    assert fake.member_status(group, fake.bot_id) == "kicked"


async def test_my_chat_member_follows_allowed_updates(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    group = fake.group(with_bot=False)
    await bot.get_updates(allowed_updates=["message"])
    fake.add_bot_to_group(group, alice)
    assert [u.message is not None for u in await bot.get_updates()] == [True]
    await bot.get_updates(offset=-1, allowed_updates=[])
    await bot.get_updates(offset=(await bot.get_updates())[-1].update_id + 1)
    fake.set_bot_admin(group, by=alice)
    (promoted,) = await bot.get_updates()
    assert promoted.my_chat_member is not None
    assert promoted.my_chat_member.new_chat_member.status == "administrator"


async def test_migration_to_a_supergroup(bot: Bot, fake: FakeTelegram, alice: FakeUser) -> None:
    group = fake.group("Balcony garden", supergroup=False)
    asked = fake.send_command(alice, group, "identify")
    answer = await bot.send_message(
        group.id, "Send me a photo", reply_to_message_id=asked["message_id"]
    )
    updates: list[Update] = []
    supergroups: list[FakeChat] = []

    def migrate() -> None:
        supergroups.append(fake.migrate_to_supergroup(group, by=alice))

    updates = await updates_after(bot, fake, migrate)
    (supergroup,) = supergroups
    assert supergroup.type == "supergroup"
    assert supergroup.title == "Balcony garden"
    old_notice, new_notice = (u.message for u in updates)
    assert old_notice is not None
    assert new_notice is not None
    assert (old_notice.chat.id, old_notice.migrate_to_chat_id) == (group.id, supergroup.id)
    assert (new_notice.chat.id, new_notice.migrate_from_chat_id) == (supergroup.id, group.id)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group.id, "are you there?")
    assert caught.value.new_chat_id == supergroup.id
    with pytest.raises(ChatMigrated):
        await bot.edit_message_text("edited", group.id, answer.message_id)
    moved = await bot.send_message(supergroup.id, "Here now")
    assert moved.chat.id == supergroup.id
    assert [m.text for m in fake.messages(group)] == ["/identify", "Send me a photo"]
    assert [m.text for m in fake.messages(supergroup)] == ["Here now"]
    with pytest.raises(ValueError, match="became supergroup"):
        fake.send_text(alice, group, "hello?")
    with pytest.raises(ValueError, match="only basic groups"):
        fake.migrate_to_supergroup(supergroup)


async def test_anonymous_admin_and_channel_posts(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    fake.privacy_mode = False
    group = fake.group()
    news = fake.channel("Plant news", username="plantnews")
    fake.make_admin(group, alice)

    def post() -> None:
        fake.send_photo(alice, group, image_bytes(300, 200), sender_chat=group)
        fake.send_text(alice, group, "from the channel", sender_chat=news)

    anonymous, from_channel = (u.message for u in await updates_after(bot, fake, post))
    assert anonymous is not None
    assert from_channel is not None
    assert anonymous.sender_chat is not None
    assert anonymous.sender_chat.id == group.id
    assert anonymous.from_user is not None
    assert (anonymous.from_user.id, anonymous.from_user.username) == (
        1087968824,
        "GroupAnonymousBot",
    )
    assert from_channel.sender_chat is not None
    assert (from_channel.sender_chat.type, from_channel.sender_chat.username) == (
        "channel",
        "plantnews",
    )
    assert from_channel.from_user is not None
    assert from_channel.from_user.id == 136817688
    assert fake.messages(group)[0].sender_chat_id == group.id
    with pytest.raises(ValueError, match="only administrators"):
        fake.send_text(fake.user("Bob"), group, "sneaky", sender_chat=group)


async def test_commands_in_a_topic_of_a_private_forum_still_follow_privacy(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    group = fake.group(forum=True)
    ferns = fake.topic(group, "Ferns")

    def talk() -> None:
        fake.send_text(alice, group, "pretty", thread_id=ferns)
        fake.send_command(alice, group, "identify", thread_id=ferns)

    (update,) = await updates_after(bot, fake, talk)
    assert update.message is not None
    assert (update.message.text, update.message.message_thread_id) == ("/identify", ferns)


async def test_blocked_user_and_unblock(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    fake.user_blocks_bot(alice)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_photo(alice_chat.id, image_bytes(100, 100))
    fake.user_unblocks_bot(alice)
    assert (await bot.send_message(alice_chat.id, "welcome back")).text == "welcome back"


async def test_document_albums_in_groups_follow_the_caption(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    group = fake.group()
    files = [DocumentFile(image_bytes(300, 200), f"leaf{i}.jpg") for i in range(2)]

    def send() -> None:
        fake.send_album(alice, group, files, caption="@plantbot_test which plant?")

    # In privacy mode only the captioned part mentions the bot, as on Telegram.
    (update,) = await updates_after(bot, fake, send)
    assert update.message is not None
    assert update.message.document is not None
    assert update.message.media_group_id is not None


async def test_bad_request_for_unknown_group(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat_member(-100123, 1)
