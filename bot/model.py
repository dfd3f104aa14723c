"""The shared vocabulary of the flow: requests, states, failure reasons and what a chat can refuse.

Handlers, the identification service and storage all speak these types; nothing here knows
Telegram, SQL or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IdentificationState(StrEnum):
    """Where an identification is in its life: received -> ... -> delivered, or failed."""

    RECEIVED = "received"
    SUBMITTING = "submitting"
    PENDING = "pending"
    COMPLETED = "completed"
    DELIVERED = "delivered"
    FAILED = "failed"


class WorkLane(StrEnum):
    """The independent kinds of work on stored identifications; none waits for another."""

    SUBMIT = "submit"
    POLL = "poll"
    DELIVER = "deliver"


class FailureReason(StrEnum):
    """Why an identification ended without a result; each has a localized message."""

    OUT_OF_CREDITS = "out_of_credits"
    TOO_BIG = "too_big"
    UNREADABLE = "unreadable"
    TIMED_OUT = "timed_out"
    REJECTED = "rejected"
    SERVICE = "service"
    GARBLED = "garbled"
    DOWNLOAD = "download"
    NOT_IMAGE = "not_image"
    TOO_LARGE = "too_large"

    @classmethod
    def parse(cls, stored: str | None) -> FailureReason:
        """Read a stored reason; an unknown or missing one (an older or newer bot) is SERVICE."""
        try:
            return cls(stored or cls.SERVICE)
        except ValueError:
            return cls.SERVICE


# Stored as the failure reason of an answer that could not reach anybody; never shown.
UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True)
class PhotoRef:
    """A Telegram photo (or image file) that belongs to an identification."""

    file_id: str
    file_unique_id: str
    message_id: int
    file_size: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class IdentificationRequest:
    """Who asked to identify which photos, where to answer, and in which language."""

    chat_id: int
    user_id: int
    request_message_id: int
    language: str
    photos: tuple[PhotoRef, ...]
    message_thread_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    # Set by bot.intake: albums, groups (who asked about whose photo) and where a place came from.
    media_group_id: str | None = None
    requester_name: str | None = None
    photo_user_id: int | None = None
    confirmable: bool = True
    location_source: str | None = None


@dataclass(frozen=True)
class ReplyTo:
    """Where the bot answers a request: the chat, the request message, and its forum topic."""

    chat_id: int
    message_id: int
    message_thread_id: int | None = None


class ChatError(Exception):
    """Telegram did not do what the flow asked; subclasses say what to do about it."""


class TryLater(ChatError):
    """A temporary failure (network, 5xx, flood control); the same call may work later."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        per_row: bool = False,
        failure: FailureReason | None = None,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        # True when the fault lies with this one request rather than a service being down.
        self.per_row = per_row
        # What the person is told if the attempts run out.
        self.failure = failure


class ChatUnwritable(ChatError):
    """The bot may not write to this chat any more (blocked, kicked, chat deleted)."""


class ChatMoved(ChatError):
    """The group became a supergroup; answers go to `new_chat_id` from now on."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class MessageRejected(ChatError):
    """Telegram refused this message for good (a 400 that repeating won't change)."""


class PhotoUnavailable(ChatError):
    """A photo can't be used; the identification fails with `reason`."""

    def __init__(self, reason: FailureReason) -> None:
        super().__init__(reason.value)
        self.reason = reason
