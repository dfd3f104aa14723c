"""What the storage layer returns: frozen dataclasses, no SQL."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import IdentificationRequest, IdentificationState, PhotoRef, ReplyTo

__all__ = ["IdentificationRecord", "IdentificationRequest", "IdentificationState", "PhotoRef"]


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
    lease_owner: str | None
    lease_until: float | None
    step_attempts: int
    last_error: str | None
    status_sent: bool
    status_attempts: int
    confirmed_at: float | None
    photos: tuple[PhotoRef, ...]
    media_group_id: str | None = None
    requester_name: str | None = None
    photo_user_id: int | None = None
    confirmable: bool = True
    location_source: str | None = None
    reused_from: int | None = None

    @property
    def reply_to(self) -> ReplyTo:
        """Return where answers about this identification go."""
        return ReplyTo(self.chat_id, self.request_message_id, self.message_thread_id)
