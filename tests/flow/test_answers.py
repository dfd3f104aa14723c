"""The buttons under a result: compare, more, none of these, show anyway, health."""

from __future__ import annotations

from sandbox.plantid import Emulator, ScriptedOutcome
from sandbox.telegram import ChatMessage, FakeChat, FakeTelegram, FakeUser
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo, solid_photo

DANDELION_FIRST = ScriptedOutcome(
    suggestions=[("Taraxacum officinale", 0.86), ("Bellis perennis", 0.08), ("Quercus", 0.03)],
    is_plant_probability=0.97,
    is_healthy_probability=0.95,
)


def api_calls(plantid: Emulator) -> list[str]:
    """Return the Plant.id API endpoints called so far (reference photo downloads aside)."""
    return [entry.endpoint for entry in plantid.journal if entry.endpoint not in ("media",)]


def result_of(telegram: FakeTelegram, chat: FakeChat) -> ChatMessage:
    return next(message for message in telegram.bot_messages(chat) if message.buttons)


def button(message: ChatMessage, text: str) -> str:
    """Return the callback data of the button labelled `text`."""
    for row in message.buttons:
        for candidate in row:
            if candidate.text == text and candidate.callback_data:
                return candidate.callback_data
    raise AssertionError(f"no button {text!r} in {[[b.text for b in r] for r in message.buttons]}")


async def identified(
    telegram: FakeTelegram,
    plantid: Emulator,
    user: FakeUser,
    chat: FakeChat,
    outcome: ScriptedOutcome = DANDELION_FIRST,
    photo: bytes | None = None,
) -> ChatMessage:
    plantid.script_next(outcome)
    before = len(plantid.identifications)
    telegram.send_photo(user, chat, photo or leaf_photo(21))
    await telegram.wait_for(lambda: len(plantid.identifications) == before + 1)
    plantid.complete_all()
    await telegram.wait_for(lambda: any(m.buttons for m in telegram.bot_messages(chat)))
    return result_of(telegram, chat)


async def press(
    telegram: FakeTelegram, user: FakeUser, chat: FakeChat, message: ChatMessage, data: str
) -> tuple[str, bool]:
    answers_before = len(telegram.callback_answers())
    telegram.press_button(user, message.message_id, chat, data)
    await telegram.wait_for(lambda: len(telegram.callback_answers()) > answers_before)
    answer = telegram.callback_answers()[-1]
    return answer.text or "", answer.show_alert


async def test_compare_and_more_answer_from_the_stored_result(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        result = await identified(telegram, plantid, alice, chat)
        (enqueue,) = plantid.requests_to("enqueue_identification")
        assert {"similar_images", "health_auto"} <= set(enqueue.json["modifiers"])
        assert "Common dandelion (Taraxacum officinale), 86% · family Asteraceae" in (
            result.visible_text
        )
        calls = api_calls(plantid)

        await press(telegram, alice, chat, result, button(result, "📷 Compare"))
        await telegram.wait_for(lambda: sum(m.photo for m in telegram.bot_messages(chat)) == 6)
        photos = [message for message in telegram.bot_messages(chat) if message.photo]
        assert all(message.reply_to == result.message_id for message in photos)
        assert photos[0].visible_text.startswith("Common dandelion — ")
        assert "% similar" in photos[0].visible_text
        assert photos[2].visible_text.startswith("Common daisy — ")

        await press(telegram, alice, chat, result, button(result, "ℹ️ More"))
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].visible_text.startswith("ℹ️ About")
        )
        details = telegram.bot_messages(chat)[-1]
    assert details.visible_text.startswith("ℹ️ About Common dandelion")
    for expected in (
        "Kingdom: Plantae",
        "Family: Asteraceae",
        "Genus: Taraxacum",
        "Also known as: Leontodon taraxacum L., Taraxacum vulgare Schrank",
        "Edible parts: flowers, leaves, roots",
        "Propagation: division, seeds",
        "Watering: moderately moist soil",
        "Name authority: Taraxacum officinale F.H.Wigg.",
    ):
        assert expected in details.visible_text
    assert "https://www.gbif.org/species/5394567" in (details.html or "")
    # Everything came with the one detailed fetch: no Plant.id call for Compare or More.
    assert api_calls(plantid) == calls


async def test_compare_says_so_when_the_photos_cannot_be_fetched(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    bernd = telegram.user("Bernd", language_code="de")
    chat = telegram.private_chat(bernd)
    async with run_bot():
        result = await identified(telegram, plantid, bernd, chat)
        plantid.inject_fault("media", "error", count=100, status=503)
        await press(telegram, bernd, chat, result, button(result, "📷 Vergleichen"))
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 2)
    assert telegram.bot_messages(chat)[-1].visible_text == (
        "Leider konnte ich die Vergleichsfotos gerade nicht abrufen."
    )
    assert not any(message.photo for message in telegram.bot_messages(chat))


async def test_none_of_these_unconfirms_the_earlier_choice(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        result = await identified(telegram, plantid, alice, chat)
        await press(
            telegram, alice, chat, result, button(result, "✅ This is it: Common dandelion")
        )
        await telegram.wait_for(
            lambda: result_of(telegram, chat).buttons[0][0].text.startswith("☑️")
        )
        answer, _ = await press(
            telegram, alice, chat, result_of(telegram, chat), button(result, "❌ None of these")
        )
        await telegram.wait_for(
            lambda: not result_of(telegram, chat).buttons[0][0].text.startswith("☑️")
        )
    assert answer == "Noted: none of these. Thanks, that helps!"
    assert len(plantid.requests_to("confirm_suggestion")) == 1
    assert len(plantid.requests_to("unconfirm_suggestion")) == 1
    (identification,) = plantid.identifications.values()
    assert not any(suggestion.confirmed for suggestion in identification.suggestions or [])


async def test_not_a_plant_can_still_show_its_suggestions(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    outcome = ScriptedOutcome(
        suggestions=[("Taraxacum officinale", 0.5), ("Bellis perennis", 0.3)],
        is_plant_probability=0.03,
    )
    async with run_bot():
        result = await identified(telegram, plantid, alice, chat, outcome, solid_photo())
        assert "only a 3% chance it's a plant" in result.visible_text
        calls = api_calls(plantid)
        await press(telegram, alice, chat, result, button(result, "Show suggestions anyway"))
        await telegram.wait_for(
            lambda: "Common dandelion" in result_of(telegram, chat).visible_text
        )
    shown = result_of(telegram, chat)
    assert shown.message_id == result.message_id
    assert shown.buttons[0][0].text == "✅ This is it: Common dandelion"
    assert api_calls(plantid) == calls


async def test_health_check_runs_for_the_requester_in_their_language(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    bernd = telegram.user("Bernd", language_code="de")
    mallory = telegram.user("Mallory")
    chat = telegram.private_chat(bernd)
    async with run_bot():
        result = await identified(telegram, plantid, bernd, chat)
        health_button = button(result, "🩺 Ist sie gesund?")

        answer, alert = await press(telegram, mallory, chat, result, health_button)
        assert alert is True
        assert answer == "Only the person who asked can run a health check (it costs a credit)."
        assert plantid.requests_to("health_assessment") == []

        plantid.script_next(
            ScriptedOutcome(is_healthy_probability=0.1, diseases=[("water deficiency", 0.8)])
        )
        downloads = len(telegram.downloads)
        answer, _ = await press(telegram, bernd, chat, result, health_button)
        assert answer == "🩺 Ich prüfe, ob die Pflanze gesund ist…"
        # The emulator holds identifications until the test lets them finish.
        await telegram.wait_for(lambda: bool(plantid.pending()))
        plantid.complete_all()
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].visible_text.startswith("🩺 Gesundheitscheck")
        )
    report = telegram.bot_messages(chat)[-1]
    assert "Wassermangel — 80\xa0%" in report.visible_text
    assert report.reply_to == result.message_id
    (request,) = plantid.requests_to("health_assessment")
    assert request.json["language"] == "de"
    assert "treatment" in request.json["disease_details"]
    # The photo was fetched from Telegram again, not kept by the bot.
    assert len(telegram.downloads) == downloads + 1


async def test_an_unhealthy_plant_gets_a_line_and_the_check_costs_nothing_more(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    outcome = ScriptedOutcome(
        suggestions=[("Taraxacum officinale", 0.9)],
        is_plant_probability=0.97,
        is_healthy_probability=0.1,
        diseases=[("water deficiency", 0.7)],
    )
    async with run_bot():
        result = await identified(telegram, plantid, alice, chat, outcome)
        assert "⚠️ Looks unhealthy: probably Water deficiency." in result.visible_text
        await press(telegram, alice, chat, result, button(result, "🩺 Is it healthy?"))
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].visible_text.startswith("🩺 Health check")
        )
    assert "Water deficiency — 70%" in telegram.bot_messages(chat)[-1].visible_text
    # health_auto already paid for the assessment with the identification.
    assert plantid.requests_to("health_assessment") == []


async def test_with_health_check_off_there_is_no_health_button(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot(health_check="off"):
        result = await identified(telegram, plantid, alice, chat)
    (enqueue,) = plantid.requests_to("enqueue_identification")
    assert not any(modifier.startswith("health") for modifier in enqueue.json["modifiers"])
    assert all("🩺" not in b.text for row in result.buttons for b in row)
