"""A person sends a plant photo and gets suggestions with confirm buttons, over real protocols."""

from __future__ import annotations

import base64
import json

from sandbox.plantid import Emulator, ScriptedOutcome
from sandbox.telegram import ChatMessage, FakeChat, FakeTelegram
from tests.flow.chat import results
from tests.flow.conftest import RunBot
from tests.flow.images import leaf_photo, solid_photo

DANDELION_FIRST = ScriptedOutcome(
    suggestions=[
        ("Taraxacum officinale", 0.86),
        ("Bellis perennis", 0.08),
        ("Quercus", 0.03),
        ("Urtica dioica", 0.01),
    ],
    is_plant_probability=0.98,
)


def bot_messages(telegram: FakeTelegram, chat: FakeChat) -> list[ChatMessage]:
    return telegram.bot_messages(chat)


async def wait_for_enqueues(telegram: FakeTelegram, plantid: Emulator, count: int = 1) -> None:
    # The journal records a request before it is processed; wait for the identification.
    await telegram.wait_for(lambda: len(plantid.identifications) >= count)


async def test_photo_gets_a_status_that_becomes_the_result_with_buttons(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice", language_code="en")
    chat = telegram.private_chat(alice)
    plantid.script_next(DANDELION_FIRST)
    async with run_bot():
        photo = telegram.send_photo(alice, chat, leaf_photo(1))
        await telegram.wait_for(lambda: len(bot_messages(telegram, chat)) == 1)
        status = bot_messages(telegram, chat)[0]
        assert status.visible_text == "🔎 Looking at your plant…"
        assert status.reply_to == photo["message_id"]
        assert not telegram.calls_to("sendChatAction"), "the status message says it already"

        await wait_for_enqueues(telegram, plantid)
        enqueue = plantid.requests_to("enqueue_identification")[0]
        assert enqueue.json is not None
        assert enqueue.json["custom_id"] == 1
        image = base64.b64decode(enqueue.json["images"][0])
        assert image.startswith(b"\xff\xd8")  # the photo, re-encoded as JPEG

        plantid.complete_all()
        await telegram.wait_for(lambda: bool(results(telegram, chat)))

    messages = bot_messages(telegram, chat)
    assert len(messages) == 1, "the status message is edited, not followed by another"
    result = messages[0]
    assert result.message_id == status.message_id
    assert result.visible_text.startswith("🌿 This looks like:")
    assert "1. Common dandelion (Taraxacum officinale), 86%" in result.visible_text
    assert "2. Common daisy (Bellis perennis), 8%" in result.visible_text
    assert "3. Oak (Quercus), 3%" in result.visible_text, "a genus-level suggestion is shown too"
    assert "Urtica dioica" not in result.visible_text, "only the top three are shown"
    assert "yellow flower heads" in result.visible_text, "the best match is described"
    assert "CC BY-SA" in result.visible_text
    assert "https://en.wikipedia.org/wiki/Taraxacum_officinale" in (result.html or "")
    assert result.buttons[0][0].text == "✅ Common dandelion"
    assert len(result.buttons) == 3
    polls = plantid.requests_to("get_identification_result_multiple")
    assert polls, "the finished identification is polled with its details"
    assert polls[-1].json is not None
    assert polls[-1].json["plant_language"] == "en"
    assert "common_names" in polls[-1].json["plant_details"]
    assert not plantid.requests_to("get_identification_result"), "no second call for details"


async def test_german_speaker_gets_german_messages_and_plant_names(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    bernd = telegram.user("Bernd", language_code="de-AT")
    chat = telegram.private_chat(bernd)
    plantid.script_next(DANDELION_FIRST)
    async with run_bot():
        telegram.send_photo(bernd, chat, leaf_photo(2))
        await telegram.wait_for(lambda: len(bot_messages(telegram, chat)) == 1)
        assert bot_messages(telegram, chat)[0].visible_text == "🔎 Ich sehe mir deine Pflanze an…"
        await wait_for_enqueues(telegram, plantid)
        plantid.complete_all()
        await telegram.wait_for(lambda: bool(results(telegram, chat)))
    result = results(telegram, chat)[-1]
    assert result.visible_text.startswith("🌿 Das sieht aus wie:")
    assert "Gewöhnlicher Löwenzahn (Taraxacum officinale), 86%" in result.visible_text
    assert result.buttons[0][0].text == "✅ Gewöhnlicher Löwenzahn"
    details = plantid.requests_to("get_identification_result_multiple")[-1]
    assert details.json is not None
    assert details.json["plant_language"] == "de"


async def test_unsupported_language_falls_back_to_english(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    user = telegram.user("Kenji", language_code="ja")
    chat = telegram.private_chat(user)
    async with run_bot():
        telegram.send_photo(user, chat, leaf_photo(3))
        await telegram.wait_for(lambda: len(bot_messages(telegram, chat)) == 1)
        assert bot_messages(telegram, chat)[0].visible_text == "🔎 Looking at your plant…"
        await wait_for_enqueues(telegram, plantid)
        plantid.complete_all()
        await telegram.wait_for(lambda: bool(results(telegram, chat)))
    details = plantid.requests_to("get_identification_result_multiple")[-1]
    assert details.json is not None
    assert details.json["plant_language"] == "en"


async def test_something_that_is_not_a_plant_is_told_so(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    async with run_bot():
        telegram.send_photo(alice, chat, solid_photo((200, 20, 30)))
        await wait_for_enqueues(telegram, plantid)
        plantid.complete_all()
        await telegram.wait_for(
            lambda: "look like a plant" in bot_messages(telegram, chat)[-1].visible_text
        )
    message = bot_messages(telegram, chat)[-1]
    assert "This doesn't look like a plant" in message.visible_text
    assert "%" in message.visible_text
    assert message.buttons == []


async def test_an_unsure_result_says_so_and_keeps_the_others_visible(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    alice = telegram.user("Alice")
    chat = telegram.private_chat(alice)
    plantid.script_next(
        ScriptedOutcome(
            suggestions=[
                ("Mentha spicata", 0.21),
                ("Salvia rosmarinus", 0.19),
                ("Ocimum basilicum", 0.15),
            ],
            is_plant_probability=0.9,
        )
    )
    async with run_bot():
        telegram.send_photo(alice, chat, leaf_photo(4))
        await wait_for_enqueues(telegram, plantid)
        plantid.complete_all()
        await telegram.wait_for(lambda: bool(results(telegram, chat)))
    result = results(telegram, chat)[-1]
    assert result.visible_text.startswith("🤔 I'm not sure.")
    for name in ("Mentha spicata", "Salvia rosmarinus", "Ocimum basilicum"):
        assert name in result.visible_text
    assert len(result.buttons) == 3


async def test_start_and_help_explain_what_to_do(telegram: FakeTelegram, run_bot: RunBot) -> None:
    olga = telegram.user("Olga", language_code="ru")
    chat = telegram.private_chat(olga)
    async with run_bot():
        telegram.send_command(olga, chat, "/start")
        await telegram.wait_for(lambda: len(bot_messages(telegram, chat)) == 1)
        telegram.send_command(olga, chat, "/help")
        await telegram.wait_for(lambda: len(bot_messages(telegram, chat)) == 2)
        telegram.send_text(olga, chat, "что это?")
        await telegram.wait_for(lambda: len(bot_messages(telegram, chat)) == 3)
    start, help_text, hint = (message.visible_text for message in bot_messages(telegram, chat))
    menus = {
        call.params.get("language_code"): json.loads(call.params["commands"])
        for call in telegram.calls_to("setMyCommands")
    }
    assert set(menus) >= {None, "de", "ru"}
    assert [command["command"] for command in menus["ru"]] == ["start", "help"]
    assert menus["ru"][1]["description"] == "Как это работает"
    assert start.startswith("🌿 Привет, Olga!")
    assert "Пришли мне фото растения" in start
    assert "Как это работает" in help_text
    assert "фото растения" in hint
