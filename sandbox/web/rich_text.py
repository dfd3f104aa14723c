"""Turn the bot's Telegram HTML into a safe tree of allowed tags that the page rebuilds as DOM."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

# Telegram's HTML parse mode: https://core.telegram.org/bots/api#html-style
_TAGS = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "a": "a",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "emoji",
}
_LINK_SCHEMES = ("http", "https", "tg", "mailto")

Node = str | dict[str, Any]


def safe_link(href: str | None) -> str | None:
    """Return `href` if a chat client may open it (web, tg: or mail links), else None."""
    if not href:
        return None
    scheme = urlsplit(href.strip()).scheme.lower()
    return href.strip() if scheme in _LINK_SCHEMES else None


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict[str, Any] = {"t": "root", "c": []}
        self._stack: list[tuple[str, dict[str, Any]]] = [("", self.root)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _TAGS.get(tag)
        if kind is None:
            # Unknown tags are dropped, their text kept, as nothing outside the subset renders.
            self._stack.append((tag, self._stack[-1][1]))
            return
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            self._stack.append((tag, self._stack[-1][1]))
            return
        node: dict[str, Any] = {"t": kind, "c": []}
        if kind == "a":
            href = safe_link(dict(attrs).get("href"))
            if href is not None:
                node["href"] = href
        self._stack[-1][1]["c"].append(node)
        self._stack.append((tag, node))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        children: list[Node] = self._stack[-1][1]["c"]
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def plain_text(nodes: list[Node]) -> str:
    """Return the text a person reads in `nodes`."""
    return "".join(node if isinstance(node, str) else plain_text(node["c"]) for node in nodes)


def rich_text(html: str | None, text: str | None) -> list[Node]:
    """Return `html` as nodes if it is the markup of `text`, else `text` as one plain node."""
    if html is None:
        return [text] if text else []
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    nodes: list[Node] = builder.root["c"]
    # A message sent without parse_mode keeps its raw text; only markup that reads as the
    # delivered text is markup, otherwise "<b>" typed by a person would turn bold.
    if text is not None and plain_text(nodes) != text:
        return [text]
    return nodes
