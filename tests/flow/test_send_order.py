"""While the send limit holds back a pile of edits, new photos and commands are answered first."""

from __future__ import annotations

from bot.metrics import CountingRateLimiter
from sandbox.plantid import Emulator
from sandbox.telegram import FakeChat, FakeTelegram
from sandbox.telegram.model import ApiCall
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo

# More people than the limiter's burst of 60 calls, so their notices queue in the rate limiter.
WAITING_PEOPLE = 130
# Seconds before "taking longer" is due: after every status reply has left.
SLOW_NOTICE_AFTER = 3.0


def sent_to(call: ApiCall, chats: list[FakeChat]) -> bool:
    return int(call.params["chat_id"]) in {chat.id for chat in chats}


async def test_new_photos_and_commands_are_answered_before_the_queued_edits_of_earlier_ones(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    waiting = [telegram.user(f"Waiting {n}", language_code="en") for n in range(WAITING_PEOPLE)]
    waiting_chats = [telegram.private_chat(person) for person in waiting]
    late = [telegram.user(f"Late {n}", language_code="en") for n in range(3)]
    late_chats = [telegram.private_chat(person) for person in late]
    asker = telegram.user("Asker", language_code="en")
    asker_chat = telegram.private_chat(asker)

    def edits() -> list[ApiCall]:
        return [
            call
            for call in telegram.calls_to("editMessageText")
            if sent_to(call, waiting_chats) and "taking longer" in call.params["text"]
        ]

    async with run_bot(slow_notice_after=SLOW_NOTICE_AFTER) as application:
        limiter = application.bot.rate_limiter
        assert isinstance(limiter, CountingRateLimiter)
        for n, (person, chat) in enumerate(zip(waiting, waiting_chats, strict=True)):
            telegram.send_photo(person, chat, leaf_photo(n))
        await telegram.wait_for(lambda: len(plantid.identifications) == WAITING_PEOPLE, 60.0)

        # Plant.id takes its time with all of them: each status becomes "taking longer" at once.
        await telegram.wait_for(lambda: limiter.waiting >= 30, 60.0)
        edits_before = len(edits())
        for n, (person, chat) in enumerate(zip(late, late_chats, strict=True)):
            telegram.send_photo(person, chat, leaf_photo(1000 + n))
        telegram.send_command(asker, asker_chat, "help")
        await telegram.wait_for(lambda: len(edits()) == WAITING_PEOPLE, 60.0)
        await telegram.wait_for(lambda: len(plantid.identifications) == WAITING_PEOPLE + 3)

    calls = telegram.calls
    statuses = [
        index
        for index, call in enumerate(calls)
        if call.method == "sendMessage" and sent_to(call, late_chats)
    ]
    assert len(statuses) == 3, "each late photo got one status reply"
    assert not telegram.calls_to("sendChatAction"), "the status message says it already"
    for chat in late_chats:
        assert telegram.bot_messages(chat)[0].visible_text == "🔎 Looking at your plant…"
    (help_reply,) = [
        index
        for index, call in enumerate(calls)
        if call.method == "sendMessage" and sent_to(call, [asker_chat])
    ]
    edits_after = [
        index
        for index, call in enumerate(calls)
        if index > max(*statuses, help_reply) and call.method == "editMessageText"
        if sent_to(call, waiting_chats)
    ]
    queued = WAITING_PEOPLE - edits_before
    # The edits already waiting when the late photos and /help came would all go first without
    # priority; here only those sent while the bot takes them in do (30 a second pass meanwhile).
    assert len(edits_after) >= queued // 2, (edits_before, len(edits_after), telegram.describe())
