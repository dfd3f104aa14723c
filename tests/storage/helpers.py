"""Builders of storage inputs shared by the storage tests."""

from __future__ import annotations

from storage import IdentificationRequest, PhotoRef


def photo(n: int) -> PhotoRef:
    """Return a distinct photo reference numbered `n`."""
    return PhotoRef(
        file_id=f"file-{n}",
        file_unique_id=f"unique-{n}",
        message_id=1000 + n,
        file_size=50_000 + n,
        width=1280,
        height=960,
    )


def request(
    message_id: int = 1, *, chat_id: int = 42, photos: tuple[PhotoRef, ...] | None = None
) -> IdentificationRequest:
    """Return a new identification request for one photo message."""
    return IdentificationRequest(
        chat_id=chat_id,
        user_id=7,
        request_message_id=message_id,
        language="en",
        photos=photos if photos is not None else (photo(message_id),),
    )
