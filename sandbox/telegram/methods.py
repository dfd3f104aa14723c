"""The Bot API methods the fake answers, each checked the way Telegram checks it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sandbox.telegram.html import EntityParseError, parse_html, utf16_len
from sandbox.telegram.model import CallbackAnswer, StoredMessage, bad_request
from sandbox.telegram.params import Params, Upload
from sandbox.telegram.state import PRESENT, ChatState, World, member_json, now
from sandbox.telegram.updates import UpdateFeed

# Telegram counts these limits in UTF-16 code units of the text after entity parsing.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
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
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")

Handler = Callable[[Params], Any]


class BotMethods:
    """Answer Bot API calls against the world; every method runs under the world's lock."""

    def __init__(self, world: World, feed: UpdateFeed) -> None:
        self._world = world
        self._feed = feed
        self.callback_queries: dict[str, bool] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}

    def handlers(self) -> dict[str, Handler]:
        """Return the synchronous methods by canonical name (getUpdates is served apart)."""
        return {
            "getMe": self.get_me,
            "setWebhook": self._feed.set_webhook,
            "deleteWebhook": self._feed.delete_webhook,
            "getWebhookInfo": self._feed.webhook_info,
            "close": lambda _: True,
            "logOut": lambda _: True,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "editMessageCaption": self.edit_message_caption,
            "deleteMessage": self.delete_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendLocation": self.send_location,
            "sendMediaGroup": self.send_media_group,
            "sendChatAction": self.send_chat_action,
            "answerCallbackQuery": self.answer_callback_query,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "leaveChat": self.leave_chat,
        }

    # ------------------------------------------------------------------ shared checks

    def _chat(self, params: Params) -> ChatState:
        return self._world.chat_for_bot(params.text("chat_id"))

    def _writable_chat(self, params: Params) -> ChatState:
        state = self._chat(params)
        self._world.check_writable(state)
        return state

    @staticmethod
    def _find_message(state: ChatState, params: Params, missing: str) -> StoredMessage:
        if params.has("inline_message_id"):
            raise bad_request("the fake Telegram does not support inline messages")
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = state.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        return message

    def _own_message(self, params: Params) -> StoredMessage:
        state = self._writable_chat(params)
        message = self._find_message(state, params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _formatted(
        params: Params, text_key: str, entities_key: str
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

    def _message_text(self, params: Params) -> tuple[str, list[dict[str, Any]], str]:
        text, entities, raw = self._formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text, entities, raw

    def _caption(self, params: Params) -> tuple[str | None, list[dict[str, Any]], str | None]:
        if params.text("caption") is None:
            return None, [], None
        caption, entities, raw = self._formatted(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        if not caption.strip():
            return None, [], None
        return caption, entities, raw

    @staticmethod
    def _markup(params: Params) -> dict[str, Any] | None:
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
                _check_button(button)
        return markup

    def _reply_and_thread(self, state: ChatState, params: Params) -> tuple[int | None, int | None]:
        reply_parameters = params.json("reply_parameters")
        allow = params.flag("allow_sending_without_reply")
        reply_id: int | None = None
        if isinstance(reply_parameters, dict):
            reply_id = int(reply_parameters["message_id"])
            allow = allow or bool(reply_parameters.get("allow_sending_without_reply"))
        elif params.has("reply_to_message_id"):
            reply_id = params.integer("reply_to_message_id")
        thread_id = params.integer("message_thread_id")
        if thread_id is not None and thread_id not in state.topics:
            raise bad_request("message thread not found")
        if reply_id is not None:
            target = state.messages.get(reply_id)
            if target is None or target.deleted:
                if not allow:
                    raise bad_request("message to be replied not found")
                reply_id = None
            elif thread_id is None:
                thread_id = target.thread_id
        return reply_id, thread_id

    def _bot_message(self, state: ChatState, params: Params) -> StoredMessage:
        reply_id, thread_id = self._reply_and_thread(state, params)
        message = self._world.store(
            state, self._world.bot_user(), from_bot=True, thread_id=thread_id
        )
        message.reply_to = reply_id
        return message

    # ------------------------------------------------------------------ sending

    def get_me(self, params: Params) -> dict[str, Any]:
        """Answer getMe."""
        del params
        return {
            **self._world.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self._world.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def send_message(self, params: Params) -> dict[str, Any]:
        """Answer sendMessage."""
        state = self._writable_chat(params)
        text, entities, raw = self._message_text(params)
        markup = self._markup(params)
        message = self._bot_message(state, params)
        message.text, message.entities, message.html = text, entities, raw
        message.reply_markup = markup
        return self._world.message_json(message)

    def edit_message_text(self, params: Params) -> dict[str, Any]:
        """Answer editMessageText."""
        message = self._own_message(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities, raw = self._message_text(params)
        markup = self._markup(params)
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        message.text, message.entities, message.html = text, entities, raw
        message.reply_markup = markup
        message.edit_date = now()
        return self._world.message_json(message)

    def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        """Answer editMessageReplyMarkup."""
        message = self._own_message(params)
        markup = self._markup(params)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = now()
        return self._world.message_json(message)

    def edit_message_caption(self, params: Params) -> dict[str, Any]:
        """Answer editMessageCaption."""
        message = self._own_message(params)
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities, raw = self._caption(params)
        markup = self._markup(params)
        current = (message.caption, message.caption_entities, message.reply_markup)
        if (caption, entities, markup) == current:
            raise bad_request(NOT_MODIFIED)
        message.caption, message.caption_entities, message.html = caption, entities, raw
        message.reply_markup = markup
        message.edit_date = now()
        return self._world.message_json(message)

    def delete_message(self, params: Params) -> bool:
        """Answer deleteMessage."""
        state = self._writable_chat(params)
        message = self._find_message(state, params, "message to delete not found")
        admin = state.bot_status in ("administrator", "creator")
        if not message.from_bot and state.chat.type != "private" and not admin:
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
                return self._world.store_photo(upload.data)
            except ValueError:
                raise bad_request("IMAGE_PROCESS_FAILED") from None
        if value and value in self._world.photo_sets:
            return self._world.photo_sets[value]
        if value and value in self._world.documents:
            raise bad_request("can't use file of type Document as Photo")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _document_from(
        self, value: str | None, uploads: dict[str, Upload], part: str
    ) -> dict[str, Any]:
        upload = uploads.get(part)
        if upload is None and value and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file attachment {value} not found")
        if upload is not None:
            return self._world.store_document(
                upload.data,
                upload.filename or "file",
                upload.content_type or "application/octet-stream",
            )
        if value and value in self._world.documents:
            return self._world.documents[value]
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _send_media(self, params: Params, content: dict[str, Any]) -> dict[str, Any]:
        state = self._writable_chat(params)
        caption, entities, raw = self._caption(params)
        markup = self._markup(params)
        message = self._bot_message(state, params)
        for key, value in content.items():
            setattr(message, key, value)
        message.caption, message.caption_entities, message.html = caption, entities, raw
        message.reply_markup = markup
        return self._world.message_json(message)

    def send_photo(self, params: Params) -> dict[str, Any]:
        """Answer sendPhoto."""
        self._writable_chat(params)
        sizes = self._photo_from(params.text("photo"), params.uploads, "photo")
        return self._send_media(params, {"photo": sizes})

    def send_document(self, params: Params) -> dict[str, Any]:
        """Answer sendDocument."""
        self._writable_chat(params)
        document = self._document_from(params.text("document"), params.uploads, "document")
        return self._send_media(params, {"document": document})

    def send_location(self, params: Params) -> dict[str, Any]:
        """Answer sendLocation."""
        latitude, longitude = params.number("latitude"), params.number("longitude")
        if latitude is None or longitude is None:
            raise bad_request("wrong latitude or longitude specified")
        return self._send_media(
            params, {"location": {"latitude": latitude, "longitude": longitude}}
        )

    def send_media_group(self, params: Params) -> list[dict[str, Any]]:
        """Answer sendMediaGroup: photos, or documents, never both in one album."""
        state = self._writable_chat(params)
        media = params.json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album: must be 2-10 items")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if len(kinds) != 1 or not kinds <= {"photo", "document"}:
            raise bad_request("can't use the media of the specified type in the album")
        prepared = []
        for item in media:
            item_params = Params(item, {})
            caption, entities, raw = self._caption(item_params)
            source = item_params.text("media")
            if item["type"] == "photo":
                content: dict[str, Any] = {"photo": self._photo_from(source, params.uploads, "")}
            else:
                content = {"document": self._document_from(source, params.uploads, "")}
            prepared.append((content, caption, entities, raw))
        group_id = str(13_000_000_000_000_000 + next(self._world.serials))
        sent = []
        for content, caption, entities, raw in prepared:
            message = self._bot_message(state, params)
            for key, value in content.items():
                setattr(message, key, value)
            message.caption, message.caption_entities, message.html = caption, entities, raw
            message.media_group_id = group_id
            sent.append(self._world.message_json(message))
        return sent

    def send_chat_action(self, params: Params) -> bool:
        """Answer sendChatAction."""
        self._writable_chat(params)
        if params.text("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def answer_callback_query(self, params: Params) -> bool:
        """Answer answerCallbackQuery: each query once, text up to 200 UTF-16 units."""
        query_id = params.text("callback_query_id") or ""
        if self.callback_queries.get(query_id, True):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_queries[query_id] = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id, text=text, show_alert=params.flag("show_alert")
            )
        )
        return True

    def get_file(self, params: Params) -> dict[str, Any]:
        """Answer getFile: bots may download files up to 20 MB."""
        stored = self._world.files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        answer: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
        }
        if stored.size_known:
            answer["file_size"] = len(stored.data)
        return answer

    # ------------------------------------------------------------------ commands and chats

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.text("language_code") or ""

    def set_my_commands(self, params: Params) -> bool:
        """Answer setMyCommands."""
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

    def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        """Answer getMyCommands."""
        return list(self._commands.get(self._commands_key(params), []))

    def delete_my_commands(self, params: Params) -> bool:
        """Answer deleteMyCommands."""
        self._commands.pop(self._commands_key(params), None)
        return True

    def get_chat(self, params: Params) -> dict[str, Any]:
        """Answer getChat."""
        state = self._chat(params)
        return {
            **state.chat.to_dict(),
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

    def get_chat_member(self, params: Params) -> dict[str, Any]:
        """Answer getChatMember with the person's or the bot's current status."""
        state = self._chat(params)
        user_id = params.integer("user_id")
        if user_id == self._world.bot_id:
            return member_json(state.bot_status, self._world.bot_user())
        user = self._world.users.get(user_id or 0)
        if user is None:
            raise bad_request("user not found")
        return member_json(self._world.status_of(state, user.id), user.to_dict())

    def get_chat_administrators(self, params: Params) -> list[dict[str, Any]]:
        """Answer getChatAdministrators: the creator and administrators, bots included."""
        state = self._chat(params)
        if state.chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [
            member_json(status, self._world.users[user_id].to_dict())
            for user_id, status in state.statuses.items()
            if status in ("creator", "administrator")
        ]
        if state.bot_status == "administrator":
            admins.append(member_json("administrator", self._world.bot_user()))
        return admins

    def leave_chat(self, params: Params) -> bool:
        """Answer leaveChat: the bot leaves a group and hears nothing more from it."""
        state = self._chat(params)
        if state.chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        if state.bot_status not in PRESENT:
            self._world.check_writable(state)
        state.bot_status = "left"
        return True


def _check_button(button: Any) -> None:
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
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
