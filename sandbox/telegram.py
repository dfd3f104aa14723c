"""A stateful fake of the Telegram Bot API that the unmodified python-telegram-bot stack talks to.

Tests act as people through `FakeTelegram`'s builder and action methods, and read what the bot
did through `calls`, `messages()` and `callback_answers()`. Serve `FakeTelegram.app` in-process
with `httpx.ASGITransport` or on loopback with `sandbox.server.serve_on_loopback`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import ipaddress
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.telegram_html import EntityParseError, parse_html, utf16_len
from sandbox.telegram_io import Upload, parse_body, photo_sizes
from sandbox.telegram_model import (
    ApiCall,
    ApiError,
    Button,
    CallbackAnswer,
    ChatMessage,
    FakeChat,
    FakeUser,
    StoredFile,
    StoredMessage,
    bad_request,
    inline_buttons,
)

__all__ = [
    "ApiCall",
    "Button",
    "CallbackAnswer",
    "ChatMessage",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
FAULT_KINDS = ("429", "500", "403", "slow")
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types delivered when allowed_updates is empty, as documented for getUpdates.
DEFAULT_UPDATE_TYPES = frozenset({"message", "edited_message", "callback_query"})
_COMMAND_RE = re.compile(r"(?<![^\s])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{5,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[a-zA-Z0-9_]{5,32}")
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class _Waiters:
    """Wake coroutines on any event loop, from any thread, when the fake's state changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[asyncio.Event, asyncio.AbstractEventLoop] = {}

    def register(self) -> asyncio.Event:
        """Return an event set on the next notification."""
        event = asyncio.Event()
        with self._lock:
            self._events[event] = asyncio.get_running_loop()
        return event

    def unregister(self, event: asyncio.Event) -> None:
        """Stop notifying `event`."""
        with self._lock:
            self._events.pop(event, None)

    def notify_all(self) -> None:
        """Set every registered event in its own loop."""
        with self._lock:
            waiting = list(self._events.items())
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for event, loop in waiting:
            if loop is current:
                event.set()
            else:
                # The waiter's loop may already be gone when a test has finished.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(event.set)


@dataclass
class _Fault:
    kind: str
    retry_after: int
    seconds: float


@dataclass
class _Update:
    update_id: int
    kind: str
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    generation: int
    last_error_date: int | None = None
    last_error_message: str | None = None


class _Params:
    """Bot API parameters: form values arrive as strings with JSON-encoded non-strings."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value


def _now() -> int:
    return int(time.time())


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _auto_entities(text: str, bot_username: str) -> list[dict[str, Any]]:
    """Return the entities a Telegram client detects in typed text: commands and mentions."""
    del bot_username
    found: list[dict[str, Any]] = []
    for pattern, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention")):
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    found.sort(key=lambda e: e["offset"])
    return found


def _api_error_response(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.parameters:
        body["parameters"] = error.parameters
    return JSONResponse(body, status_code=error.code)


class FakeTelegram:
    """A stateful stand-in for the Telegram Bot API, driven by tests acting as people."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "plantbot_test",
        bot_id: int = 123456,
        privacy_mode: bool = False,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.privacy_mode = privacy_mode
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self._lock = threading.RLock()
        self._waiters = _Waiters()
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(1_000_000_001)
        self._update_ids = itertools.count(500_000_001)
        self._serials = itertools.count(1)
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, FakeChat] = {}
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._last_message_id: dict[int, int] = {}
        self._topics: dict[int, dict[int, str]] = {}
        self._members: dict[int, set[int]] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[dict[str, Any]]] = {}
        self._documents: dict[str, dict[str, Any]] = {}
        self._updates: list[_Update] = []
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._webhook: _Webhook | None = None
        self._webhook_generation = 0
        self._webhook_tasks: set[asyncio.Task[None]] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._callback_queries: dict[str, bool] = {}
        self._callback_answers: list[CallbackAnswer] = []
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._closed = False
        handlers: dict[str, Callable[[_Params], Any]] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "close": lambda _: True,
            "logOut": lambda _: True,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "sendPhoto": self._send_photo,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
        }
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}
        self._methods["getupdates"] = ("getUpdates", self._get_me)  # dispatched specially
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._handle_api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{file_path:path}", self._handle_file, methods=["GET"]),
            ]
        )

    def __repr__(self) -> str:
        return f"FakeTelegram(bot_username={self.bot_username!r}, bot_id={self.bot_id})"

    # ------------------------------------------------------------------ builders

    def user(
        self,
        first_name: str = "Alice",
        *,
        language_code: str | None = "en",
        username: str | None = None,
    ) -> FakeUser:
        """Create a Telegram user."""
        with self._lock:
            user = FakeUser(
                id=next(self._user_ids),
                first_name=first_name,
                username=username,
                language_code=language_code,
            )
            self._users[user.id] = user
            return user

    def private_chat(self, user: FakeUser) -> FakeChat:
        """Return the private chat between `user` and the bot."""
        with self._lock:
            chat = FakeChat(
                id=user.id, type="private", first_name=user.first_name, username=user.username
            )
            self._register_chat(chat, {user.id})
            return chat

    def group(self, title: str = "Plant lovers", *, forum: bool = False) -> FakeChat:
        """Create a supergroup (a forum when `forum`) that the bot is a member of."""
        with self._lock:
            chat = FakeChat(
                id=-1_000_000_000_000 - next(self._group_ids),
                type="supergroup",
                title=title,
                is_forum=forum,
            )
            self._register_chat(chat, set())
            return chat

    def topic(self, group: FakeChat, name: str = "Ferns") -> int:
        """Create a forum topic in `group` and return its message_thread_id."""
        if not group.is_forum:
            raise ValueError("topics exist only in forum groups")
        with self._lock:
            creator = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
            message = self._store(group, creator, from_bot=False)
            message.thread_id = message.message_id
            message.service = {"forum_topic_created": {"name": name, "icon_color": 7322096}}
            self._topics[group.id][message.message_id] = name
            return message.message_id

    def _register_chat(self, chat: FakeChat, members: set[int]) -> None:
        self._chats.setdefault(chat.id, chat)
        self._messages.setdefault(chat.id, {})
        self._last_message_id.setdefault(chat.id, 0)
        self._topics.setdefault(chat.id, {})
        self._members.setdefault(chat.id, set()).update(members)

    # ------------------------------------------------------------------ people act

    def send_text(
        self,
        user: FakeUser,
        chat: FakeChat,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Deliver a text message typed by `user`; return the Message as in the update."""
        return self._person_says(
            user,
            chat,
            reply_to=reply_to,
            thread_id=thread_id,
            text=text,
            entities=_auto_entities(text, self.bot_username),
        )

    def send_command(
        self,
        user: FakeUser,
        chat: FakeChat,
        command: str,
        args: str = "",
        *,
        reply_to: int | None = None,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        """Deliver `/command [args]`, optionally addressed as `/command@bot`."""
        text = "/" + command.removeprefix("/")
        if mention_bot:
            text += f"@{self.bot_username}"
        if args:
            text += f" {args}"
        return self.send_text(user, chat, text, reply_to=reply_to)

    def send_mention(
        self,
        user: FakeUser,
        chat: FakeChat,
        text_after_mention: str,
        *,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """Deliver `@bot text` with a mention entity."""
        return self.send_text(
            user, chat, f"@{self.bot_username} {text_after_mention}", reply_to=reply_to
        )

    def send_photo(
        self,
        user: FakeUser,
        chat: FakeChat,
        image: bytes,
        *,
        caption: str | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Deliver a photo (stored as several sizes, the original largest)."""
        with self._lock:
            sizes = self._store_photo(image)
            return self._person_says(
                user,
                chat,
                reply_to=reply_to,
                thread_id=thread_id,
                photo=sizes,
                caption=caption,
                caption_entities=_auto_entities(caption or "", self.bot_username),
            )

    def send_album(
        self,
        user: FakeUser,
        chat: FakeChat,
        images: list[bytes],
        *,
        caption: str | None = None,
    ) -> list[dict[str, Any]]:
        """Deliver photos sharing one media_group_id as separate updates, caption on the first."""
        if not 2 <= len(images) <= 10:
            raise ValueError("an album has 2-10 photos")
        with self._lock:
            group_id = str(13_000_000_000_000_000 + next(self._serials))
            delivered = []
            for index, image in enumerate(images):
                first_caption = caption if index == 0 else None
                delivered.append(
                    self._person_says(
                        user,
                        chat,
                        photo=self._store_photo(image),
                        caption=first_caption,
                        caption_entities=_auto_entities(first_caption or "", self.bot_username),
                        media_group_id=group_id,
                    )
                )
            return delivered

    def send_document(
        self,
        user: FakeUser,
        chat: FakeChat,
        data: bytes,
        *,
        file_name: str = "plant.jpg",
        mime_type: str = "image/jpeg",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Deliver a file sent as a document (uncompressed)."""
        with self._lock:
            stored = self._store_file(data, "documents", file_name.rpartition(".")[2] or "bin")
            document = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": len(data),
            }
            self._documents[stored.file_id] = document
            return self._person_says(
                user,
                chat,
                document=document,
                caption=caption,
                caption_entities=_auto_entities(caption or "", self.bot_username),
            )

    def send_location(
        self, user: FakeUser, chat: FakeChat, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """Deliver a location pin."""
        return self._person_says(
            user, chat, location={"latitude": latitude, "longitude": longitude}
        )

    def press_button(
        self,
        user: FakeUser,
        message_id: int,
        chat: FakeChat,
        callback_data: str,
        *,
        unchecked: bool = False,
    ) -> str:
        """Press the inline button carrying `callback_data`; return the callback query id.

        `unchecked` skips the keyboard check, to press buttons an older bot version drew.
        """
        with self._lock:
            message = self._messages.get(chat.id, {}).get(message_id)
            if message is None or message.deleted:
                raise ValueError(f"no message {message_id} in chat {chat.id}")
            data_on_buttons = {
                button.callback_data
                for row in inline_buttons(message.reply_markup)
                for button in row
            }
            if callback_data not in data_on_buttons and not unchecked:
                # Telegram only accepts callback data that is on the message's keyboard.
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}"
                )
            query_id = str(7_000_000_000_000_000 + next(self._serials))
            self._callback_queries[query_id] = False
            self._enqueue(
                "callback_query",
                {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": self._message_json(message),
                    "chat_instance": str(-4_000_000_000_000_000 - abs(chat.id)),
                    "data": callback_data,
                },
            )
            return query_id

    def user_deletes_message(self, chat: FakeChat, message_id: int) -> None:
        """Delete a message as a person does; bots are not told."""
        with self._lock:
            message = self._messages.get(chat.id, {}).get(message_id)
            if message is None:
                raise ValueError(f"no message {message_id} in chat {chat.id}")
            message.deleted = True
        self._waiters.notify_all()

    def user_blocks_bot(self, user: FakeUser) -> None:
        """Block the bot: its messages to `user` fail with 403 from now on."""
        with self._lock:
            self._blocked.add(user.id)
        self._waiters.notify_all()

    def _person_says(
        self,
        user: FakeUser,
        chat: FakeChat,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        with self._lock:
            if chat.id not in self._chats:
                raise ValueError(f"unknown chat {chat.id}; create it with private_chat/group")
            if chat.type == "private" and chat.id != user.id:
                raise ValueError("only the chat's own user can write in a private chat")
            reply_target = None
            if reply_to is not None:
                reply_target = self._messages[chat.id].get(reply_to)
                if reply_target is None or reply_target.deleted:
                    raise ValueError(f"no message {reply_to} to reply to in chat {chat.id}")
                thread_id = thread_id or reply_target.thread_id
            if thread_id is not None and thread_id not in self._topics[chat.id]:
                raise ValueError(f"no topic {thread_id} in chat {chat.id}")
            message = self._store(chat, user.to_dict(), from_bot=False, thread_id=thread_id)
            message.reply_to = reply_to
            for key, value in content.items():
                setattr(message, key, value)
            if message.text is not None:
                message.html = message.text
            elif message.caption is not None:
                message.html = message.caption
            self._members[chat.id].add(user.id)
            if chat.type == "private":
                self._started.add(user.id)
            payload = self._message_json(message)
            if self._bot_sees(message, reply_target):
                self._enqueue("message", payload)
            else:
                self._waiters.notify_all()
            return payload

    def _bot_sees(self, message: StoredMessage, reply_target: StoredMessage | None) -> bool:
        if not self.privacy_mode or message.chat.type == "private":
            return True
        # Privacy mode: commands, mentions of the bot and replies to the bot only.
        text = message.visible_text or ""
        entities = message.entities or message.caption_entities
        if reply_target is not None and reply_target.from_bot:
            return True
        for entity in entities:
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                return True
            if entity["type"] == "mention" and f"@{self.bot_username}" in text:
                return True
        return False

    # ------------------------------------------------------------------ what the bot did

    def calls_to(self, method: str) -> list[ApiCall]:
        """Return the calls to `method` (case-insensitive), oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method.lower() == method.lower()]

    def messages(self, chat: FakeChat) -> list[ChatMessage]:
        """Return the chat as a person sees it now: edited, without deleted, in order."""
        with self._lock:
            return [
                self._chat_message(message)
                for _, message in sorted(self._messages.get(chat.id, {}).items())
                if not message.deleted and message.service is None
            ]

    def bot_messages(self, chat: FakeChat) -> list[ChatMessage]:
        """Return the bot's visible messages in `chat`."""
        return [message for message in self.messages(chat) if message.from_bot]

    def callback_answers(self) -> list[CallbackAnswer]:
        """Return the bot's answers to button presses, oldest first."""
        with self._lock:
            return list(self._callback_answers)

    def last_webhook_error(self) -> str | None:
        """Return why the last webhook delivery failed, if it did."""
        with self._lock:
            return self._webhook.last_error_message if self._webhook else None

    def pending_updates(self) -> int:
        """Return how many updates the bot has not confirmed yet."""
        with self._lock:
            return len(self._updates)

    def file_bytes(self, file_id: str) -> bytes:
        """Return the bytes stored for `file_id` (people's and the bot's files alike)."""
        with self._lock:
            return self._files[file_id].data

    def fail_next(
        self,
        method: str,
        count: int = 1,
        *,
        kind: str = "429",
        retry_after: int = 1,
        seconds: float = 0.5,
    ) -> None:
        """Make the next `count` calls to `method` fail (429, 500, 403) or answer late (slow)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        with self._lock:
            queue = self._faults.setdefault(method.lower(), deque())
            queue.extend(_Fault(kind, retry_after, seconds) for _ in range(count))

    async def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 -- the tests' agreed signature
    ) -> None:
        """Return once `condition()` holds; raise AssertionError with a dump on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._waiters.register()
            try:
                with self._lock:
                    if condition():
                        return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(f"condition not met within {timeout}s\n{self.describe()}")
                # The condition may also read state outside the fake, so re-check briefly too.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(remaining, 0.05))
            finally:
                self._waiters.unregister(event)

    def describe(self) -> str:
        """Return a readable dump of recent calls and every chat, for failing tests."""
        with self._lock:
            lines = ["recent Bot API calls:"]
            for call in self.calls[-15:]:
                shown = {
                    k: (v if not isinstance(v, bytes) else f"<{len(v)} bytes>")
                    for k, v in call.params.items()
                }
                lines.append(f"  {call.method} {shown}")
            lines.append(f"pending updates: {len(self._updates)}")
            for chat in self._chats.values():
                lines.append(f"chat {chat.id} ({chat.type}):")
                for message in self.messages(chat)[-10:]:
                    who = "bot" if message.from_bot else "user"
                    lines.append(f"  #{message.message_id} {who}: {message.text!r}")
            return "\n".join(lines)

    async def aclose(self) -> None:
        """Release long polls and stop webhook delivery running on this loop."""
        with self._lock:
            self._closed = True
            self._webhook_generation += 1
            tasks = list(self._webhook_tasks)
        self._waiters.notify_all()
        loop = asyncio.get_running_loop()
        for task in tasks:
            if task.get_loop() is loop:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # ------------------------------------------------------------------ storage

    def _store(
        self,
        chat: FakeChat,
        sender: dict[str, Any],
        *,
        from_bot: bool,
        thread_id: int | None = None,
    ) -> StoredMessage:
        message_id = self._last_message_id[chat.id] + 1
        self._last_message_id[chat.id] = message_id
        message = StoredMessage(
            chat=chat,
            message_id=message_id,
            date=_now(),
            sender=sender,
            from_bot=from_bot,
            thread_id=thread_id,
        )
        self._messages[chat.id][message_id] = message
        return message

    def _store_file(self, data: bytes, folder: str, extension: str) -> StoredFile:
        serial = next(self._serials)
        prefix = "AgAC" if folder == "photos" else "BQAC"
        stored = StoredFile(
            file_id=f"{prefix}fake{serial:010d}",
            file_unique_id=f"AQADfake{serial:08d}",
            file_path=f"{folder}/file_{serial}.{extension}",
            data=data,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _store_photo(self, image: bytes) -> list[dict[str, Any]]:
        sizes: list[dict[str, Any]] = []
        for width, height, data in photo_sizes(image):
            stored = self._store_file(data, "photos", "jpg")
            stored.width, stored.height = width, height
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(data),
                    "width": width,
                    "height": height,
                }
            )
        for size in sizes:
            self._photo_sets[size["file_id"]] = sizes
        return sizes

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> None:
        allowed = self._allowed_updates
        if allowed is not None and kind not in (allowed or DEFAULT_UPDATE_TYPES):
            self._waiters.notify_all()
            return
        self._updates.append(_Update(next(self._update_ids), kind, payload))
        self._waiters.notify_all()

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u.update_id >= offset]

    # ------------------------------------------------------------------ rendering

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Plantbot",
            "username": self.bot_username,
        }

    def _message_json(self, message: StoredMessage, *, nested: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": message.sender,
            "chat": message.chat.to_dict(),
            "date": message.date,
        }
        if message.thread_id is not None:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        # In a forum topic a message that replies to nothing replies to the topic's root.
        reply_id = message.reply_to
        if reply_id is None and message.thread_id not in (None, message.message_id):
            reply_id = message.thread_id
        target = self._messages[message.chat.id].get(reply_id) if reply_id else None
        if target is not None and not target.deleted and not nested:
            data["reply_to_message"] = self._message_json(target, nested=True)
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.photo is not None:
            data["photo"] = message.photo
        if message.document is not None:
            data["document"] = message.document
        if message.location is not None:
            data["location"] = message.location
        if message.caption is not None:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = message.caption_entities
        if message.media_group_id is not None:
            data["media_group_id"] = message.media_group_id
        if message.service:
            data.update(message.service)
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        return data

    def _chat_message(self, message: StoredMessage) -> ChatMessage:
        return ChatMessage(
            message_id=message.message_id,
            from_bot=message.from_bot,
            text=message.visible_text,
            html=message.html,
            reply_to=message.reply_to,
            buttons=inline_buttons(message.reply_markup),
            edited=message.edit_date is not None,
            photo=message.photo is not None,
            thread_id=message.thread_id,
        )

    # ------------------------------------------------------------------ HTTP

    async def _handle_api(self, request: Request) -> Response:
        if not hmac.compare_digest(str(request.path_params["token"]), self.token):
            return _api_error_response(ApiError(401, "Unauthorized"))
        entry = self._methods.get(str(request.path_params["method"]).lower())
        if entry is None:
            return _api_error_response(ApiError(404, "Not Found"))
        method, handler = entry
        try:
            values, uploads = parse_body(request.headers.get("content-type"), await request.body())
        except (ValueError, UnicodeDecodeError):
            return _api_error_response(bad_request("can't parse request body"))
        values = {**dict(request.query_params), **values}
        recorded: dict[str, Any] = dict(values)
        recorded.update({name: upload.data for name, upload in uploads.items()})
        with self._lock:
            self.calls.append(ApiCall(method, recorded, time.monotonic()))
            fault = self._faults.get(method.lower())
            injected = fault.popleft() if fault else None
        self._waiters.notify_all()
        params = _Params(values, uploads)
        try:
            if injected is not None:
                await self._inject(injected)
            if method == "getUpdates":
                result: Any = await self._get_updates(params, request)
            else:
                with self._lock:
                    result = handler(params)
        except ApiError as error:
            return _api_error_response(error)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # Telegram answers malformed parameters with 400, never with a server error.
            return _api_error_response(bad_request(f"malformed {method} parameters: {exc!r}"))
        finally:
            self._waiters.notify_all()
        return JSONResponse({"ok": True, "result": result})

    async def _inject(self, fault: _Fault) -> None:
        if fault.kind == "429":
            raise ApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        if fault.kind == "500":
            raise ApiError(500, "Internal Server Error")
        if fault.kind == "403":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        await asyncio.sleep(fault.seconds)

    async def _handle_file(self, request: Request) -> Response:
        if not hmac.compare_digest(str(request.path_params["token"]), self.token):
            return _api_error_response(ApiError(404, "Not Found"))
        path = str(request.path_params["file_path"])
        with self._lock:
            stored = self._files_by_path.get(path)
            if stored is not None:
                self.downloads.append(path)
        self._waiters.notify_all()
        if stored is None:
            return _api_error_response(ApiError(404, "Not Found"))
        return Response(stored.data, media_type="application/octet-stream")

    # ------------------------------------------------------------------ updates and webhooks

    async def _get_updates(self, params: _Params, request: Request) -> list[dict[str, Any]]:
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        allowed = params.json("allowed_updates")
        with self._lock:
            if self._webhook is not None:
                raise ApiError(409, _WEBHOOK_CONFLICT)
            self._confirm(offset)
            if allowed is not None:
                self._allowed_updates = frozenset(str(kind) for kind in allowed)
            self._poll_generation += 1
            generation = self._poll_generation
        self._waiters.notify_all()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        disconnected = asyncio.ensure_future(self._until_disconnected(request))
        try:
            while True:
                event = self._waiters.register()
                try:
                    with self._lock:
                        if self._poll_generation != generation:
                            raise ApiError(409, _POLL_CONFLICT)
                        if self._webhook is not None:
                            raise ApiError(409, _WEBHOOK_CONFLICT)
                        batch = [update.to_dict() for update in self._updates[:limit]]
                    remaining = deadline - loop.time()
                    if batch or remaining <= 0 or self._closed or disconnected.done():
                        return batch
                    woken = asyncio.ensure_future(event.wait())
                    await asyncio.wait(
                        {woken, disconnected},
                        timeout=remaining,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    woken.cancel()
                finally:
                    self._waiters.unregister(event)
        finally:
            disconnected.cancel()

    @staticmethod
    async def _until_disconnected(request: Request) -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    def _set_webhook(self, params: _Params) -> bool:
        url = params.text("url") or ""
        if not url:
            return self._delete_webhook(params)
        if urlsplit(url).scheme not in ("http", "https") or not _is_loopback(url):
            raise bad_request("bad webhook: the fake Telegram delivers only to loopback URLs")
        secret = params.text("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        allowed = params.json("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(str(kind) for kind in allowed)
        self._webhook_generation += 1
        self._webhook = _Webhook(
            url=url,
            secret_token=secret,
            max_connections=params.integer("max_connections") or 40,
            generation=self._webhook_generation,
        )
        task = asyncio.get_running_loop().create_task(self._deliver(self._webhook))
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)
        return True

    def _delete_webhook(self, params: _Params) -> bool:
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        self._webhook_generation += 1
        return True

    def _get_webhook_info(self, params: _Params) -> dict[str, Any]:
        del params
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        hook = self._webhook
        if hook is not None:
            info["url"] = hook.url
            info["max_connections"] = hook.max_connections
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _deliver(self, hook: _Webhook) -> None:
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        backoff = 0.05
        async with httpx.AsyncClient(timeout=10.0) as client:
            while True:
                event = self._waiters.register()
                try:
                    with self._lock:
                        if self._webhook_generation != hook.generation or self._closed:
                            return
                        update = self._updates[0] if self._updates else None
                    if update is None:
                        await event.wait()
                        continue
                    error = await self._post_update(client, hook.url, headers, update)
                    with self._lock:
                        if error is None:
                            self._updates = [
                                u for u in self._updates if u.update_id != update.update_id
                            ]
                            backoff = 0.05
                        else:
                            hook.last_error_date = _now()
                            hook.last_error_message = error
                    self._waiters.notify_all()
                    if error is not None:
                        # Telegram retries failed deliveries later, with growing delays.
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(asyncio.Event().wait(), backoff)
                        backoff = min(backoff * 2, 1.0)
                finally:
                    self._waiters.unregister(event)

    @staticmethod
    async def _post_update(
        client: httpx.AsyncClient, url: str, headers: dict[str, str], update: _Update
    ) -> str | None:
        try:
            response = await client.post(url, content=json.dumps(update.to_dict()), headers=headers)
        except httpx.HTTPError as exc:
            return f"Connection failed: {type(exc).__name__}"
        if response.is_success:
            return None
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"

    # ------------------------------------------------------------------ chats, text, markup

    def _chat(self, params: _Params) -> FakeChat:
        raw = params.text("chat_id")
        if not raw:
            raise bad_request("chat_id is empty")
        chat: FakeChat | None = None
        if raw.startswith("@"):
            chat = next((c for c in self._chats.values() if c.username == raw[1:]), None)
        else:
            with contextlib.suppress(ValueError):
                chat = self._chats.get(int(raw))
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, params: _Params) -> FakeChat:
        chat = self._chat(params)
        if chat.type == "private":
            if chat.id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat.id not in self._started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _find_message(self, chat: FakeChat, params: _Params, missing: str) -> StoredMessage:
        if params.has("inline_message_id"):
            raise bad_request("the fake Telegram does not support inline messages")
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self._messages[chat.id].get(message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        return message

    @staticmethod
    def _formatted(
        params: _Params, text_key: str, entities_key: str
    ) -> tuple[str, list[dict[str, Any]], str]:
        raw = params.text(text_key) or ""
        mode = (params.text("parse_mode") or "").lower()
        if not mode:
            entities = params.json(entities_key) or []
            return raw, list(entities), raw
        if mode == "html":
            try:
                text, entities = parse_html(raw)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            return text, entities, raw
        if mode in ("markdown", "markdownv2"):
            raise bad_request("the fake Telegram implements only the HTML parse mode")
        raise bad_request("unsupported parse_mode")

    def _message_text(self, params: _Params) -> tuple[str, list[dict[str, Any]], str]:
        text, entities, raw = self._formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text, entities, raw

    def _caption(self, params: _Params) -> tuple[str | None, list[dict[str, Any]], str | None]:
        if params.text("caption") is None:
            return None, [], None
        caption, entities, raw = self._formatted(params, "caption", "caption_entities")
        if len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        if not caption.strip():
            return None, [], None
        return caption, entities, raw

    @staticmethod
    def _markup(params: _Params) -> dict[str, Any] | None:
        markup = params.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return markup
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                    raise bad_request("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                url = button.get("url")
                if data is not None:
                    size = len(str(data).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise bad_request("BUTTON_DATA_INVALID")
                elif url is not None:
                    if urlsplit(str(url)).scheme not in ("http", "https", "tg"):
                        raise bad_request("BUTTON_URL_INVALID")
                elif not set(button) - {"text"}:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
        return markup

    def _reply_and_thread(self, chat: FakeChat, params: _Params) -> tuple[int | None, int | None]:
        reply_parameters = params.json("reply_parameters")
        allow = params.flag("allow_sending_without_reply")
        reply_id: int | None = None
        if isinstance(reply_parameters, dict):
            reply_id = int(reply_parameters["message_id"])
            allow = allow or bool(reply_parameters.get("allow_sending_without_reply"))
        elif params.has("reply_to_message_id"):
            reply_id = params.integer("reply_to_message_id")
        thread_id = params.integer("message_thread_id")
        if thread_id is not None and thread_id not in self._topics[chat.id]:
            raise bad_request("message thread not found")
        if reply_id is not None:
            target = self._messages[chat.id].get(reply_id)
            if target is None or target.deleted:
                if not allow:
                    raise bad_request("message to be replied not found")
                reply_id = None
            elif thread_id is None:
                thread_id = target.thread_id
        return reply_id, thread_id

    def _bot_message(self, chat: FakeChat, params: _Params) -> StoredMessage:
        reply_id, thread_id = self._reply_and_thread(chat, params)
        message = self._store(chat, self._bot_user(), from_bot=True, thread_id=thread_id)
        message.reply_to = reply_id
        return message

    # ------------------------------------------------------------------ Bot API methods

    def _get_me(self, params: _Params) -> dict[str, Any]:
        del params
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _send_message(self, params: _Params) -> dict[str, Any]:
        chat = self._writable_chat(params)
        text, entities, raw = self._message_text(params)
        markup = self._markup(params)
        message = self._bot_message(chat, params)
        message.text, message.entities, message.html = text, entities, raw
        message.reply_markup = markup
        return self._message_json(message)

    def _edit_message_text(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        message = self._find_message(chat, params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities, raw = self._message_text(params)
        markup = self._markup(params)
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        message.text, message.entities, message.html = text, entities, raw
        message.reply_markup = markup
        message.edit_date = _now()
        return self._message_json(message)

    def _edit_message_reply_markup(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        message = self._find_message(chat, params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        markup = self._markup(params)
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = _now()
        return self._message_json(message)

    def _edit_message_caption(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        message = self._find_message(chat, params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities, raw = self._caption(params)
        markup = self._markup(params)
        current = (message.caption, message.caption_entities, message.reply_markup)
        if (caption, entities, markup) == current:
            raise bad_request(_NOT_MODIFIED)
        message.caption, message.caption_entities, message.html = caption, entities, raw
        message.reply_markup = markup
        message.edit_date = _now()
        return self._message_json(message)

    def _delete_message(self, params: _Params) -> bool:
        chat = self._chat(params)
        message = self._find_message(chat, params, "message to delete not found")
        if not message.from_bot and chat.type != "private":
            # The fake bot is a plain member of groups, without the right to delete others.
            raise bad_request("message can't be deleted")
        message.deleted = True
        return True

    def _photo_from(
        self, value: str | None, uploads: dict[str, Upload], part: str
    ) -> list[dict[str, Any]]:
        upload = uploads.get(part)
        if upload is None and value and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file attachment {value} not found")
        if upload is not None:
            try:
                return self._store_photo(upload.data)
            except ValueError:
                raise bad_request("IMAGE_PROCESS_FAILED") from None
        if value and value in self._photo_sets:
            return self._photo_sets[value]
        if value and value in self._documents:
            raise bad_request("can't use file of type Document as Photo")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _send_photo(self, params: _Params) -> dict[str, Any]:
        chat = self._writable_chat(params)
        caption, entities, raw = self._caption(params)
        markup = self._markup(params)
        sizes = self._photo_from(params.text("photo"), params.uploads, "photo")
        message = self._bot_message(chat, params)
        message.photo = sizes
        message.caption, message.caption_entities, message.html = caption, entities, raw
        message.reply_markup = markup
        return self._message_json(message)

    def _send_media_group(self, params: _Params) -> list[dict[str, Any]]:
        chat = self._writable_chat(params)
        media = params.json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album: must be 2-10 items")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if len(kinds) != 1 or not kinds <= {"photo", "document"}:
            raise bad_request("can't use the media of the specified type in the album")
        prepared = []
        for item in media:
            item_params = _Params(item, {})
            caption, entities, raw = self._caption(item_params)
            source = item_params.text("media")
            if item["type"] == "photo":
                content: dict[str, Any] = {"photo": self._photo_from(source, params.uploads, "")}
            else:
                content = {"document": self._document_from(source, params.uploads)}
            prepared.append((content, caption, entities, raw))
        group_id = str(13_000_000_000_000_000 + next(self._serials))
        sent = []
        for content, caption, entities, raw in prepared:
            message = self._bot_message(chat, params)
            for key, value in content.items():
                setattr(message, key, value)
            message.caption, message.caption_entities, message.html = caption, entities, raw
            message.media_group_id = group_id
            sent.append(self._message_json(message))
        return sent

    def _document_from(self, value: str | None, uploads: dict[str, Upload]) -> dict[str, Any]:
        if value and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file attachment {value} not found")
            name = upload.filename or "file"
            stored = self._store_file(upload.data, "documents", name.rpartition(".")[2] or "bin")
            document = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": name,
                "mime_type": upload.content_type or "application/octet-stream",
                "file_size": len(upload.data),
            }
            self._documents[stored.file_id] = document
            return document
        if value and value in self._documents:
            return self._documents[value]
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _send_chat_action(self, params: _Params) -> bool:
        self._writable_chat(params)
        if params.text("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        if self._callback_queries.get(query_id, True):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        self._callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id, text=text, show_alert=params.flag("show_alert")
            )
        )
        return True

    def _get_file(self, params: _Params) -> dict[str, Any]:
        stored = self._files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    @staticmethod
    def _commands_key(params: _Params) -> tuple[str, str]:
        scope = params.json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.text("language_code") or ""

    def _set_my_commands(self, params: _Params) -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _BOT_COMMAND_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self._commands[self._commands_key(params)] = cleaned
        return True

    def _get_my_commands(self, params: _Params) -> list[dict[str, str]]:
        return list(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: _Params) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_chat(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        return {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        user_id = params.integer("user_id")
        if user_id == self.bot_id:
            return {"status": "member", "user": self._bot_user()}
        user = self._users.get(user_id or 0)
        if user is None:
            raise bad_request("user not found")
        status = "member" if user.id in self._members[chat.id] else "left"
        return {"status": status, "user": user.to_dict()}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve a fake Telegram Bot API on loopback.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--bot-username", default="plantbot_test")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Serve a fresh FakeTelegram on 127.0.0.1 until interrupted."""
    import uvicorn

    args = _parse_args(argv)
    fake = FakeTelegram(args.token, bot_username=args.bot_username)
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
