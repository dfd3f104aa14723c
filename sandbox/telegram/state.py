"""The fake Telegram's world: people, chats, memberships, messages and files, and their JSON."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sandbox.telegram.media import photo_sizes
from sandbox.telegram.model import (
    ApiError,
    ChatMessage,
    FakeChat,
    FakeUser,
    StoredFile,
    StoredMessage,
    bad_request,
    inline_buttons,
)

# Telegram's stand-in senders for messages sent on behalf of a chat, kept for old clients.
GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
TELEGRAM_SERVICE = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
MEMBER_STATUSES = ("creator", "administrator", "member", "left", "kicked")
PRESENT = frozenset({"creator", "administrator", "member"})
_THUMBNAIL_CACHE_SIZE = 64


def now() -> int:
    """Return the current Unix time in whole seconds, as the Bot API sends dates."""
    return int(time.time())


class Waiters:
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
class ChatState:
    """One chat's history, topics and members, and the bot's standing in it."""

    chat: FakeChat
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0
    topics: dict[int, str] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    migrated_to: int | None = None


def member_json(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """Return a ChatMember object of `status` with every field the Bot API requires."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        )
    elif status == "kicked":
        member["until_date"] = 0
    return member


class World:
    """Everything the fake Telegram knows, guarded by one re-entrant lock."""

    def __init__(self, *, bot_username: str, bot_id: int, privacy_mode: bool) -> None:
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.privacy_mode = privacy_mode
        self.lock = threading.RLock()
        self.waiters = Waiters()
        self.user_ids = itertools.count(1_000_001)
        self.group_ids = itertools.count(1_000_000_001)
        self.serials = itertools.count(1)
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, ChatState] = {}
        self.chats_by_username: dict[str, ChatState] = {}
        self.started: set[int] = set()
        self.blocked: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.photo_sets: dict[str, list[dict[str, Any]]] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self._thumbnails: OrderedDict[str, list[tuple[int, int, bytes]]] = OrderedDict()

    # ------------------------------------------------------------------ chats

    def register_chat(self, chat: FakeChat) -> ChatState:
        """Return the state of `chat`, creating it on first sight."""
        state = self.chats.get(chat.id)
        if state is None:
            state = self.chats[chat.id] = ChatState(chat)
            if chat.username:
                self.chats_by_username[chat.username.lower()] = state
        return state

    def state_of(self, chat: FakeChat) -> ChatState:
        """Return the state of a chat the tests created; ValueError for any other."""
        state = self.chats.get(chat.id)
        if state is None:
            raise ValueError(f"unknown chat {chat.id}; create it with private_chat/group")
        return state

    def chat_for_bot(self, raw: str | None) -> ChatState:
        """Resolve a bot's chat_id (number or @username) as Telegram does, 400 if unknown."""
        if not raw:
            raise bad_request("chat_id is empty")
        state: ChatState | None = None
        if raw.startswith("@"):
            state = self.chats_by_username.get(raw[1:].lower())
        else:
            with contextlib.suppress(ValueError):
                state = self.chats.get(int(raw))
        if state is None:
            raise bad_request("chat not found")
        if state.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": state.migrated_to},
            )
        return state

    def check_writable(self, state: ChatState) -> None:
        """Raise Telegram's 403 when the bot may not post in the chat."""
        chat = state.chat
        if chat.type == "private":
            if chat.id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat.id not in self.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return
        kind = "supergroup chat" if chat.type == "supergroup" else f"{chat.type} chat"
        if state.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        if state.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
        if chat.type == "channel" and state.bot_status not in ("administrator", "creator"):
            raise bad_request("need administrator rights in the channel chat")

    def status_of(self, state: ChatState, user_id: int) -> str:
        """Return a person's member status in a chat ("left" if never there)."""
        if state.chat.type == "private":
            return "member" if user_id == state.chat.id else "left"
        return state.statuses.get(user_id, "left")

    # ------------------------------------------------------------------ messages

    def store(
        self,
        state: ChatState,
        sender: dict[str, Any],
        *,
        from_bot: bool,
        thread_id: int | None = None,
    ) -> StoredMessage:
        """Append a new message to the chat and return it."""
        state.last_message_id += 1
        message = StoredMessage(
            chat=state.chat,
            message_id=state.last_message_id,
            date=now(),
            sender=sender,
            from_bot=from_bot,
            thread_id=thread_id,
        )
        state.messages[message.message_id] = message
        return message

    def bot_user(self) -> dict[str, Any]:
        """Return the bot's own User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Plantbot",
            "username": self.bot_username,
        }

    def message_json(self, message: StoredMessage, *, nested: bool = False) -> dict[str, Any]:
        """Return `message` as the Bot API's Message object."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": message.sender,
            "chat": message.chat.to_dict(),
            "date": message.date,
        }
        if message.sender_chat is not None:
            data["sender_chat"] = message.sender_chat.to_dict()
        if message.thread_id is not None:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        # In a forum topic a message that replies to nothing replies to the topic's root.
        reply_id = message.reply_to
        if reply_id is None and message.thread_id not in (None, message.message_id):
            reply_id = message.thread_id
        if reply_id is not None and not nested:
            target = self.chats[message.chat.id].messages.get(reply_id)
            if target is not None and not target.deleted:
                data["reply_to_message"] = self.message_json(target, nested=True)
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        for key in ("photo", "document", "location", "venue"):
            value = getattr(message, key)
            if value is not None:
                data[key] = value
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

    @staticmethod
    def chat_message(message: StoredMessage) -> ChatMessage:
        """Return `message` as a person sees it."""
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
            document=message.document is not None,
            location=message.location is not None,
            sender_chat_id=message.sender_chat.id if message.sender_chat else None,
        )

    # ------------------------------------------------------------------ files

    def store_file(self, data: bytes, folder: str, extension: str) -> StoredFile:
        """Keep `data` as a new file; identical bytes share one file_unique_id, as on Telegram."""
        serial = next(self.serials)
        prefix = "AgAC" if folder == "photos" else "BQAC"
        digest = hashlib.sha256(folder.encode() + b"/" + data).hexdigest()[:20]
        stored = StoredFile(
            file_id=f"{prefix}fake{serial:010d}",
            file_unique_id=f"AQAD{digest}",
            file_path=f"{folder}/file_{serial}.{extension}",
            data=data,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def store_photo(self, image: bytes) -> list[dict[str, Any]]:
        """Keep a photo as Telegram's sizes; return its PhotoSize list, ValueError if no image."""
        digest = hashlib.sha256(image).hexdigest()
        sizes = self._thumbnails.get(digest)
        if sizes is None:
            # Benchmarks send one picture thousands of times: scale it once.
            sizes = photo_sizes(image)
            self._thumbnails[digest] = sizes
            if len(self._thumbnails) > _THUMBNAIL_CACHE_SIZE:
                self._thumbnails.popitem(last=False)
        else:
            self._thumbnails.move_to_end(digest)
        photo: list[dict[str, Any]] = []
        for width, height, data in sizes:
            stored = self.store_file(data, "photos", "jpg")
            stored.width, stored.height = width, height
            photo.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(data),
                    "width": width,
                    "height": height,
                }
            )
        for size in photo:
            self.photo_sets[size["file_id"]] = photo
        return photo

    def store_document(
        self,
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        *,
        size_known: bool = True,
    ) -> dict[str, Any]:
        """Keep a document and return its Document object (file_size left out if unknown)."""
        stem, dot, suffix = (file_name or "").rpartition(".")
        extension = suffix if dot and stem and suffix.isalnum() else "bin"
        stored = self.store_file(data, "documents", extension.lower())
        stored.size_known = size_known
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if size_known:
            document["file_size"] = len(data)
        if file_name:
            document["file_name"] = file_name
        if mime_type:
            document["mime_type"] = mime_type
        self.documents[stored.file_id] = document
        return document
