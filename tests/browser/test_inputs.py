"""In the browser sandbox: /identify as a reply in the group, and a shared location's rounded
coordinates in the Plant.id journal panel."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Steps
from tests.browser.pages import (
    become,
    bot_message_after,
    message_with_text,
    send_sample_photo,
    send_text,
    share_place,
)

RESULT_SECONDS = 60_000


def test_identify_as_a_reply_in_the_group(page: Page, steps: Steps) -> None:
    become(page, "anna", "group")
    send_sample_photo(page, "cornflower")
    steps.shot("anna-posts-a-photo-in-the-group")

    become(page, "ivan", "group")
    photo = page.locator("#messages .message.person").filter(has=page.locator("img")).last
    photo.locator(".reply-button").click()
    send_text(page, "/identify")
    command = message_with_text(page, "/identify")
    expect(command.locator(".quote")).to_be_visible()
    result = bot_message_after(page, command)
    expect(result).to_contain_text("Centaurea cyanus", timeout=RESULT_SECONDS)
    steps.shot("result-for-ivan-in-the-group")


def test_shared_location_reaches_plant_id_rounded(page: Page, steps: Steps) -> None:
    become(page, "sam", "private")
    share_place(page, "Berlin, Tiergarten")
    steps.shot("sam-shares-a-place")
    send_sample_photo(page, "daisy")
    enqueue = page.locator("#journal li").filter(has_text="enqueue_identification").first
    expect(enqueue).to_contain_text(re.compile(r"latitude: 52\.5\d?\b"), timeout=RESULT_SECONDS)
    expect(enqueue).to_contain_text(re.compile(r"longitude: 13\.3\d?\b"))
    # Plant.id needs the region, not the doorstep: the full coordinates must not leave.
    expect(enqueue).not_to_contain_text("52.514541")
    steps.shot("rounded-coordinates-in-the-journal")
