"""Parse Telegram's HTML parse mode into plain text and message entities, like the Bot API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{1,8});")
_NAME_RE = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z0-9_-]*")
_UNQUOTED_VALUE_RE = re.compile(r"[^\s>]*")


class EntityParseError(ValueError):
    """Text in HTML parse mode that Telegram refuses, with Telegram's reason."""


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int
    language: str | None = None


def utf16_len(text: str) -> int:
    """Return the length of `text` in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """Return the part of `text` an entity's UTF-16 `offset` and `length` cover."""
    units = text.encode("utf-16-le")
    return units[2 * offset : 2 * (offset + length)].decode("utf-16-le", "replace")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(match: re.Match[str]) -> str | None:
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        return _NAMED_ENTITIES.get(body.lower())
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _read_entity(source: str, index: int) -> tuple[str, int]:
    match = _ENTITY_RE.match(source, index)
    decoded = _decode_entity(match) if match else None
    if match is None or decoded is None:
        # The Bot API requires every '&' outside a tag to start an HTML entity.
        raise EntityParseError(
            f'Unsupported HTML entity or unescaped "&" at byte offset {_byte_offset(source, index)}'
        )
    return decoded, match.end()


def _read_attributes(source: str, index: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    attrs: dict[str, str] = {}
    length = len(source)
    offset = _byte_offset(source, begin)
    while True:
        while index < length and source[index].isspace():
            index += 1
        if index >= length:
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        if source[index] == ">":
            return attrs, index + 1
        name_match = _ATTR_NAME_RE.match(source, index)
        attr = name_match.group(0).lower() if name_match else ""
        if not attr:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {offset}'
            )
        index += len(attr)
        while index < length and source[index].isspace():
            index += 1
        if index < length and source[index] == "=":
            index += 1
            while index < length and source[index].isspace():
                index += 1
            if index >= length:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
            quote = source[index]
            if quote in "\"'":
                end = source.find(quote, index + 1)
                if end < 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
                raw = source[index + 1 : end]
                index = end + 1
            else:
                value_match = _UNQUOTED_VALUE_RE.match(source, index)
                raw = value_match.group(0) if value_match else ""
                index += len(raw)
            attrs[attr] = _ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(0), raw)
        else:
            # Valueless attributes such as <blockquote expandable>.
            attrs[attr] = ""


def _entity_for(tag: _OpenTag, offset: int, length: int) -> dict[str, Any] | None:
    kind = _ENTITY_TYPES[tag.name]
    entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        href = tag.attrs.get("href", "").strip()
        if not href:
            return None
        entity["url"] = href
    elif kind == "pre" and tag.language:
        entity["language"] = tag.language
    elif kind == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
    return entity


def _validate_start_tag(tag: str, attrs: dict[str, str], begin_offset: int) -> None:
    if tag not in _ENTITY_TYPES:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin_offset}')
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {begin_offset}'
        )
    if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise EntityParseError(
            f'Tag "tg-emoji" must have a numeric "emoji-id" at byte offset {begin_offset}'
        )


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the text and entities Telegram derives from `source` in HTML parse mode."""
    parts: list[str] = []
    position = 0  # UTF-16 length of the text produced so far
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        if char == "&":
            decoded, index = _read_entity(source, index)
            parts.append(decoded)
            position += utf16_len(decoded)
            continue
        if char != "<":
            parts.append(char)
            position += utf16_len(char)
            index += 1
            continue
        begin = index
        begin_offset = _byte_offset(source, begin)
        index += 1
        if index < length and source[index] == "/":
            end = source.find(">", index)
            if end < 0:
                raise EntityParseError(f"Unclosed end tag at byte offset {begin_offset}")
            name = source[index + 1 : end].strip().lower()
            index = end + 1
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {begin_offset}")
            if name != stack[-1].name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {begin_offset}, expected "</'
                    f'{stack[-1].name}>", found "</{name}>"'
                )
            closed = stack.pop()
            parent = stack[-1] if stack else None
            language = closed.attrs.get("class", "")
            if closed.name == "code" and parent is not None and parent.name == "pre":
                # <pre><code class="language-x"> is one pre entity with a language.
                if language.startswith("language-"):
                    parent.language = language.removeprefix("language-")
                continue
            if position > closed.start:
                entity = _entity_for(closed, closed.start, position - closed.start)
                if entity is not None:
                    entities.append(entity)
            continue
        name_match = _NAME_RE.match(source, index)
        tag = name_match.group(0).lower() if name_match else ""
        index += len(tag)
        if index >= length:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin_offset}")
        if not tag or not (source[index].isspace() or source[index] == ">"):
            # A bare '<' in text: Telegram reads it as the start of an unknown tag.
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin_offset}')
        attrs, index = _read_attributes(source, index, tag, begin)
        _validate_start_tag(tag, attrs, begin_offset)
        stack.append(_OpenTag(name=tag, attrs=attrs, start=position))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(parts), entities
