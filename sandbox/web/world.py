"""The people and chats of the sandbox, what they send, and the chats as the page shows them.

Everything goes through the fake Bot API's test-side methods, so whatever the bot learns to
handle works here without code per feature. What the fake does not report about people's own
messages (sender, photo file, album, location) is remembered here when they are sent.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from sandbox.telegram import ChatMessage, FakeChat, FakeTelegram, FakeUser
from sandbox.web.rich_text import rich_text, safe_link
from sandbox.web.samples import SAMPLES, sample_bytes, sample_named

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PEOPLE = (("anna", "Anna", "de"), ("ivan", "Ivan", "ru"), ("sam", "Sam", "en"))
CHAT_KEYS = ("private", "group", "topic")
LOCATION_PRESETS = (
    ("Berlin, Tiergarten", 52.514541, 13.350091),
    ("Moscow, Gorky Park", 55.729876, 37.603138),
    ("London, Kew Gardens", 51.478744, -0.295537),
    ("Kyoto, Arashiyama", 35.017025, 135.671806),
)


class SandboxError(ValueError):
    """Raise when the page asks for something a person cannot do; the text is shown."""


@dataclass(frozen=True)
class Person:
    """Someone the page can act as: a Telegram user and their private chat with the bot."""

    key: str
    user: FakeUser
    private: FakeChat


@dataclass(frozen=True)
class _Sent:
    sender: str
    photo_file_id: str | None = None
    media_group_id: str | None = None
    document: str | None = None
    location: tuple[float, float] | None = None


@dataclass
class World:
    """Hold the fake Bot API, its people and chats, and what people sent through the page."""

    telegram: FakeTelegram
    people: dict[str, Person]
    group: FakeChat
    forum: FakeChat
    topic_id: int
    _sent: dict[tuple[int, int], _Sent] = field(default_factory=dict)
    _actions: itertools.count[int] = field(default_factory=itertools.count)
    _pressed: set[str] = field(default_factory=set)
    version: int = 0

    @classmethod
    def create(cls, telegram: FakeTelegram) -> World:
        """Create the three people, a group with all of them, and a forum with one topic."""
        people = {}
        for key, name, language in PEOPLE:
            user = telegram.user(name, language_code=language, username=f"{key}_sandbox")
            people[key] = Person(key, user, telegram.private_chat(user))
        group = telegram.group("Plant lovers")
        forum = telegram.group("Gardeners' forum", forum=True)
        topic_id = telegram.topic(forum, "Ferns")
        return cls(telegram, people, group, forum, topic_id)

    # ------------------------------------------------------------------ acting as a person

    def person(self, key: str) -> Person:
        """Return the person called `key`."""
        try:
            return self.people[key]
        except KeyError:
            raise SandboxError(f"nobody called {key!r} here") from None

    def _chat(self, person: Person, chat_key: str) -> tuple[FakeChat, int | None]:
        if chat_key == "private":
            return person.private, None
        if chat_key == "group":
            return self.group, None
        if chat_key == "topic":
            return self.forum, self.topic_id
        raise SandboxError(f"no chat {chat_key!r}")

    def send(self, request: dict[str, Any]) -> None:
        """Deliver what the page's composer sends: text, photo, album, file or location."""
        person = self.person(str(request.get("person")))
        chat, thread_id = self._chat(person, str(request.get("chat")))
        kind = request.get("kind")
        reply_to = _optional_int(request.get("reply_to"))
        caption = str(request.get("caption") or "") or None
        telegram, user = self.telegram, person.user
        try:
            if kind == "text":
                text = str(request.get("text") or "").strip()
                if not text:
                    raise SandboxError("type something first")
                payloads = [
                    telegram.send_text(user, chat, text, reply_to=reply_to, thread_id=thread_id)
                ]
            elif kind == "photo":
                image = _image(request.get("image"))
                payloads = [
                    telegram.send_photo(
                        user, chat, image, caption=caption, reply_to=reply_to, thread_id=thread_id
                    )
                ]
            elif kind == "album":
                if thread_id is not None:
                    raise SandboxError("albums can't be sent to a topic in the sandbox yet")
                images = [_image(item) for item in request.get("images") or []]
                if not 2 <= len(images) <= 10:
                    raise SandboxError("an album has 2 to 10 photos")
                payloads = telegram.send_album(user, chat, images, caption=caption)
            elif kind == "document":
                upload = request.get("image") or {}
                data = _image(upload)
                name = str(upload.get("file_name") or "plant.jpg")
                if thread_id is not None:
                    raise SandboxError("files can't be sent to a topic in the sandbox yet")
                payloads = [
                    telegram.send_document(
                        user, chat, data, file_name=name, mime_type=_mime(data), caption=caption
                    )
                ]
            elif kind == "location":
                latitude = _coordinate(request.get("latitude"), 90, "latitude")
                longitude = _coordinate(request.get("longitude"), 180, "longitude")
                if thread_id is not None:
                    raise SandboxError("locations can't be sent to a topic in the sandbox yet")
                payloads = [telegram.send_location(user, chat, latitude, longitude)]
            else:
                raise SandboxError(f"unknown kind of message {kind!r}")
        except ValueError as error:
            raise SandboxError(str(error)) from None
        for payload in payloads:
            self._remember(person, chat, payload)
        self.version = next(self._actions)

    def press(self, request: dict[str, Any]) -> str:
        """Press an inline button; return the callback query id the bot must answer."""
        person = self.person(str(request.get("person")))
        chat, _ = self._chat(person, str(request.get("chat")))
        message_id = _optional_int(request.get("message_id"))
        data = request.get("data")
        if message_id is None or not isinstance(data, str):
            raise SandboxError("which button?")
        try:
            query_id = self.telegram.press_button(person.user, message_id, chat, data)
        except ValueError as error:
            raise SandboxError(str(error)) from None
        self._pressed.add(query_id)
        self.version = next(self._actions)
        return query_id

    def _remember(self, person: Person, chat: FakeChat, payload: dict[str, Any]) -> None:
        photo = payload.get("photo")
        document = payload.get("document")
        location = payload.get("location")
        self._sent[(chat.id, int(payload["message_id"]))] = _Sent(
            sender=person.user.first_name,
            photo_file_id=_preview_size(photo) if photo else None,
            media_group_id=payload.get("media_group_id"),
            document=document.get("file_name") if document else None,
            location=(location["latitude"], location["longitude"]) if location else None,
        )

    # ------------------------------------------------------------------ what the page shows

    def snapshot(self) -> tuple[int, int]:
        """Return a cheap value that changes whenever any chat may look different."""
        return (len(self.telegram.calls), self.version)

    def view(self, person_key: str) -> dict[str, Any]:
        """Return every chat `person_key` sees, with messages, keyboards and button answers."""
        person = self.person(person_key)
        chats = []
        for chat_key in CHAT_KEYS:
            chat, thread_id = self._chat(person, chat_key)
            messages = [
                m
                for m in self.telegram.messages(chat)
                if thread_id is None or m.thread_id == thread_id
            ]
            by_id = {m.message_id: m for m in messages}
            chats.append(
                {
                    "key": chat_key,
                    "title": _title(chat_key, self),
                    "subtitle": _subtitle(chat_key),
                    "messages": [self._message(chat, m, by_id) for m in messages],
                    "keyboard": self._reply_keyboard(chat),
                }
            )
        answers = [
            {"id": a.callback_query_id, "text": a.text, "alert": a.show_alert}
            for a in self.telegram.callback_answers()
            if a.callback_query_id in self._pressed
        ]
        return {
            "person": person.key,
            "people": [
                {"key": p.key, "name": p.user.first_name, "language": p.user.language_code}
                for p in self.people.values()
            ],
            "chats": chats,
            "answers": answers,
        }

    def _message(
        self, chat: FakeChat, message: ChatMessage, by_id: dict[int, ChatMessage]
    ) -> dict[str, Any]:
        sent = self._sent.get((chat.id, message.message_id))
        view: dict[str, Any] = {
            "id": message.message_id,
            "from_bot": message.from_bot,
            "sender": "Plantbot" if message.from_bot else (sent.sender if sent else "someone"),
            "text": rich_text(message.html, message.text)
            if message.from_bot
            else ([message.text] if message.text else []),
            "edited": message.edited,
            "photo": None,
            "album": sent.media_group_id if sent else None,
            "document": sent.document if sent else None,
            "location": list(sent.location) if sent and sent.location else None,
            "buttons": [
                [{"text": b.text, "data": b.callback_data, "url": safe_link(b.url)} for b in row]
                for row in message.buttons
            ],
            "reply_to": None,
        }
        if message.photo:
            has_file = sent is not None and sent.photo_file_id is not None
            view["photo"] = f"/api/file/{sent.photo_file_id}" if has_file and sent else ""
        if message.reply_to is not None:
            target = by_id.get(message.reply_to)
            if target is not None:
                preview = target.visible_text or ("photo" if target.photo else "message")
                view["reply_to"] = {"id": target.message_id, "preview": preview[:80]}
        return view

    def _reply_keyboard(self, chat: FakeChat) -> dict[str, Any] | None:
        """Return the reply keyboard the bot last set in `chat`, if it is still shown."""
        # Telegram keeps a reply keyboard under the composer until the bot replaces or
        # removes it, so the newest markup of that kind in the chat decides.
        for call in reversed(self.telegram.calls):
            if str(call.params.get("chat_id")) != str(chat.id):
                continue
            markup = call.params.get("reply_markup")
            if isinstance(markup, str):
                try:
                    markup = json.loads(markup)
                except json.JSONDecodeError:
                    continue
            if not isinstance(markup, dict):
                continue
            if markup.get("remove_keyboard"):
                return None
            rows = markup.get("keyboard")
            if isinstance(rows, list):
                return {
                    "rows": [
                        [_reply_button(button) for button in row]
                        for row in rows
                        if isinstance(row, list)
                    ],
                    "placeholder": markup.get("input_field_placeholder"),
                }
        return None


def _preview_size(sizes: list[dict[str, Any]]) -> str:
    """Return the file id of the largest size that still fits a chat bubble."""
    fitting = [s for s in sizes if max(s["width"], s["height"]) <= 640] or sizes[:1]
    return str(fitting[-1]["file_id"])


def _reply_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        return {"text": button, "location": False}
    return {
        "text": str(button.get("text", "")),
        "location": bool(button.get("request_location")),
    }


def _title(chat_key: str, world: World) -> str:
    if chat_key == "private":
        return "Plantbot"
    if chat_key == "group":
        return world.group.title or "Group"
    return f"{world.forum.title} › Ferns"


def _subtitle(chat_key: str) -> str:
    return {
        "private": "private chat with the bot",
        "group": "group: Anna, Ivan, Sam and the bot",
        "topic": "forum topic",
    }[chat_key]


def _optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SandboxError(f"not a message number: {value!r}") from None


def _coordinate(value: Any, bound: float, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SandboxError(f"{name} must be a number") from None
    if not -bound <= number <= bound:
        raise SandboxError(f"{name} must be between -{bound:g} and {bound:g}")
    return number


def _image(item: Any) -> bytes:
    """Return the bytes of a sample (by name) or of an upload (base64 data)."""
    if not isinstance(item, dict):
        raise SandboxError("choose a sample or a file")
    if item.get("sample"):
        try:
            return sample_bytes(sample_named(str(item["sample"])))
        except KeyError:
            raise SandboxError(f"no sample {item['sample']!r}") from None
    encoded = item.get("data")
    if not isinstance(encoded, str) or not encoded:
        raise SandboxError("choose a sample or a file")
    if len(encoded) > MAX_UPLOAD_BYTES * 4 // 3 + 4:
        raise SandboxError("that file is larger than 20 MB")
    try:
        return base64.b64decode(encoded.partition(",")[2] or encoded, validate=False)
    except (binascii.Error, ValueError):
        raise SandboxError("the file could not be read") from None


def _mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "application/octet-stream"


def samples_view() -> list[dict[str, Any]]:
    """Return the bundled samples for the page's picker."""
    return [
        {"name": s.name, "label": s.label, "url": f"/static/samples/{s.file_name}"} for s in SAMPLES
    ]


def presets_view() -> list[dict[str, Any]]:
    """Return the preset places for the location picker."""
    return [{"name": n, "latitude": la, "longitude": lo} for n, la, lo in LOCATION_PRESETS]
