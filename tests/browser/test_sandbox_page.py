"""A person tries the bot in the sandbox's web chat, in real headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Steps
from tests.browser.pages import (
    become,
    bot_message_after,
    catalogue,
    last_person_message,
    message_with_text,
    plain,
    send_sample_photo,
    send_text,
    share_place,
    switch,
)

RESULT_SECONDS = 60_000
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "sandbox.png"


def test_photo_as_anna_becomes_a_german_result_she_can_confirm(page: Page, steps: Steps) -> None:
    translate = catalogue()
    become(page, "anna", "private")
    page.check("#hold")
    expect(page.locator("#delay")).to_be_disabled()
    steps.shot("anna-in-private-chat")

    send_sample_photo(page, "sunflower")
    photo = last_person_message(page)
    expect(photo.locator("img")).to_be_visible()
    status = bot_message_after(page, photo)
    expect(status).to_contain_text(translate("de", "status_looking"))
    expect(page.locator("#pending li[data-id]")).to_have_count(1)
    steps.shot("status-while-plant-id-works")

    page.locator("#pending li[data-id] button.finish").click()
    expect(status).to_contain_text(plain(translate("de", "result_title")), timeout=RESULT_SECONDS)
    expect(status).to_contain_text("Helianthus annuus")
    expect(status.locator(".text b").first).to_be_visible()
    expect(status.locator(".text a").first).to_have_attribute("href", re.compile("^https://"))
    steps.shot("german-result")

    first_button = status.locator(".inline-keyboard button").first
    name = first_button.inner_text().removeprefix(translate("de", "button_this_is_it", name=""))
    first_button.click()
    expect(page.locator("#toasts .toast")).to_have_text(translate("de", "confirm_done", name=name))
    expect(status.locator(".inline-keyboard button").first).to_have_text(
        translate("de", "button_confirmed", name=name)
    )
    expect(page.locator("#journal")).to_contain_text("confirm_suggestion")
    shot = steps.shot("confirmed-with-toast")
    README_SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, README_SCREENSHOT)


def test_bot_recovers_when_plant_id_comes_back_after_an_outage(page: Page, steps: Steps) -> None:
    translate = catalogue()
    become(page, "anna", "private")
    switch(page, "outage", on=True)
    send_sample_photo(page, "poppy")
    photo = last_person_message(page)
    status = bot_message_after(page, photo)
    expect(status).to_contain_text(translate("de", "status_looking"))
    expect(
        page.locator("#journal li").filter(has_text="enqueue_identification").first
    ).to_contain_text("503")
    steps.shot("outage-bot-waits")

    switch(page, "outage", on=False)
    expect(status).to_contain_text("Papaver rhoeas", timeout=RESULT_SECONDS)
    expect(status).not_to_contain_text(plain(translate("de", "failed_service")))
    steps.shot("result-after-outage")


def test_group_shows_who_said_what_replies_albums_files_and_places(
    page: Page, steps: Steps
) -> None:
    become(page, "ivan", "group")
    send_text(page, "Кто знает, что это за цветок?")
    become(page, "sam", "group")
    question = message_with_text(page, "Кто знает")
    expect(question.locator(".sender")).to_have_text("Ivan")
    question.locator(".reply-button").click()
    expect(page.locator("#reply-preview")).to_have_text("Кто знает, что это за цветок?")
    send_text(page, "No idea, ask the bot")
    answer = message_with_text(page, "No idea")
    expect(answer.locator(".quote")).to_have_text("Кто знает, что это за цветок?")
    expect(answer).to_have_class(re.compile("mine"))

    page.click("#attach-album")
    page.click(".sample[data-sample=daisy]")
    page.click(".sample[data-sample=marigold]")
    page.fill("#caption", "my balcony")
    page.click("#picker-send")
    album = message_with_text(page, "my balcony")
    expect(album.locator(".photos img")).to_have_count(2)

    page.click("#attach-file")
    page.click(".sample[data-sample=lavender]")
    page.click("#picker-send")
    expect(page.locator("#messages .message .document").last).to_contain_text("lavender.jpg")

    share_place(page, "Berlin, Tiergarten")
    expect(page.locator("#messages .message .location").last).to_contain_text("52.51454, 13.35009")
    steps.shot("group-conversation")

    become(page, "anna", "group")
    expect(message_with_text(page, "No idea").locator(".sender")).to_have_text("Sam")
    expect(message_with_text(page, "No idea")).not_to_have_class(re.compile("mine"))
