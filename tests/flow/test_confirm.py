"""Confirm buttons: confirm, move, unconfirm; strangers and stale buttons change nothing."""

from __future__ import annotations

from pathlib import Path

from sandbox.plantid import Emulator, ScriptedOutcome
from sandbox.telegram import ChatMessage, FakeChat, FakeTelegram, FakeUser
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo

OUTCOME = ScriptedOutcome(
    suggestions=[("Rosa canina", 0.7), ("Rosa", 0.2), ("Fragaria vesca", 0.05)],
    is_plant_probability=0.95,
)


def result_of(telegram: FakeTelegram, chat: FakeChat) -> ChatMessage:
    return next(message for message in telegram.bot_messages(chat) if message.buttons)


def button_texts(message: ChatMessage) -> list[str]:
    """Return the texts of the suggestions' confirm buttons."""
    return [
        row[0].text
        for row in message.buttons
        if (row[0].callback_data or "").startswith("c1:")
        and not (row[0].callback_data or "").endswith(":n")
    ]


async def identified(
    telegram: FakeTelegram, plantid: Emulator, user: FakeUser, chat: FakeChat
) -> ChatMessage:
    plantid.script_next(OUTCOME)
    telegram.send_photo(user, chat, leaf_photo(7))
    await telegram.wait_for(lambda: len(plantid.identifications) == 1)
    plantid.complete_all()
    await telegram.wait_for(lambda: any(m.buttons for m in telegram.bot_messages(chat)))
    return result_of(telegram, chat)


async def press(
    telegram: FakeTelegram, user: FakeUser, chat: FakeChat, message: ChatMessage, index: int
) -> str:
    answers_before = len(telegram.callback_answers())
    data = message.buttons[index][0].callback_data
    assert data is not None
    telegram.press_button(user, message.message_id, chat, data)
    await telegram.wait_for(lambda: len(telegram.callback_answers()) > answers_before)
    return telegram.callback_answers()[-1].text or ""


def confirmed_flags(plantid: Emulator) -> list[bool]:
    (identification,) = plantid.identifications.values()
    return [suggestion.confirmed for suggestion in identification.suggestions or []]


async def test_confirm_move_and_unconfirm(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    # Pressing the confirmed button again unconfirms it; quicker than a person would.
    async with run_bot(double_tap_window=0.0):
        result = await identified(telegram, plantid, alice, chat)
        assert button_texts(result) == [
            "✅ This is it: Dog rose",
            "✅ This is it: Rose",
            "✅ This is it: Wild strawberry",
        ]

        assert await press(telegram, alice, chat, result, 0) == "Thanks! Marked as Dog rose."
        await telegram.wait_for(lambda: "Confirmed" in button_texts(result_of(telegram, chat))[0])
        assert button_texts(result_of(telegram, chat)) == [
            "☑️ Confirmed: Dog rose",
            "✅ This is it: Rose",
            "✅ This is it: Wild strawberry",
        ]
        assert confirmed_flags(plantid)[:3] == [True, False, False]

        assert await press(telegram, alice, chat, result_of(telegram, chat), 2) == (
            "Thanks! Marked as Wild strawberry."
        )
        await telegram.wait_for(lambda: "Confirmed" in button_texts(result_of(telegram, chat))[2])
        assert button_texts(result_of(telegram, chat))[0] == "✅ This is it: Dog rose"
        assert confirmed_flags(plantid)[:3] == [False, False, True]

        assert await press(telegram, alice, chat, result_of(telegram, chat), 2) == (
            "Confirmation removed."
        )
        await telegram.wait_for(
            lambda: not any("Confirmed" in text for text in button_texts(result_of(telegram, chat)))
        )
        assert confirmed_flags(plantid)[:3] == [False, False, False]
    assert len(plantid.requests_to("confirm_suggestion")) == 2
    assert len(plantid.requests_to("unconfirm_suggestion")) == 1
    # The result text itself never changes; only the keyboard is redrawn.
    assert result_of(telegram, chat).visible_text == result.visible_text


async def test_someone_else_cannot_confirm(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    mallory = telegram.user("Mallory", language_code="de")
    chat = telegram.private_chat(alice)
    async with run_bot():
        result = await identified(telegram, plantid, alice, chat)
        answer = await press(telegram, mallory, chat, result, 0)
    assert answer == "Nur wer das Foto geschickt hat, kann es bestätigen."
    assert telegram.callback_answers()[-1].show_alert is True
    assert plantid.requests_to("confirm_suggestion") == []
    assert button_texts(result_of(telegram, chat)) == button_texts(result)


async def test_buttons_of_an_older_bot_version_get_a_polite_answer(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        result = await identified(telegram, plantid, alice, chat)
        answers = [
            await press_unchecked(telegram, alice, chat, result, data)
            for data in ("c1:999:0", "c1:1:7", "v0:legacy", "c9:1:0")
        ]
    assert answers == ["This button is no longer active."] * 4
    assert plantid.requests_to("confirm_suggestion") == []
    assert button_texts(result_of(telegram, chat)) == button_texts(result)


async def test_buttons_whose_identification_is_gone_get_a_polite_answer(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, tmp_path: Path
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        result = await identified(telegram, plantid, alice, chat)
    # The operator started over with an empty database; old results still show buttons.
    async with run_bot(database_path=tmp_path / "fresh.sqlite3"):
        answer = await press(telegram, alice, chat, result, 0)
    assert answer == "This button is no longer active."
    assert plantid.requests_to("confirm_suggestion") == []


async def press_unchecked(
    telegram: FakeTelegram, user: FakeUser, chat: FakeChat, message: ChatMessage, data: str
) -> str:
    """Press a button whose data is not on the current keyboard (drawn by an older version)."""
    answers_before = len(telegram.callback_answers())
    telegram.press_button(user, message.message_id, chat, data, unchecked=True)
    await telegram.wait_for(lambda: len(telegram.callback_answers()) > answers_before)
    return telegram.callback_answers()[-1].text or ""


async def test_confirming_while_plantid_is_down_changes_nothing(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        result = await identified(telegram, plantid, alice, chat)
        plantid.inject_fault("confirm_suggestion", "error", count=100, status=503)
        answer = await press(telegram, alice, chat, result, 0)
    assert answer == "Plant.id can't be reached right now. Please try again in a minute."
    assert button_texts(result_of(telegram, chat)) == button_texts(result)
    assert confirmed_flags(plantid)[:3] == [False, False, False]
