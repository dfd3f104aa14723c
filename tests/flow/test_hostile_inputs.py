"""Hostile inputs and slow neighbours against the real bot: everyone gets an honest answer."""

from __future__ import annotations

import io
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from sandbox.plantid import Catalogue, Emulator, ScriptedOutcome
from sandbox.telegram import ChatMessage, FakeChat, FakeTelegram, FakeUser
from tests.flow.chat import bot_texts, results
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo

GARBLED = "😕 Plant.id sent an answer I couldn't read. Please try again with another photo."
DOWNLOAD_FAILED = "📥 I couldn't download the photo. Please send it again."
CONFIRM_PREFIX = "c1:"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def emoji_catalogue(base: Catalogue, count: int) -> tuple[Catalogue, list[str]]:
    """Add `count` species whose common names and descriptions are long runs of emoji."""
    rose = base.taxon("Rosa canina")
    names = [f"Emojia {word}" for word in ("alba", "bella", "cara", "dulcis", "ecca", "fera")]
    names += [f"Emojia {word}" for word in ("gaia", "hirta", "ima", "jucunda")]
    taxa = tuple(
        replace(
            rose,
            name=name,
            taxonomy=(*rose.taxonomy[:5], "Emojia"),
            # Every emoji is two UTF-16 units but one code point: the count Telegram keeps.
            common_names={"en": (f"{'🌸🌼🌺 ' * 80}{index}",)},
            description="🌿 " * 1500,
            wiki_title=name.replace(" ", "_"),
        )
        for index, name in enumerate(names[:count])
    )
    return Catalogue(base.taxa + taxa, base.conditions), names[:count]


def confirm_rows(message: ChatMessage) -> list[str]:
    return [
        row[0].text
        for row in message.buttons
        if (row[0].callback_data or "").startswith(CONFIRM_PREFIX)
        and not (row[0].callback_data or "").endswith(":n")
    ]


async def shown_result(
    telegram: FakeTelegram, plantid: Emulator, user: FakeUser, chat: FakeChat, seed: int
) -> ChatMessage:
    """Send a photo, let Plant.id finish it, and return the result as the person sees it."""
    before = len(plantid.requests_to("enqueue_identification"))
    telegram.send_photo(user, chat, leaf_photo(seed))
    await telegram.wait_for(
        lambda: (
            len(plantid.requests_to("enqueue_identification")) > before and bool(plantid.pending())
        )
    )
    plantid.complete_all()
    await telegram.wait_for(lambda: len(results(telegram, chat)) == 1)
    return results(telegram, chat)[0]


async def press(
    telegram: FakeTelegram, user: FakeUser, chat: FakeChat, message: ChatMessage, index: int
) -> None:
    data = message.buttons[index][0].callback_data
    assert data is not None
    telegram.press_button(user, message.message_id, chat, data)


# --- case 4: Telegram counts UTF-16 units ---------------------------------------------------------


async def test_eight_emoji_names_are_shortened_to_what_telegram_accepts(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    plantid.catalogue, names = emoji_catalogue(plantid.catalogue, 8)
    plantid.script_next(
        ScriptedOutcome(
            suggestions=[(name, 0.5 - 0.05 * n) for n, name in enumerate(names)],
            is_plant_probability=0.97,
        )
    )
    full = sum(utf16_len(plantid.catalogue.taxon(n).common_names["en"][0]) for n in names)
    assert full > 4096, "the names alone exceed one message"
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot(suggestions_shown=8):
        result = await shown_result(telegram, plantid, alice, chat, seed=61)
        assert utf16_len(result.visible_text) <= 4096
        assert result.visible_text.count("🌸🌼🌺") >= 8, "every suggestion is named"
        assert len(confirm_rows(result)) == 8

        await press(telegram, alice, chat, result, 0)
        await telegram.wait_for(lambda: len(telegram.callback_answers()) == 1)
        await telegram.wait_for(lambda: "Confirmed" in confirm_rows(results(telegram, chat)[0])[0])
    (answer,) = telegram.callback_answers()
    assert answer.text is not None
    assert answer.text.startswith("Thanks! Marked as 🌸🌼🌺")
    assert utf16_len(answer.text) <= 200
    assert len(plantid.requests_to("confirm_suggestion")) == 1
    assert all(call.params.get("text") for call in telegram.calls_to("answerCallbackQuery"))


# --- case 5: garbage for one identification fails only that one ----------------------------------


def _on_suggestions(change: Any) -> Any:
    """Return an edit that applies `change` to every suggestion of a finished answer."""

    def edit(answer: dict[str, Any]) -> dict[str, Any]:
        for suggestion in answer.get("suggestions") or ():
            change(suggestion)
        return answer

    return edit


def _set(key: str, value: Any) -> Any:
    def change(suggestion: dict[str, Any]) -> None:
        suggestion[key] = value

    return change


def has_identifications(plantid: Emulator, count: int) -> Callable[[], bool]:
    return lambda: len(plantid.identifications) == count


def _modifiers_null(answer: dict[str, Any]) -> dict[str, Any]:
    answer["modifiers"] = None
    return answer


def _suggestions_not_a_list(answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("suggestions"):
        answer["suggestions"] = "many plants"
    return answer


async def test_garbage_in_a_batch_fails_only_its_own_identification(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    edits = {
        "healthy": None,
        "nan": _on_suggestions(_set("probability", math.nan)),
        "negative": _on_suggestions(_set("probability", -0.4)),
        "modifiers null": _modifiers_null,
        "lone surrogate": _on_suggestions(_set("plant_name", "Rosa \ud800canina")),
        "not a list": _suggestions_not_a_list,
    }
    people = {what: telegram.user(f"P{n}") for n, what in enumerate(edits)}
    chats = {what: telegram.private_chat(person) for what, person in people.items()}
    async with run_bot(max_attempts=3):
        for sent, what in enumerate(edits, start=1):
            telegram.send_photo(people[what], chats[what], leaf_photo(69 + sent))
            await telegram.wait_for(has_identifications(plantid, sent))
        # Identifications are numbered in creation order, the order the photos were sent.
        for ident_id, edit in zip(sorted(plantid.identifications), edits.values(), strict=True):
            if edit is not None:
                plantid.garble(ident_id, edit)
        plantid.complete_all()

        def answered(chat: FakeChat) -> bool:
            return bool(results(telegram, chat)) or GARBLED in bot_texts(telegram, chat)

        await telegram.wait_for(lambda: all(answered(chat) for chat in chats.values()), 30)
    told = {what: bot_texts(telegram, chat) for what, chat in chats.items()}
    assert told["lone surrogate"] == [GARBLED]
    assert told["not a list"] == [GARBLED]
    for what in ("healthy", "nan", "negative", "modifiers null"):
        (result,) = results(telegram, chats[what])
        assert "Is one of these right?" in result.visible_text, what
    for what in ("nan", "negative"):
        text = results(telegram, chats[what])[0].visible_text
        assert "nan" not in text.lower()
        assert re.findall(r"[-−]\d+\s?%", text) == [], text
        assert re.search(r"\b0\s?%", text), "the clamped probability is shown as 0 %"
    # The items went to Plant.id together: one bad item did not reject the others.
    batches = [set(entry.json["ids"]) for entry in plantid.requests_to(MULTIPLE) if entry.json]
    assert any(len(batch) > 1 for batch in batches)


MULTIPLE = "get_identification_result_multiple"


async def test_a_details_call_that_never_answers_json_ends_with_could_not_read(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)

    def without_details(answer: dict[str, Any]) -> dict[str, Any]:
        for suggestion in answer.get("suggestions") or ():
            suggestion.pop("plant_details", None)
        return answer

    async with run_bot(max_attempts=3):
        telegram.send_photo(alice, chat, leaf_photo(80))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1)
        (ident_id,) = plantid.identifications
        plantid.garble(ident_id, without_details)
        # Plant.id answers 200 with a body that is no JSON, every time.
        plantid.inject_fault("get_identification_result", "error", count=100, status=200)
        plantid.complete_all()
        await telegram.wait_for(lambda: GARBLED in bot_texts(telegram, chat), 30)
    assert bot_texts(telegram, chat) == [GARBLED]
    assert 1 <= len(plantid.requests_to("get_identification_result")) <= 3


# --- case 6: photos that can't be had -----------------------------------------------------------


async def test_a_photo_whose_download_answers_404_is_asked_for_again(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    telegram.expire_downloads()
    async with run_bot(max_attempts=3):
        telegram.send_photo(alice, chat, leaf_photo(81))
        await telegram.wait_for(lambda: DOWNLOAD_FAILED in bot_texts(telegram, chat), 30)
    assert bot_texts(telegram, chat) == [DOWNLOAD_FAILED]
    assert 1 < len(telegram.calls_to("getFile")) <= 3, "a few tries, not one and not forever"
    assert plantid.requests_to("enqueue_identification") == []


def huge_png(side: int) -> bytes:
    output = io.BytesIO()
    # One bit per pixel and all black: the file stays small, the picture is 400 megapixels.
    Image.new("1", (side, side)).save(output, format="PNG")
    return output.getvalue()


async def test_a_20000_by_20000_image_is_too_large_not_the_wrong_format(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_document(
            alice, chat, huge_png(20_000), file_name="field.png", mime_type="image/png"
        )
        await telegram.wait_for(lambda: "too large" in "".join(bot_texts(telegram, chat)), 30)
    (text,) = bot_texts(telegram, chat)
    assert text.startswith("📦 This image is too large (more than ")
    assert "JPEG" not in text
    assert plantid.requests_to("enqueue_identification") == []


# --- case 7: a stuck identification does not hold up another person's --------------------------


async def test_a_held_submission_does_not_delay_another_persons_result(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    alice_chat, bob_chat = telegram.private_chat(alice), telegram.private_chat(bob)
    plantid.inject_fault("enqueue_identification", "hold", seconds=120)
    async with run_bot(plant_id_timeout=120.0):
        telegram.send_photo(alice, alice_chat, leaf_photo(82))
        await telegram.wait_for(lambda: len(plantid.requests_to("enqueue_identification")) == 1)
        telegram.send_photo(bob, bob_chat, leaf_photo(83))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1, 30)
        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, bob_chat)) == 1, 30)
        assert results(telegram, alice_chat) == [], "Alice's submission is still held"
        plantid.release_held()
        await telegram.wait_for(lambda: len(plantid.identifications) == 2, 30)
        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, alice_chat)) == 1, 30)
    assert len(plantid.requests_to("enqueue_identification")) == 2


# --- case 8: presses ------------------------------------------------------------------------------

TWO = ScriptedOutcome(suggestions=[("Rosa canina", 0.7), ("Rosa", 0.2)], is_plant_probability=0.9)


async def test_a_double_tap_confirms_once(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    plantid.script_next(TWO)
    # A window far longer than the test, so a slow machine can't split the double tap.
    async with run_bot(double_tap_window=600.0):
        result = await shown_result(telegram, plantid, alice, chat, seed=84)
        await press(telegram, alice, chat, result, 0)
        await press(telegram, alice, chat, result, 0)
        await telegram.wait_for(lambda: len(telegram.callback_answers()) == 2)
        await telegram.wait_for(lambda: "Confirmed" in confirm_rows(results(telegram, chat)[0])[0])
    assert len(plantid.requests_to("confirm_suggestion")) == 1
    assert plantid.requests_to("unconfirm_suggestion") == []
    (identification,) = plantid.identifications.values()
    assert [s.confirmed for s in identification.suggestions or []][:2] == [True, False]
    assert confirm_rows(results(telegram, chat)[0])[0] == "☑️ Confirmed: Dog rose"


async def test_a_press_waiting_on_plantid_does_not_hold_up_anothers_press(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice, bob = telegram.user("Alice"), telegram.user("Bob")
    alice_chat, bob_chat = telegram.private_chat(alice), telegram.private_chat(bob)
    async with run_bot(plant_id_timeout=120.0):
        plantid.script_next(TWO)
        alice_result = await shown_result(telegram, plantid, alice, alice_chat, seed=85)
        plantid.script_next(TWO)
        bob_result = await shown_result(telegram, plantid, bob, bob_chat, seed=86)
        plantid.inject_fault("confirm_suggestion", "hold", seconds=120)
        await press(telegram, alice, alice_chat, alice_result, 0)
        await telegram.wait_for(lambda: len(plantid.requests_to("confirm_suggestion")) == 1)
        await press(telegram, bob, bob_chat, bob_result, 0)
        await telegram.wait_for(
            lambda: "Confirmed" in confirm_rows(results(telegram, bob_chat)[0])[0], 30
        )
        assert [a.text for a in telegram.callback_answers()] == ["Thanks! Marked as Dog rose."]
        assert "Confirmed" not in confirm_rows(results(telegram, alice_chat)[0])[0]
        plantid.release_held()
        await telegram.wait_for(
            lambda: "Confirmed" in confirm_rows(results(telegram, alice_chat)[0])[0], 30
        )
    assert len(telegram.callback_answers()) == 2


# --- case 9: a status message that fails still gets the photo worked on -------------------------


@pytest.mark.parametrize("kind", ["429", "500"])
async def test_a_failed_status_message_still_gets_the_photo_identified(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, kind: str
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.fail_next("sendMessage", kind=kind, retry_after=1)
        telegram.send_photo(alice, chat, leaf_photo(87))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1, 30)
        plantid.complete_all()
        await telegram.wait_for(lambda: len(results(telegram, chat)) == 1, 30)
    assert len(telegram.bot_messages(chat)) == 1
    assert len(plantid.requests_to("enqueue_identification")) == 1


# --- case 3: an answer Telegram refuses for good ends, once --------------------------------------


def states(database_path: Path) -> list[str]:
    with sqlite3.connect(database_path) as connection:
        return [row[0] for row in connection.execute("SELECT state FROM identifications")]


async def test_a_result_telegram_refuses_for_good_is_tried_once_and_logged_once(
    telegram: FakeTelegram,
    plantid: Emulator,
    run_bot: RunBot,
    database_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(89))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1, 30)
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 1)
        telegram.fail_next("editMessageText", kind="400")
        plantid.complete_all()
        # Failed, with nobody left to tell: a final state, not a retry.
        await telegram.wait_for(lambda: states(database_path) == ["failed"], 30)
    assert results(telegram, chat) == []
    assert len(telegram.calls_to("editMessageText")) == 1, "a 400 is not tried again"
    assert len(telegram.calls_to("sendMessage")) == 1, "only the status message was sent"
    refused = [r for r in caplog.records if "Telegram refused the answer" in r.getMessage()]
    assert len(refused) == 1
    assert "chat not found" in refused[0].getMessage().lower()


async def test_a_result_for_a_person_who_blocked_the_bot_ends_without_endless_retries(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, database_path: Path
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot(max_attempts=3):
        telegram.send_photo(alice, chat, leaf_photo(88))
        await telegram.wait_for(lambda: len(plantid.identifications) == 1, 30)
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 1)
        telegram.user_blocks_bot(alice)
        plantid.complete_all()
        await telegram.wait_for(lambda: states(database_path) in (["delivered"], ["failed"]), 30)
    assert results(telegram, chat) == []
    sends = telegram.calls_to("editMessageText") + telegram.calls_to("sendMessage")
    assert len(sends) <= 1 + 3, "the status message, then a bounded number of tries"
