"""Decide whether a message asks the bot to identify a plant, and which message holds it.

Pure functions over plain facts, so every rule of the group chat is tested without Telegram.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

IDENTIFY_COMMAND = "identify"
# Catalogue values hold several phrases in one string, separated by this character.
PHRASE_SEPARATOR = "|"

_COMMAND = re.compile(r"^/(?P<command>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]{3,64}))?(?:\s|$)")


class Ask(StrEnum):
    """What a message asks of the bot."""

    NOTHING = "nothing"
    THIS = "this"  # identify the image in this very message
    REPLIED = "replied"  # identify the image in the message this one replies to
    NEEDS_PHOTO = "needs_photo"  # asked, but there is no image to look at
    ALBUM_PART = "album_part"  # not asked, but part of an album someone may ask about


@dataclass(frozen=True)
class MessageFacts:
    """What the trigger rules need to know about one incoming message."""

    private: bool
    text: str  # the text, or the caption of a photo or file
    has_image: bool  # a photo, or a file that may be an image
    looks_like_image: bool  # a photo, or a file Telegram calls an image
    in_album: bool
    replied_has_image: bool
    replied_to_bot: bool


def normalize(text: str) -> str:
    """Fold case and drop punctuation, symbols and emoji so phrases match however typed."""
    kept = [
        char if unicodedata.category(char)[0] in "LN" else " "
        for char in unicodedata.normalize("NFKC", text).casefold()
    ]
    return " ".join("".join(kept).split())


def split_phrases(values: Iterable[str]) -> frozenset[str]:
    """Turn catalogue values (phrases joined by `|`) into normalized phrases."""
    return frozenset(
        phrase
        for value in values
        for phrase in (normalize(part) for part in value.split(PHRASE_SEPARATOR))
        if phrase
    )


def asks_what_plant(text: str, phrases: Iterable[str]) -> bool:
    """Tell whether the text contains one of the normalized phrases, as whole words."""
    padded = f" {normalize(text)} "
    return any(f" {phrase} " in padded for phrase in phrases)


def command_of(text: str, bot_username: str) -> str | None:
    """Return the command a text starts with, if it is addressed to this bot or to no bot."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    addressee = match["bot"]
    if addressee is not None and addressee.lower() != bot_username.lower():
        return None
    return match["command"].lower()


def mentions(text: str, bot_username: str) -> bool:
    """Tell whether the text mentions the bot by its @username."""
    pattern = rf"(?<![A-Za-z0-9_])@{re.escape(bot_username)}(?![A-Za-z0-9_])"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def decide(
    facts: MessageFacts, *, bot_username: str, phrases: Iterable[str], autoidentify: bool
) -> Ask:
    """Return what the message asks for, by the rules of its kind of chat."""
    command = command_of(facts.text, bot_username)
    asked = command == IDENTIFY_COMMAND
    if facts.has_image:
        if facts.private or asked or mentions(facts.text, bot_username) or facts.replied_to_bot:
            return Ask.THIS
        if autoidentify and facts.looks_like_image:
            return Ask.THIS
        return Ask.ALBUM_PART if facts.in_album else Ask.NOTHING
    if asked:
        return Ask.REPLIED if facts.replied_has_image else Ask.NEEDS_PHOTO
    if command is not None:
        return Ask.NOTHING
    question = asks_what_plant(facts.text, phrases)
    if mentions(facts.text, bot_username):
        if facts.replied_has_image:
            return Ask.REPLIED
        return Ask.NEEDS_PHOTO if question else Ask.NOTHING
    if question and facts.replied_has_image and not facts.private:
        return Ask.REPLIED
    return Ask.NOTHING
