"""Result rendering: what a person reads under their photo."""

from __future__ import annotations

from typing import Any

import pytest

from bot.callbacks import (
    ActionPress,
    ConfirmPress,
    ResultAction,
    action_data,
    confirm_data,
    forget_data,
    history_entry_data,
    history_page_data,
    language_data,
    parse_callback,
)
from bot.i18n import Translator
from bot.model import FailureReason
from bot.rendering import (
    BUTTON_PAIR_LIMIT,
    BUTTON_ROW_LIMIT,
    MESSAGE_LIMIT,
    ResultOptions,
    clip_utf16,
    render_details,
    render_failure,
    render_result,
    utf16_len,
)
from plantid import Identification


@pytest.fixture(scope="module")
def translate() -> Translator:
    return Translator.from_package()


def suggestion(
    suggestion_id: int,
    name: str,
    probability: float,
    *,
    common: Any = None,
    url: Any = None,
    description: Any = None,
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "scientific_name": name,
        "structured_name": {"genus": name.split()[0].lower()},
        "common_names": common,
        "url": url,
        "wiki_description": description,
    }
    return {
        "id": suggestion_id,
        "plant_name": name,
        "probability": probability,
        "confirmed": False,
        "plant_details": details,
    }


def identification(*suggestions: dict[str, Any], is_plant: float = 0.97) -> Identification:
    return Identification.model_validate(
        {
            "id": 7001,
            "custom_id": 5,
            "suggestions": list(suggestions),
            "is_plant_probability": is_plant,
            "is_plant": is_plant >= 0.5,
            "fail_cause": None,
        }
    )


DANDELION = suggestion(
    11,
    "Taraxacum officinale",
    0.86,
    common=["common dandelion", "dandelion"],
    url="https://en.wikipedia.org/wiki/Taraxacum_officinale",
    description={
        "value": "A flowering plant of the daisy family, with yellow flower heads <and> seeds.",
        "citation": "https://en.wikipedia.org/wiki/Taraxacum_officinale",
        "license_name": "CC BY-SA 3.0",
        "license_url": "https://creativecommons.org/licenses/by-sa/3.0/",
    },
)
CHICORY = suggestion(12, "Cichorium intybus", 0.09, common=["chicory"])
GENUS = suggestion(13, "Hieracium", 0.03)
OPTIONS = ResultOptions(shown=3, low_confidence_threshold=0.3, not_plant_threshold=0.5)


def test_result_lists_names_probabilities_links_and_attributed_description(
    translate: Translator,
) -> None:
    message = render_result(
        identification(DANDELION, CHICORY, GENUS), "en", translate, OPTIONS, identification_id=5
    )
    assert message.text.startswith("🌿 <b>This looks like:</b>")
    assert "1. <b>Common dandelion</b> (<i>Taraxacum officinale</i>), 86%" in message.text
    assert "2. <b>Chicory</b> (<i>Cichorium intybus</i>), 9%" in message.text
    # No common name: the scientific name stands alone.
    assert "3. <b><i>Hieracium</i></b>, 3%" in message.text
    assert (
        '<a href="https://en.wikipedia.org/wiki/Taraxacum_officinale">Wikipedia</a>' in message.text
    )
    # API text is escaped, and the licence is shown with the description.
    assert "yellow flower heads &lt;and&gt; seeds." in message.text
    assert "CC BY-SA 3.0" in message.text


def test_keyboard_has_one_small_versioned_button_per_suggestion(translate: Translator) -> None:
    message = render_result(
        identification(DANDELION, CHICORY, GENUS), "en", translate, OPTIONS, identification_id=5
    )
    assert message.keyboard is not None
    buttons = [row[0] for row in message.keyboard.inline_keyboard[:3]]
    assert [button.text for button in buttons] == [
        "✅ This is it: Common dandelion",
        "✅ This is it: Chicory",
        "✅ This is it: Hieracium",
    ]
    for index, button in enumerate(buttons):
        assert isinstance(button.callback_data, str)
        assert len(button.callback_data.encode()) < 64
        assert parse_callback(button.callback_data) == ConfirmPress(5, index)


def test_confirmed_suggestion_is_marked(translate: Translator) -> None:
    message = render_result(
        identification(DANDELION, CHICORY),
        "en",
        translate,
        OPTIONS,
        identification_id=5,
        confirmed_suggestion_id=12,
    )
    assert message.keyboard is not None
    texts = [row[0].text for row in message.keyboard.inline_keyboard[:2]]
    assert texts == ["✅ This is it: Common dandelion", "☑️ Confirmed: Chicory"]


def test_only_the_configured_number_of_suggestions_is_shown(translate: Translator) -> None:
    options = ResultOptions(shown=1, low_confidence_threshold=0.3, not_plant_threshold=0.5)
    message = render_result(
        identification(CHICORY, DANDELION), "en", translate, options, identification_id=5
    )
    assert "Common dandelion" in message.text
    assert "Chicory" not in message.text
    assert message.keyboard is not None
    confirm_rows = [
        row
        for row in message.keyboard.inline_keyboard
        if isinstance(press := parse_callback(str(row[0].callback_data)), ConfirmPress)
        and press.index is not None
    ]
    assert len(confirm_rows) == 1


def test_low_confidence_says_so_and_keeps_all_suggestions(translate: Translator) -> None:
    unsure = suggestion(21, "Mentha spicata", 0.22, common=["spearmint"])
    other = suggestion(22, "Mentha aquatica", 0.2, common=["water mint"])
    message = render_result(
        identification(unsure, other), "en", translate, OPTIONS, identification_id=9
    )
    assert message.text.startswith("🤔 <b>I'm not sure.")
    assert "Spearmint" in message.text
    assert "Water mint" in message.text
    assert message.keyboard is not None


def test_not_a_plant_shows_the_figure_and_offers_the_suggestions(translate: Translator) -> None:
    message = render_result(
        identification(DANDELION, is_plant=0.04), "en", translate, OPTIONS, identification_id=5
    )
    assert "This doesn't look like a plant" in message.text
    assert "only a 4% chance" in message.text
    assert "dandelion" not in message.text.lower()
    assert message.keyboard is not None
    ((button,),) = message.keyboard.inline_keyboard
    assert button.text == "Show suggestions anyway"
    assert parse_callback(str(button.callback_data)) == ActionPress(5, ResultAction.SHOW_ANYWAY)

    anyway = render_result(
        identification(DANDELION, is_plant=0.04),
        "en",
        translate,
        OPTIONS,
        identification_id=5,
        show_anyway=True,
    )
    assert "Common dandelion" in anyway.text


def test_names_follow_the_language_and_fall_back_to_english(translate: Translator) -> None:
    localized = suggestion(
        31,
        "Taraxacum officinale",
        0.9,
        common={"de": ["Gewöhnlicher Löwenzahn"], "en": ["common dandelion"]},
        url={"de": "https://de.wikipedia.org/wiki/L%C3%B6wenzahn"},
    )
    english_only = suggestion(32, "Bellis perennis", 0.05, common={"en": ["daisy"]})
    message = render_result(
        identification(localized, english_only), "de", translate, OPTIONS, identification_id=3
    )
    assert message.text.startswith("🌿 <b>Das sieht aus wie:</b>")
    assert "<b>Gewöhnlicher Löwenzahn</b>" in message.text
    assert "<b>Daisy</b>" in message.text
    assert "https://de.wikipedia.org/wiki/L%C3%B6wenzahn" in message.text


def test_no_suggestions_is_said_plainly(translate: Translator) -> None:
    message = render_result(identification(), "en", translate, OPTIONS, identification_id=5)
    assert "couldn't match this photo" in message.text
    assert message.keyboard is None


def test_huge_api_texts_stay_within_telegram_limits(translate: Translator) -> None:
    long_name = "x" * 5000
    huge = suggestion(
        41,
        "Rosa canina",
        0.8,
        common=[long_name],
        description={"value": "word " * 5000, "citation": None, "license_name": None},
    )
    message = render_result(identification(huge), "en", translate, OPTIONS, identification_id=5)
    assert len(message.text) <= MESSAGE_LIMIT
    assert message.keyboard is not None
    assert len(message.keyboard.inline_keyboard[0][0].text) < 60


def test_percentages_follow_the_locale_and_are_escaped(translate: Translator) -> None:
    tiny = suggestion(51, "Bellis perennis", 0.001, common={"de": ["Gänseblümchen"]})
    message = render_result(
        identification(DANDELION, tiny), "de", translate, OPTIONS, identification_id=5
    )
    assert "86\xa0%" in message.text
    assert "&lt;1\xa0%" in message.text


@pytest.mark.parametrize("reason", list(FailureReason))
def test_every_failure_has_a_message_in_every_language(
    reason: FailureReason, translate: Translator
) -> None:
    english = render_failure(reason, "en", translate, max_photo_bytes=5_000_000)
    assert english
    for language in translate.languages - {"en"}:
        assert render_failure(reason, language, translate, max_photo_bytes=5_000_000) != english


def _keyboard_rows(message: Any) -> list[list[Any]]:
    assert message.keyboard is not None
    return [list(row) for row in message.keyboard.inline_keyboard]


@pytest.mark.parametrize("language", sorted(Translator.from_package().languages))
def test_every_language_keeps_within_telegram_limits(language: str, translate: Translator) -> None:
    long_names = [
        suggestion(
            60 + index,
            f"Plantago {'x' * 300} {index}",
            0.2 - index / 100,
            common=["a very long common name " * 20],
            description={"value": "word " * 2000, "citation": None, "license_name": None},
        )
        for index in range(8)
    ]
    options = ResultOptions(shown=8, low_confidence_threshold=0.3, not_plant_threshold=0.5)
    message = render_result(
        identification(*long_names), language, translate, options, identification_id=10**17
    )
    assert utf16_len(message.text) <= MESSAGE_LIMIT
    for row in _keyboard_rows(message):
        assert len(row) <= 2
        for button in row:
            assert len(str(button.callback_data).encode()) <= 64
            assert parse_callback(str(button.callback_data)) is not None
            # A full row shows about 40 characters on a phone; a pair shares that width.
            assert len(button.text) <= (BUTTON_ROW_LIMIT if len(row) == 1 else BUTTON_PAIR_LIMIT)


def test_unsure_results_name_the_likely_genus(translate: Translator) -> None:
    def mint(suggestion_id: int, name: str, probability: float) -> dict[str, Any]:
        item = suggestion(suggestion_id, name, probability)
        item["plant_details"]["taxonomy"] = {"family": "Lamiaceae", "genus": "Mentha"}
        return item

    message = render_result(
        identification(mint(1, "Mentha spicata", 0.2), mint(2, "Mentha aquatica", 0.15)),
        "en",
        translate,
        OPTIONS,
        identification_id=3,
    )
    assert "Probably a plant of the genus <i>Mentha</i> (Lamiaceae)." in message.text
    assert "20% · family Lamiaceae" in message.text


def test_details_say_watering_in_words_and_link_gbif(translate: Translator) -> None:
    result = Identification.model_validate(
        {
            "id": 1,
            "suggestions": [
                {
                    "id": 5,
                    "plant_name": "Rosa canina",
                    "probability": 0.9,
                    "plant_details": {
                        "scientific_name": "Rosa canina",
                        "taxonomy": {"kingdom": "Plantae", "family": "Rosaceae", "genus": "Rosa"},
                        "watering": {"min": 1, "max": 2},
                        "gbif_id": 3003,
                        "edible_parts": ["fruit"],
                    },
                }
            ],
        }
    )
    (subject,) = result.suggestions or []
    text = render_details(subject, "de", translate)
    assert f"{translate('de', 'rank_kingdom')}: Plantae" in text
    assert translate("de", "watering_dry") in text
    assert translate("de", "watering_medium") in text
    assert 'href="https://www.gbif.org/species/3003"' in text


def test_failure_texts_claim_an_operator_only_when_there_is_one(translate: Translator) -> None:
    told = render_failure(FailureReason.SERVICE, "de", translate, max_photo_bytes=1)
    alone = render_failure(
        FailureReason.SERVICE, "de", translate, max_photo_bytes=1, operator_told=False
    )
    assert told == translate("de", "failed_service")
    assert alone == translate("de", "failed_service_no_operator")


def test_every_payload_round_trips() -> None:
    payloads = [
        confirm_data(10**17, None),
        action_data(10**17, ResultAction.HEALTH),
        history_page_data(9990),
        history_entry_data(10**17),
        forget_data(True),
        forget_data(False),
        language_data("uk"),
    ]
    for data in payloads:
        assert len(data.encode()) <= 64
        assert parse_callback(data) is not None


def test_clipping_counts_utf16_units_and_never_splits_an_emoji() -> None:
    assert clip_utf16("short", 200) == "short"
    clipped = clip_utf16("🌿" * 150, 200)
    assert utf16_len(clipped) <= 200
    assert clipped == "🌿" * 99 + "…"
