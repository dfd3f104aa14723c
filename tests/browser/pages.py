"""What a person does on the sandbox page, in words of the page."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from bot.i18n import Translator


def plain(html: str) -> str:
    """Return catalogue text as a person reads it, without tags."""
    return re.sub(r"<[^>]+>", "", html)


def catalogue() -> Translator:
    """Return the bot's own catalogue, so tests read what the bot says in each language."""
    return Translator.from_package()


def become(page: Page, person: str, chat: str) -> None:
    """Switch "you are" to `person` and open `chat` ("private", "group" or "topic")."""
    page.select_option("#person", person)
    page.click(f".chat-item[data-chat={chat}]")
    expect(page.locator(f".chat-item[data-chat={chat}]")).to_have_class(re.compile("active"))


def send_sample_photo(page: Page, sample: str) -> None:
    """Send a bundled sample as a photo."""
    page.click("#attach-photo")
    page.click(f".sample[data-sample={sample}]")
    page.click("#picker-send")
    expect(page.locator("#picker")).to_be_hidden()


def bot_message_after(page: Page, person_message: Locator) -> Locator:
    """Return the bot's first message after `person_message`."""
    return person_message.locator("xpath=following-sibling::div[contains(@class,'bot')][1]")


def last_person_message(page: Page) -> Locator:
    """Return the last message a person sent in the open chat."""
    return page.locator("#messages .message.person").last


def switch(page: Page, name: str, on: bool) -> None:
    """Turn an emulator fault switch on or off in the side panel."""
    box = page.locator(f"#{name}")
    if on:
        box.check()
    else:
        box.uncheck()


def send_text(page: Page, text: str) -> None:
    """Type `text` into the composer and send it."""
    page.fill("#text", text)
    page.click("#send")
    expect(page.locator("#text")).to_have_value("")


def message_with_text(page: Page, text: str) -> Locator:
    """Return the message in the open chat whose text contains `text`."""
    return page.locator("#messages .message").filter(has_text=text).last


def share_place(page: Page, place: str) -> None:
    """Share one of the preset places as a location."""
    page.click("#attach-location")
    page.click(f".places button[data-place='{place}']")
    page.click("#picker-send")
    expect(page.locator("#picker")).to_be_hidden()
