"""What people do in chats: write, send photos, files and places, press buttons, block the bot."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sandbox.telegram.html import utf16_len
from sandbox.telegram.methods import BotMethods
from sandbox.telegram.model import DocumentFile, FakeChat, FakeUser, StoredMessage, inline_buttons
from sandbox.telegram.privacy import bot_receives
from sandbox.telegram.state import CHANNEL_BOT, GROUP_ANONYMOUS_BOT, ChatState, World, now
from sandbox.telegram.updates import UpdateFeed

_COMMAND_RE = re.compile(r"(?<![^\s])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{5,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[a-zA-Z0-9_]{5,32}")

Entities = list[dict[str, Any]]


def detect_entities(text: str) -> Entities:
    """Return the entities a Telegram client detects in typed text: commands and mentions."""
    found: Entities = []
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


class PeopleActions:
    """The people-side half of FakeTelegram: every method delivers what Telegram would."""

    bot_username: str
    _world: World
    _feed: UpdateFeed
    _bot_api: BotMethods

    def send_text(
        self,
        user: FakeUser,
        chat: FakeChat,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        entities: Entities | None = None,
        sender_chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """Deliver a text message typed by `user`; return the Message as in the update.

        `entities` replaces the detected commands and mentions; `sender_chat` posts on behalf
        of the group itself (an anonymous admin) or of a channel.
        """
        return self._person_says(
            user,
            chat,
            reply_to=reply_to,
            thread_id=thread_id,
            sender_chat=sender_chat,
            text=text,
            entities=detect_entities(text) if entities is None else entities,
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
        addressed_to: str | None = None,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """Deliver `/command [args]`, as `/command@bot` or `/command@<addressed_to>` if asked."""
        text = "/" + command.removeprefix("/")
        if mention_bot or addressed_to:
            text += f"@{addressed_to or self.bot_username}"
        if args:
            text += f" {args}"
        return self.send_text(
            user, chat, text, reply_to=reply_to, thread_id=thread_id, sender_chat=sender_chat
        )

    def send_mention(
        self,
        user: FakeUser,
        chat: FakeChat,
        text_after_mention: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Deliver `@bot text` with a mention entity."""
        return self.send_text(
            user,
            chat,
            f"@{self.bot_username} {text_after_mention}",
            reply_to=reply_to,
            thread_id=thread_id,
        )

    def send_photo(
        self,
        user: FakeUser,
        chat: FakeChat,
        image: bytes,
        *,
        caption: str | None = None,
        caption_entities: Entities | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """Deliver a photo (stored as several sizes, the original largest)."""
        with self._world.lock:
            sizes = self._world.store_photo(image)
            return self._person_says(
                user,
                chat,
                reply_to=reply_to,
                thread_id=thread_id,
                sender_chat=sender_chat,
                photo=sizes,
                **_caption(caption, caption_entities),
            )

    def send_document(
        self,
        user: FakeUser,
        chat: FakeChat,
        data: bytes,
        *,
        file_name: str | None = "plant.jpg",
        mime_type: str | None = "image/jpeg",
        caption: str | None = None,
        caption_entities: Entities | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
        size_known: bool = True,
    ) -> dict[str, Any]:
        """Deliver a file sent as a document (uncompressed), with its name, type and size."""
        with self._world.lock:
            document = self._world.store_document(data, file_name, mime_type, size_known=size_known)
            return self._person_says(
                user,
                chat,
                reply_to=reply_to,
                thread_id=thread_id,
                sender_chat=sender_chat,
                document=document,
                **_caption(caption, caption_entities),
            )

    def send_album(
        self,
        user: FakeUser,
        chat: FakeChat,
        images: Sequence[bytes | DocumentFile],
        *,
        caption: str | None = None,
        caption_entities: Entities | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
    ) -> list[dict[str, Any]]:
        """Deliver 2-10 photos or documents sharing one media_group_id, caption on the first.

        Each part is its own update, as on Telegram; bytes are photos, DocumentFile documents.
        """
        if not 2 <= len(images) <= 10:
            raise ValueError("an album has 2-10 items")
        if len({isinstance(item, DocumentFile) for item in images}) != 1:
            # Telegram groups documents only with documents, never with photos.
            raise ValueError("an album holds either photos or documents, not both")
        with self._world.lock:
            group_id = str(13_000_000_000_000_000 + next(self._world.serials))
            delivered = []
            for index, item in enumerate(images):
                content: dict[str, Any]
                if isinstance(item, DocumentFile):
                    document = self._world.store_document(item.data, item.file_name, item.mime_type)
                    content = {"document": document}
                else:
                    content = {"photo": self._world.store_photo(item)}
                if index == 0:
                    content.update(_caption(caption, caption_entities))
                delivered.append(
                    self._person_says(
                        user,
                        chat,
                        reply_to=reply_to if index == 0 else None,
                        thread_id=thread_id,
                        sender_chat=sender_chat,
                        media_group_id=group_id,
                        **content,
                    )
                )
            return delivered

    def send_location(
        self,
        user: FakeUser,
        chat: FakeChat,
        latitude: float,
        longitude: float,
        *,
        live_period: int | None = None,
        horizontal_accuracy: float | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Deliver a location pin; with `live_period` (seconds) the first point of a live one."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        if live_period is not None:
            location["live_period"] = live_period
        return self._person_says(
            user, chat, reply_to=reply_to, thread_id=thread_id, location=location
        )

    def move_live_location(
        self,
        user: FakeUser,
        chat: FakeChat,
        message_id: int,
        latitude: float,
        longitude: float,
    ) -> dict[str, Any]:
        """Move a live location; the bot gets it as an edited_message update."""
        with self._world.lock:
            state = self._world.state_of(chat)
            message = state.messages.get(message_id)
            if message is None or message.location is None:
                raise ValueError(f"no location message {message_id} in chat {chat.id}")
            if "live_period" not in message.location or message.sender.get("id") != user.id:
                raise ValueError("only the sender of a live location can move it")
            message.location = {**message.location, "latitude": latitude, "longitude": longitude}
            message.edit_date = now()
            payload = self._world.message_json(message)
            if self._receives(state, message, None):
                self._feed.push("edited_message", payload)
            return payload

    def send_venue(
        self,
        user: FakeUser,
        chat: FakeChat,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Deliver a venue (a named place); Telegram sends its location alongside."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._person_says(
            user,
            chat,
            reply_to=reply_to,
            thread_id=thread_id,
            location=location,
            venue={"location": location, "title": title, "address": address},
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
        with self._world.lock:
            state = self._world.state_of(chat)
            message = state.messages.get(message_id)
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
            query_id = str(7_000_000_000_000_000 + next(self._world.serials))
            self._bot_api.callback_queries[query_id] = False
            self._feed.push(
                "callback_query",
                {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": self._world.message_json(message),
                    "chat_instance": str(-4_000_000_000_000_000 - abs(chat.id)),
                    "data": callback_data,
                },
            )
            return query_id

    def user_deletes_message(self, chat: FakeChat, message_id: int) -> None:
        """Delete a message as a person does; bots are not told."""
        with self._world.lock:
            message = self._world.state_of(chat).messages.get(message_id)
            if message is None:
                raise ValueError(f"no message {message_id} in chat {chat.id}")
            message.deleted = True
        self._world.waiters.notify_all()

    def user_blocks_bot(self, user: FakeUser) -> None:
        """Block the bot: its messages to `user` fail with 403 from now on."""
        with self._world.lock:
            self._world.blocked.add(user.id)
        self._world.waiters.notify_all()

    def user_unblocks_bot(self, user: FakeUser) -> None:
        """Unblock the bot: it may write to `user` again."""
        with self._world.lock:
            self._world.blocked.discard(user.id)
        self._world.waiters.notify_all()

    # ------------------------------------------------------------------ delivery

    def _receives(
        self, state: ChatState, message: StoredMessage, reply_target: StoredMessage | None
    ) -> bool:
        return bot_receives(
            message,
            reply_target=reply_target,
            bot_username=self.bot_username,
            privacy_mode=self._world.privacy_mode,
            bot_status=state.bot_status,
        )

    def _person_says(
        self,
        user: FakeUser,
        chat: FakeChat,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        world = self._world
        with world.lock:
            state = world.state_of(chat)
            if state.migrated_to is not None:
                raise ValueError(f"group {chat.id} became supergroup {state.migrated_to}")
            if chat.type == "channel":
                raise ValueError("people post in channels as the channel: use sender_chat")
            if chat.type == "private" and chat.id != user.id:
                raise ValueError("only the chat's own user can write in a private chat")
            sender = self._sender(state, user, sender_chat)
            reply_target = None
            if reply_to is not None:
                reply_target = state.messages.get(reply_to)
                if reply_target is None or reply_target.deleted:
                    raise ValueError(f"no message {reply_to} to reply to in chat {chat.id}")
                thread_id = thread_id or reply_target.thread_id
            if thread_id is not None and thread_id not in state.topics:
                raise ValueError(f"no topic {thread_id} in chat {chat.id}")
            message = world.store(state, sender, from_bot=False, thread_id=thread_id)
            message.reply_to = reply_to
            message.sender_chat = sender_chat
            for key, value in content.items():
                setattr(message, key, value)
            message.html = message.text if message.text is not None else message.caption
            if chat.type == "private":
                world.started.add(user.id)
            payload = world.message_json(message)
            if self._receives(state, message, reply_target):
                self._feed.push("message", payload)
            else:
                world.waiters.notify_all()
            return payload

    def _sender(
        self, state: ChatState, user: FakeUser, sender_chat: FakeChat | None
    ) -> dict[str, Any]:
        if sender_chat is None:
            status = self._world.status_of(state, user.id)
            if status == "kicked":
                raise ValueError(f"{user.first_name} was banned from chat {state.chat.id}")
            if state.chat.type != "private" and status == "left":
                # Writing in a group the tests never joined them to: they joined before.
                state.statuses[user.id] = "member"
            return user.to_dict()
        if sender_chat.id == state.chat.id:
            if self._world.status_of(state, user.id) not in ("creator", "administrator"):
                raise ValueError("only administrators can write anonymously")
            return dict(GROUP_ANONYMOUS_BOT)
        if sender_chat.type != "channel":
            raise ValueError("sender_chat is the group itself or a channel")
        return dict(CHANNEL_BOT)


def _caption(caption: str | None, entities: Entities | None) -> dict[str, Any]:
    if caption is None:
        return {}
    return {
        "caption": caption,
        "caption_entities": detect_entities(caption) if entities is None else entities,
    }
