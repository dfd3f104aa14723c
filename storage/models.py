"""Domain types that the storage layer returns: frozen dataclasses, no SQL."""

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


@dataclass(frozen=True)
class PhotoRef:
    """A Telegram photo that belongs to an identification."""

    file_id: str
    file_unique_id: str
    message_id: int
    file_size: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class NewIdentification:
    """What the bot knows about a request when it first receives it."""

    chat_id: int
    user_id: int
    request_message_id: int
    language: str
    photos: tuple[PhotoRef, ...]
    message_thread_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class IdentificationRecord:
    """A stored identification with its photos in album order."""

    id: int
    chat_id: int
    user_id: int
    request_message_id: int
    message_thread_id: int | None
    status_message_id: int | None
    result_message_id: int | None
    language: str
    latitude: float | None
    longitude: float | None
    custom_id: int | None
    plantid_id: int | None
    state: IdentificationState
    failure_reason: str | None
    attempts: int
    polls: int
    created_at: float
    updated_at: float
    next_attempt_at: float
    unavailable_since: float | None
    delay_notified: bool
    result_json: str | None
    confirmed_suggestion_id: int | None
    notified_at: float | None
    photos: tuple[PhotoRef, ...]
