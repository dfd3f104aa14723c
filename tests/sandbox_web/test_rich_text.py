"""Bot messages keep Telegram's formatting and nothing else: no tags, no scripts, no odd links."""

from __future__ import annotations

from sandbox.web.rich_text import plain_text, rich_text


def test_telegram_tags_become_nodes() -> None:
    html = (
        '<b>Sunflower</b> (<i>Helianthus</i>) <a href="https://example.org/x">wiki</a> '
        "<code>c</code>"
    )
    nodes = rich_text(html, "Sunflower (Helianthus) wiki c")
    assert nodes == [
        {"t": "b", "c": ["Sunflower"]},
        " (",
        {"t": "i", "c": ["Helianthus"]},
        ") ",
        {"t": "a", "c": ["wiki"], "href": "https://example.org/x"},
        " ",
        {"t": "code", "c": ["c"]},
    ]


def test_scripts_and_unknown_tags_are_dropped_and_their_text_kept_as_text() -> None:
    html = '<b>hi</b><script>alert(1)</script><img src=x onerror="alert(2)">'
    nodes = rich_text(html, "hialert(1)")
    assert plain_text(nodes) == "hialert(1)"
    assert all(isinstance(n, str) or n["t"] == "b" for n in nodes)


def test_javascript_links_lose_their_target() -> None:
    nodes = rich_text('<a href="javascript:alert(1)">click</a>', "click")
    assert nodes == [{"t": "a", "c": ["click"]}]


def test_text_sent_without_parse_mode_stays_literal() -> None:
    assert rich_text("<b>not bold</b> &amp;", "<b>not bold</b> &amp;") == ["<b>not bold</b> &amp;"]
