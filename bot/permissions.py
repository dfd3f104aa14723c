"""Who may press what under a result: the rules that matter once several people share a chat."""

from __future__ import annotations

from storage.models import IdentificationRecord


def may_confirm(record: IdentificationRecord, user_id: int) -> bool:
    """Tell whether this person may confirm a suggestion: the requester or the photo's author."""
    if not record.confirmable:
        return False
    return user_id == record.user_id or (
        record.photo_user_id is not None and user_id == record.photo_user_id
    )
