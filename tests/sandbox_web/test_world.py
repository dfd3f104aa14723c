"""The page's view of the chats: what people sent, and what the bot drew, read off the fake."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.telegram import FakeTelegram
from sandbox.web.world import SandboxError, World


@pytest.fixture
def world() -> World:
    return World.create(FakeTelegram())


@pytest.fixture
async def bot(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """Return an HTTP client that calls the fake Bot API as the bot would."""
    telegram = world.telegram
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=telegram.app),
        base_url=f"http://telegram.test/bot{telegram.token}",
    ) as client:
        yield client


async def call(bot: httpx.AsyncClient, method: str, **params: Any) -> Any:
    response = await bot.post(f"/{method}", json=params)
    body = response.json()
    assert body["ok"], body
    return body["result"]


def start(world: World, person: str) -> None:
    """Write to the bot first: bots cannot open a private chat themselves."""
    world.send({"person": person, "chat": "private", "kind": "text", "text": "/start"})


def chat_view(world: World, person: str, chat: str) -> dict[str, Any]:
    return next(c for c in world.view(person)["chats"] if c["key"] == chat)


async def test_reply_keyboard_with_location_button_shows_until_removed(
    world: World, bot: httpx.AsyncClient
) -> None:
    anna = world.person("anna")
    start(world, "anna")
    keyboard = {
        "keyboard": [[{"text": "Share my location", "request_location": True}]],
        "resize_keyboard": True,
    }
    await call(bot, "sendMessage", chat_id=anna.private.id, text="Where?", reply_markup=keyboard)
    shown = chat_view(world, "anna", "private")["keyboard"]
    assert shown["rows"] == [[{"text": "Share my location", "location": True}]]
    assert chat_view(world, "ivan", "private")["keyboard"] is None

    await call(
        bot,
        "sendMessage",
        chat_id=anna.private.id,
        text="Thanks",
        reply_markup=json.dumps({"remove_keyboard": True}),
    )
    assert chat_view(world, "anna", "private")["keyboard"] is None


async def test_pressed_button_answers_reach_only_the_page_that_pressed(
    world: World, bot: httpx.AsyncClient
) -> None:
    anna = world.person("anna")
    start(world, "anna")
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    sent = await call(
        bot,
        "sendMessage",
        chat_id=anna.private.id,
        text="<b>Sure?</b>",
        parse_mode="HTML",
        reply_markup=markup,
    )
    message = chat_view(world, "anna", "private")["messages"][-1]
    assert message["text"] == [{"t": "b", "c": ["Sure?"]}]
    assert message["buttons"] == [[{"text": "Yes", "data": "yes", "url": None}]]

    query_id = world.press(
        {"person": "anna", "chat": "private", "message_id": sent["message_id"], "data": "yes"}
    )
    await call(bot, "answerCallbackQuery", callback_query_id=query_id, text="Done", show_alert=True)
    assert world.view("anna")["answers"] == [{"id": query_id, "text": "Done", "alert": True}]


def test_people_in_the_group_are_named_and_their_photos_served(world: World) -> None:
    world.send({"person": "ivan", "chat": "group", "kind": "text", "text": "Привет"})
    world.send(
        {
            "person": "sam",
            "chat": "group",
            "kind": "photo",
            "image": {"sample": "poppy"},
            "reply_to": 1,
        }
    )
    first, second = chat_view(world, "anna", "group")["messages"]
    assert (first["sender"], first["text"]) == ("Ivan", ["Привет"])
    assert second["sender"] == "Sam"
    assert second["reply_to"] == {"id": 1, "preview": "Привет"}
    file_id = second["photo"].removeprefix("/api/file/")
    assert world.telegram.file_bytes(file_id)


def test_a_topic_shows_only_its_own_messages(world: World) -> None:
    world.send({"person": "anna", "chat": "topic", "kind": "text", "text": "Ferns!"})
    assert [m["text"] for m in chat_view(world, "sam", "topic")["messages"]] == [["Ferns!"]]
    assert chat_view(world, "sam", "group")["messages"] == []


@pytest.mark.parametrize(
    "request_body",
    [
        {"person": "nobody", "chat": "private", "kind": "text", "text": "hi"},
        {"person": "anna", "chat": "private", "kind": "text", "text": "   "},
        {"person": "anna", "chat": "private", "kind": "location", "latitude": 91, "longitude": 0},
        {"person": "anna", "chat": "private", "kind": "album", "images": [{"sample": "poppy"}]},
        {"person": "anna", "chat": "private", "kind": "photo", "image": {"sample": "nope"}},
    ],
)
def test_impossible_requests_are_refused_with_a_reason(
    world: World, request_body: dict[str, Any]
) -> None:
    with pytest.raises(SandboxError):
        world.send(request_body)
