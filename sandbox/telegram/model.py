"""Records the fake Telegram Bot API keeps: people, chats, messages, files and calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(reason: str) -> ApiError:
    """Return Telegram's 400 answer with `reason` after the usual prefix."""
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user the tests act as."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the `User` object as the Bot API sends it."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class FakeChat:
    """A chat: "private", "group", "supergroup" (optionally a forum) or "channel"."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the `Chat` object as the Bot API sends it inside a message."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            data["title"] = self.title
        if self.first_name is not None:
            data["first_name"] = self.first_name
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made: canonical method name, decoded parameters, monotonic time."""

    method: str
    params: dict[str, Any]
    at: float


@dataclass(frozen=True)
class Button:
    """An inline keyboard button as a person sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    """A message as a person sees it in the chat right now."""

    message_id: int
    from_bot: bool
    text: str | None
    html: str | None
    reply_to: int | None
    buttons: list[list[Button]]
    edited: bool
    photo: bool
    thread_id: int | None
    document: bool = False
    location: bool = False
    sender_chat_id: int | None = None

    @property
    def visible_text(self) -> str:
        """Return the text or caption a person reads, "" if there is none."""
        return self.text or ""


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press."""

    callback_query_id: str
    text: str | None
    show_alert: bool


@dataclass(frozen=True)
class DocumentFile:
    """A file a person sends as a document, e.g. as one part of a document album."""

    data: bytes
    file_name: str = "plant.jpg"
    mime_type: str = "image/jpeg"


@dataclass
class StoredFile:
    """A file Telegram holds: the bytes and the identifiers handed out for it."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    width: int | None = None
    height: int | None = None
    # Telegram may leave file_size out of a Document and of getFile's answer.
    size_known: bool = True


@dataclass
class StoredMessage:
    """A message in a chat, with everything needed to render it as Bot API JSON."""

    chat: FakeChat
    message_id: int
    date: int
    sender: dict[str, Any]
    from_bot: bool
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    html: str | None = None
    reply_to: int | None = None
    thread_id: int | None = None
    reply_markup: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    venue: dict[str, Any] | None = None
    sender_chat: FakeChat | None = None
    media_group_id: str | None = None
    service: dict[str, Any] | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def visible_text(self) -> str | None:
        """Return the text or caption a person reads."""
        return self.text if self.text is not None else self.caption


def inline_buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    """Return the inline keyboard of `markup` as rows of buttons."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [
            Button(
                text=str(b.get("text", "")), callback_data=b.get("callback_data"), url=b.get("url")
            )
            for b in row
        ]
        for row in markup["inline_keyboard"]
    ]
