"""Inline-button payloads: short, versioned, and pointing at our own rows."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Telegram allows 1-64 bytes of callback data; "c1:<row id>:<index>" stays under 20.
_CONFIRM_PATTERN = re.compile(r"c1:(?P<identification>[1-9]\d{0,17}):(?P<index>\d)")


@dataclass(frozen=True)
class ConfirmPress:
    """A press on the button of suggestion `index` under identification `identification_id`."""

    identification_id: int
    index: int


def confirm_data(identification_id: int, index: int) -> str:
    """Encode the payload of a confirm button."""
    return f"c1:{identification_id}:{index}"


def parse_callback(data: str | None) -> ConfirmPress | None:
    """Decode a button payload; anything unknown, old or malformed gives None."""
    match = _CONFIRM_PATTERN.fullmatch(data or "")
    if match is None:
        return None
    return ConfirmPress(int(match["identification"]), int(match["index"]))
