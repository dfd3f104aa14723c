"""The group trigger rules, one fact at a time."""

from __future__ import annotations

import dataclasses

import pytest

from bot.i18n import Translator
from bot.triggers import Ask, MessageFacts, asks_what_plant, command_of, decide, split_phrases

BOT = "plantbot_test"
PHRASES = split_phrases(
    Translator.from_package()(language, "what_plant_phrases")
    for language in Translator.from_package().languages
)
TEXT = MessageFacts(
    private=False,
    text="",
    has_image=False,
    looks_like_image=False,
    in_album=False,
    replied_has_image=False,
    replied_to_bot=False,
)
PHOTO = dataclasses.replace(TEXT, has_image=True, looks_like_image=True)


def ask(facts: MessageFacts, *, autoidentify: bool = False) -> Ask:
    return decide(facts, bot_username=BOT, phrases=PHRASES, autoidentify=autoidentify)


@pytest.mark.parametrize(
    "text",
    [
        "What plant is this?",
        "what PLANT is this 🌿🌿",
        "hey, what's this plant?!",
        "Что это за растение?",
        "Welche Pflanze ist das?",
        "¿Qué planta es esta?",
        "Quelle est cette plante ?",
    ],
)
def test_questions_in_any_language_are_recognised(text: str) -> None:
    assert asks_what_plant(text, PHRASES)


@pytest.mark.parametrize("text", ["nice plant!", "this plant is what I wanted", ""])
def test_other_texts_are_not_questions(text: str) -> None:
    assert not asks_what_plant(text, PHRASES)


def test_commands_for_other_bots_are_not_ours() -> None:
    assert command_of("/identify", BOT) == "identify"
    assert command_of("/identify@PlantBot_Test now", BOT) == "identify"
    assert command_of("/identify@other_bot", BOT) is None
    assert command_of("identify", BOT) is None


def test_photo_triggers() -> None:
    assert ask(PHOTO) is Ask.NOTHING
    assert ask(dataclasses.replace(PHOTO, private=True)) is Ask.THIS
    assert ask(dataclasses.replace(PHOTO, text="/identify")) is Ask.THIS
    assert ask(dataclasses.replace(PHOTO, text=f"look @{BOT}")) is Ask.THIS
    assert ask(dataclasses.replace(PHOTO, replied_to_bot=True)) is Ask.THIS
    assert ask(PHOTO, autoidentify=True) is Ask.THIS
    assert ask(dataclasses.replace(PHOTO, in_album=True)) is Ask.ALBUM_PART
    pdf = dataclasses.replace(PHOTO, looks_like_image=False)
    assert ask(pdf, autoidentify=True) is Ask.NOTHING, "autoidentify skips files that aren't images"


def test_text_triggers() -> None:
    replying = dataclasses.replace(TEXT, replied_has_image=True)
    assert ask(dataclasses.replace(replying, text="/identify")) is Ask.REPLIED
    assert ask(dataclasses.replace(TEXT, text="/identify")) is Ask.NEEDS_PHOTO
    assert ask(dataclasses.replace(replying, text=f"@{BOT} ?")) is Ask.REPLIED
    assert ask(dataclasses.replace(TEXT, text=f"@{BOT} what plant is this")) is Ask.NEEDS_PHOTO
    assert ask(dataclasses.replace(TEXT, text=f"@{BOT} thanks!")) is Ask.NOTHING
    assert ask(dataclasses.replace(replying, text="what plant is this?")) is Ask.REPLIED
    assert ask(dataclasses.replace(replying, text="lovely")) is Ask.NOTHING
    assert ask(dataclasses.replace(replying, text="/start")) is Ask.NOTHING
