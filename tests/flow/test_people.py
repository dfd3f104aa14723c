"""/language, /history and /forget, and the operator's admin chat."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sandbox.plantid import Emulator, ScriptedOutcome
from sandbox.telegram import FakeTelegram
from tests.flow.conftest import API_KEY, RunBot
from tests.flow.images import leaf_photo
from tests.flow.test_answers import button, identified, press

OUTCOME = ScriptedOutcome(
    suggestions=[("Taraxacum officinale", 0.86), ("Bellis perennis", 0.08)],
    is_plant_probability=0.97,
    is_healthy_probability=0.95,
)


def rows(database_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database_path) as connection:
        return list(connection.execute(sql).fetchall())


async def test_chosen_language_wins_and_forget_leaves_nothing_behind(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot, database_path: Path
) -> None:
    olga = telegram.user("Olga", language_code="en")
    chat = telegram.private_chat(olga)
    async with run_bot():
        telegram.send_command(olga, chat, "/language")
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 1)
        menu = telegram.bot_messages(chat)[0]
        assert menu.visible_text == "Choose the language I should speak with you:"
        names = [b.text for row in menu.buttons for b in row]
        assert len(names) == 12
        assert {"Deutsch", "Русский", "Polski", "Українська", "Čeština"} <= set(names)
        answer, _ = await press(telegram, olga, chat, menu, button(menu, "Русский"))
        assert answer == "Хорошо, теперь я говорю с тобой по-русски."

        for seed in (31, 32):
            await identified(telegram, plantid, olga, chat, OUTCOME, leaf_photo(seed))
        await telegram.wait_for(
            lambda: sum("Похоже на" in m.visible_text for m in telegram.bot_messages(chat)) == 2
        )
        result = telegram.bot_messages(chat)[-1]
        assert result.visible_text.startswith("🌿 Похоже на:")
        assert "Одуванчик лекарственный" in result.visible_text

        telegram.send_command(olga, chat, "/history")
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].visible_text.startswith("🗂")
        )
        history = telegram.bot_messages(chat)[-1]
        assert history.visible_text.startswith("🗂 Твои определения")
        assert history.visible_text.count("Одуванчик лекарственный") == 2
        entry = history.buttons[0][0]
        assert entry.callback_data is not None
        telegram.press_button(olga, history.message_id, chat, entry.callback_data)
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].reply_to == result.message_id
        )

        telegram.send_command(olga, chat, "/forget")
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].visible_text.startswith("Это удалит всё")
        )
        question = telegram.bot_messages(chat)[-1]
        await press(telegram, olga, chat, question, button(question, "🗑 Да, удалить всё"))
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].visible_text.startswith("Готово")
        )
        done = telegram.bot_messages(chat)[-1]
    # Russian needs the "few" form for 2.
    assert done.visible_text == (
        "Готово: я удалил 2 определения и всё остальное, что о тебе хранил."
    )
    assert done.message_id == question.message_id
    assert rows(database_path, "SELECT COUNT(*) FROM identifications") == [(0,)]
    assert rows(database_path, "SELECT COUNT(*) FROM identification_photos") == [(0,)]
    assert rows(database_path, "SELECT COUNT(*) FROM person_preferences") == [(0,)]
    deleted = plantid.requests_to("delete_identification")
    assert len(deleted) == 2
    assert all(entry.status == 200 for entry in deleted)
    assert plantid.identifications == {}


async def test_history_pages_and_forget_can_be_cancelled(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    jan = telegram.user("Jan", language_code="pl")
    chat = telegram.private_chat(jan)
    # Eleven photos in a row: more than the hourly per-person limit allows by default.
    async with run_bot(limit_per_person_hour=0):
        telegram.send_command(jan, chat, "/history")
        await telegram.wait_for(lambda: len(telegram.bot_messages(chat)) == 1)
        assert telegram.bot_messages(chat)[0].visible_text.startswith("Nie masz jeszcze")

        for seed in range(40, 51):
            plantid.script_next(OUTCOME)
            telegram.send_photo(jan, chat, leaf_photo(seed))
        await telegram.wait_for(lambda: len(plantid.identifications) == 11)
        plantid.complete_all()
        await telegram.wait_for(
            lambda: sum(bool(m.buttons) for m in telegram.bot_messages(chat)) == 11
        )
        telegram.send_command(jan, chat, "/history")
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].visible_text.startswith("🗂")
        )
        page = telegram.bot_messages(chat)[-1]
        assert len(page.buttons) == 11, "ten entries and the way to older ones"
        await press(telegram, jan, chat, page, button(page, "◀️ Starsze"))
        await telegram.wait_for(lambda: len(telegram.messages(chat)[-1].buttons) == 2)

        telegram.send_command(jan, chat, "/forget")
        await telegram.wait_for(
            lambda: telegram.bot_messages(chat)[-1].visible_text.startswith("To usunie")
        )
        question = telegram.bot_messages(chat)[-1]
        answer, _ = await press(telegram, jan, chat, question, button(question, "Anuluj"))
    assert answer == "Dobrze, nic nie zostało usunięte."
    assert plantid.requests_to("delete_identification") == []
    assert len(plantid.identifications) == 11


async def test_the_admin_chat_hears_once_per_event_and_alone_gets_stats(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    admin = telegram.user("Operator")
    alice = telegram.user("Alice")
    admin_chat, chat = telegram.private_chat(admin), telegram.private_chat(alice)
    plantid.config.api_keys[API_KEY].total_limit = 0
    async with run_bot(admin_chat_id=admin_chat.id, credits_check_interval=3600):
        for seed in (61, 62):
            telegram.send_photo(alice, chat, leaf_photo(seed))
        await telegram.wait_for(
            lambda: sum("credits" in m.visible_text for m in telegram.bot_messages(chat)) == 2
        )
        telegram.send_command(alice, chat, "/stats")
        telegram.send_command(admin, admin_chat, "/stats")
        await telegram.wait_for(
            lambda: any("📊" in m.visible_text for m in telegram.bot_messages(admin_chat))
        )
    notices = [m.visible_text for m in telegram.bot_messages(admin_chat) if "⚠️" in m.visible_text]
    assert notices == [
        "⚠️ Plant.id credits have run out. Identifications fail until credits are added."
    ]
    # With an admin chat configured, the person may be told that the operator knows.
    assert telegram.bot_messages(chat)[-1].visible_text.startswith(
        "😔 I've used up my Plant.id credits"
    )
    stats = telegram.bot_messages(admin_chat)[-1].visible_text
    assert "Today: 2 identifications" in stats
    assert "failed: 2" in stats
    assert "Plant.id credits left: 0" in stats
    assert not any("📊" in m.visible_text for m in telegram.bot_messages(chat))


async def test_low_credits_are_reported_once(
    telegram: FakeTelegram, plantid: Emulator, run_bot: RunBot
) -> None:
    admin = telegram.user("Operator", language_code="de")
    admin_chat = telegram.private_chat(admin)
    plantid.config.api_keys[API_KEY].total_limit = 7
    async with run_bot(
        admin_chat_id=admin_chat.id, credits_check_interval=0.05, credits_warn_below=50
    ):
        # Telegram lets a bot write only to people who started it; until then it keeps trying.
        telegram.send_command(admin, admin_chat, "/start")
        await telegram.wait_for(
            lambda: any("⚠️" in m.visible_text for m in telegram.bot_messages(admin_chat))
        )
        checks = len(plantid.requests_to("usage_info"))
        await telegram.wait_for(lambda: len(plantid.requests_to("usage_info")) >= checks + 3)
    notices = [m.visible_text for m in telegram.bot_messages(admin_chat) if "⚠️" in m.visible_text]
    assert notices == ["⚠️ Only 7 Plant.id credits left."]
