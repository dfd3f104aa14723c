"""A stateful fake of the Telegram Bot API that the unmodified python-telegram-bot stack talks to.

Tests act as people through `FakeTelegram`'s builder and action methods, and read what the bot
did through `calls`, `messages()` and `callback_answers()`. Modules by job: `chats` (build the
world), `people` (act in it), `methods` (the Bot API methods), `updates` (queue, long polling,
webhooks), `app` (HTTP, call log), `faults`, `privacy`, `state`, `model`, `html`, `params`.
"""

from sandbox.telegram.fake import FakeTelegram
from sandbox.telegram.faults import FAULT_KINDS, SENDING_METHODS
from sandbox.telegram.model import (
    ApiCall,
    ApiError,
    Button,
    CallbackAnswer,
    ChatMessage,
    DocumentFile,
    FakeChat,
    FakeUser,
)
from sandbox.telegram.server import main

__all__ = [
    "FAULT_KINDS",
    "SENDING_METHODS",
    "ApiCall",
    "ApiError",
    "Button",
    "CallbackAnswer",
    "ChatMessage",
    "DocumentFile",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "main",
]
