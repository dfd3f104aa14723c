"""Inline-button payloads: short, versioned, and pointing at our own rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# Telegram allows 1-64 bytes of callback data; every payload here stays under 32:
#   c1:<row id>:<index or n>   confirm a suggestion, or "none of these"
#   a1:<row id>:<action>       compare / more / health / show anyway
#   y1:<offset>  y1:r<row id>  history page, or "take me to that result"
#   f1:y  f1:n                 forget everything, or cancel
#   l1:<language>              interface language
_CONFIRM_PATTERN = re.compile(r"c1:(?P<identification>[1-9]\d{0,17}):(?P<index>\d|n)")
_ACTION_PATTERN = re.compile(r"a1:(?P<identification>[1-9]\d{0,17}):(?P<action>[pmhs])")
_HISTORY_PATTERN = re.compile(r"y1:(?:(?P<offset>\d{1,4})|r(?P<identification>[1-9]\d{0,17}))")
_FORGET_PATTERN = re.compile(r"f1:(?P<answer>[yn])")
_LANGUAGE_PATTERN = re.compile(r"l1:(?P<language>[a-z]{2,3})")


@dataclass(frozen=True)
class ConfirmPress:
    """A press on suggestion `index` of identification `identification_id` (None: none of these)."""

    identification_id: int
    index: int | None


class ResultAction(StrEnum):
    """The buttons under a result besides the confirm buttons."""

    COMPARE = "p"
    MORE = "m"
    HEALTH = "h"
    SHOW_ANYWAY = "s"


@dataclass(frozen=True)
class ActionPress:
    """A press on one of the result's action buttons."""

    identification_id: int
    action: ResultAction


@dataclass(frozen=True)
class HistoryPress:
    """A press in /history: a page starting at `offset`, or one entry (`identification_id`)."""

    offset: int = 0
    identification_id: int | None = None


@dataclass(frozen=True)
class ForgetPress:
    """The answer to "delete everything?"."""

    confirmed: bool


@dataclass(frozen=True)
class LanguagePress:
    """A choice of interface language."""

    language: str


Press = ConfirmPress | ActionPress | HistoryPress | ForgetPress | LanguagePress


def confirm_data(identification_id: int, index: int | None) -> str:
    """Encode the payload of a confirm button (index None: "none of these")."""
    return f"c1:{identification_id}:{'n' if index is None else index}"


def action_data(identification_id: int, action: ResultAction) -> str:
    """Encode the payload of a result action button."""
    return f"a1:{identification_id}:{action.value}"


def history_page_data(offset: int) -> str:
    """Encode the payload of a /history page button."""
    return f"y1:{offset}"


def history_entry_data(identification_id: int) -> str:
    """Encode the payload of a /history entry button."""
    return f"y1:r{identification_id}"


def forget_data(confirmed: bool) -> str:
    """Encode the payload of the /forget buttons."""
    return "f1:y" if confirmed else "f1:n"


def language_data(language: str) -> str:
    """Encode the payload of a /language button."""
    return f"l1:{language}"


def parse_callback(data: str | None) -> Press | None:
    """Decode a button payload; anything unknown, old or malformed gives None."""
    text = data or ""
    if match := _CONFIRM_PATTERN.fullmatch(text):
        index = None if match["index"] == "n" else int(match["index"])
        return ConfirmPress(int(match["identification"]), index)
    if match := _ACTION_PATTERN.fullmatch(text):
        return ActionPress(int(match["identification"]), ResultAction(match["action"]))
    if match := _HISTORY_PATTERN.fullmatch(text):
        if match["identification"] is not None:
            return HistoryPress(identification_id=int(match["identification"]))
        return HistoryPress(offset=int(match["offset"]))
    if match := _FORGET_PATTERN.fullmatch(text):
        return ForgetPress(match["answer"] == "y")
    if match := _LANGUAGE_PATTERN.fullmatch(text):
        return LanguagePress(match["language"])
    return None
