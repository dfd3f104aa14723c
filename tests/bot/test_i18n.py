"""Catalogues: every language complete and consistent; plurals, numbers and times per locale."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from babel import Locale

from bot.i18n import (
    CatalogueError,
    Translator,
    decimal,
    number,
    percent,
    plural_categories,
    primary_subtag,
    short_date,
    short_time,
)

INTERFACE_LANGUAGES = {"en", "de", "ru", "uk", "es", "pt", "fr", "it", "pl", "nl", "tr", "cs"}
NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture(scope="module")
def translate() -> Translator:
    return Translator.from_package()


def _templates(translate: Translator, language: str) -> dict[str, str]:
    """Return every template of a catalogue, plural forms as `key.category`."""
    templates: dict[str, str] = {}
    for key in translate.keys - translate.missing_keys(language):
        entry = translate.entry(language, key)
        if isinstance(entry, str):
            templates[key] = entry
        else:
            templates.update({f"{key}.{form}": text for form, text in entry.items()})
    return templates


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class _TelegramHtml(HTMLParser):
    """Collect what Telegram's HTML parse mode would reject."""

    ALLOWED = frozenset({"b", "i", "a", "code"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED or (tag == "a" and [name for name, _ in attrs] != ["href"]):
            self.problems.append(f"<{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> out of order")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data or "&" in data:
            self.problems.append(f"unescaped text {data!r}")


def test_the_twelve_interface_languages_are_shipped(translate: Translator) -> None:
    assert translate.languages >= INTERFACE_LANGUAGES


def test_every_catalogue_translates_every_key(translate: Translator) -> None:
    for language in translate.languages:
        assert translate.missing_keys(language) == set(), language


def test_every_plural_entry_has_exactly_the_forms_its_language_needs(
    translate: Translator,
) -> None:
    plural_keys = {key for key in translate.keys if translate.is_plural(key)}
    assert {"limit_person", "limit_chat", "forget_done", "stats_today"} <= plural_keys
    for language in translate.languages:
        needed = set(Locale.parse(language).plural_form.tags) | {"other"}
        for key in plural_keys:
            entry = translate.entry(language, key)
            assert not isinstance(entry, str), (language, key)
            assert set(entry) == needed, (language, key)


def test_every_template_has_the_english_placeholders(translate: Translator) -> None:
    for language in translate.languages:
        for name, template in _templates(translate, language).items():
            reference = translate.entry("en", name.split(".", 1)[0])
            expected = (
                _fields(reference)
                if isinstance(reference, str)
                else set().union(*map(_fields, reference.values()))
            )
            assert _fields(template) == expected, (language, name)


def test_every_template_is_valid_telegram_html(translate: Translator) -> None:
    for language in translate.languages:
        for name, template in _templates(translate, language).items():
            parser = _TelegramHtml()
            parser.feed(template)
            parser.close()
            assert parser.problems == [], (language, name)
            assert parser.open == [], (language, name)


def test_every_language_names_itself_when_chosen(translate: Translator) -> None:
    texts = {translate(language, "language_set") for language in translate.languages}
    assert len(texts) == len(translate.languages)


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "Today: 1 identification"),
        ("en", 1234, "Today: 1,234 identifications"),
        ("de", 1, "Heute: 1 Bestimmung"),
        ("de", 1234, "Heute: 1.234 Bestimmungen"),
        ("ru", 1, "Сегодня: 1 определение"),
        ("ru", 3, "Сегодня: 3 определения"),
        ("ru", 5, "Сегодня: 5 определений"),
        ("ru", 21, "Сегодня: 21 определение"),
        ("ru", 1.5, "Сегодня: 1,5 определения"),
        ("pl", 2, "Dzisiaj: 2 rozpoznania"),
        ("pl", 12, "Dzisiaj: 12 rozpoznań"),
        ("pl", 22, "Dzisiaj: 22 rozpoznania"),
        ("cs", 4, "Dnes: 4 určení"),
        ("uk", 11, "Сьогодні: 11 визначень"),
    ],
)
def test_plural_forms_follow_cldr(
    translate: Translator, language: str, count: float, expected: str
) -> None:
    assert translate(language, "stats_today", count=count).replace(NBSP, " ") == expected


def test_a_limit_states_the_count_and_the_time(translate: Translator) -> None:
    text = translate(
        "ru",
        "limit_person",
        count=2,
        time=short_time("ru", datetime(2024, 5, 1, 14, 5, tzinfo=UTC)),
    )
    assert text == f"Достигнут лимит: 2 определения в час. Попробуй снова в 14:05{NBSP}UTC."


def test_a_plural_entry_without_a_count_is_refused(translate: Translator) -> None:
    with pytest.raises(TypeError, match="count"):
        translate("en", "forget_done")


def test_numbers_in_placeholders_use_the_locale_format(translate: Translator) -> None:
    assert translate("de", "stats_credits", count=12500) == "Verbleibende Plant.id-Credits: 12.500"
    assert translate("en", "failed_too_big", megabytes=20) == (
        "📦 This photo is larger than 20 MB. Please send a smaller one."
    )


def test_reviewer_flagged_texts_are_fixed(translate: Translator) -> None:
    assert "(only a 3% chance it's a plant)" in translate(
        "en", "not_a_plant", probability=percent("en", 0.03)
    )
    assert "Mein Plant.id-Guthaben ist" in translate("de", "failed_out_of_credits")
    assert "Versuch es mit einem Foto aus der Nähe" in translate(
        "de", "not_a_plant", probability=percent("de", 0.03)
    )
    assert translate("de", "failed_rejected").endswith("es mit einem anderen.")
    assert "Я всё ещё жду ответа и пришлю результат сюда" in translate("ru", "status_slow")


@pytest.mark.parametrize(
    ("language", "fraction", "expected"),
    [
        ("en", 0.8649, "86%"),
        ("de", 0.8649, f"86{NBSP}%"),
        ("ru", 0.8649, f"86{NBSP}%"),
        ("fr", 0.8649, f"86{NBSP}%"),
        ("cs", 0.8649, f"86{NBSP}%"),
        ("tr", 0.8649, "%86"),
        ("en", 0.001, "<1%"),
        ("de", 0.001, f"<1{NBSP}%"),
        ("en", 0.0, "0%"),
        ("en", 1.0, "100%"),
        ("en", 1.7, "100%"),
        ("en", -0.2, "0%"),
        ("en", float("nan"), "0%"),
    ],
)
def test_percent(language: str, fraction: float, expected: str) -> None:
    assert percent(language, fraction) == expected


def test_numbers_and_decimals() -> None:
    assert number("en", 1234567) == "1,234,567"
    assert number("de", 1234567) == "1.234.567"
    assert decimal("de", 12.345, 1) == "12,3"
    assert decimal("en", 25.0, 1) == "25"
    assert decimal("fr", 0.25, 1) == "0,3"


def test_times_are_shown_in_utc_in_the_local_style() -> None:
    moment = datetime(2024, 5, 1, 16, 5, tzinfo=timezone(timedelta(hours=2)))
    assert short_time("de", moment) == f"14:05{NBSP}UTC"
    assert short_time("en", moment).replace("\N{NARROW NO-BREAK SPACE}", NBSP) == (
        f"2:05{NBSP}PM{NBSP}UTC"
    )
    assert short_time("ru", moment.timestamp()) == f"14:05{NBSP}UTC"
    assert short_time("de", datetime(2024, 5, 1, 14, 5)) == f"14:05{NBSP}UTC", "naive means UTC"


def test_dates_are_unambiguous() -> None:
    assert short_date("en", date(2024, 3, 5)) == "Mar 5, 2024"
    assert short_date("de", date(2024, 3, 5)) == "05.03.2024"
    assert short_date("de", datetime(2024, 3, 5, 23, 30, tzinfo=timezone(-timedelta(hours=2)))) == (
        "06.03.2024"
    )


def test_translator_methods_match_the_module_functions(translate: Translator) -> None:
    assert translate.percent("de", 0.5) == percent("de", 0.5)
    assert translate.number("fr", 1000) == number("fr", 1000)
    assert translate.decimal("it", 1.25, 1) == decimal("it", 1.25, 1)
    assert translate.short_date("pl", date(2024, 1, 2)) == short_date("pl", date(2024, 1, 2))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("ru_RU", "ru"),
        ("EN-gb", "en"),
        ("pt-BR", "pt"),
        ("pt-PT", "pt"),
        ("uk", "uk"),
        ("cs", "cs"),
        ("xx", "en"),
        (None, "en"),
    ],
)
def test_language_resolution(code: str | None, expected: str) -> None:
    assert Translator.from_package().resolve(code) == expected


def test_primary_subtag() -> None:
    assert primary_subtag("pt-BR") == "pt"
    assert primary_subtag("") == ""


def test_plural_categories_come_from_cldr() -> None:
    assert plural_categories("en") == {"one", "other"}
    assert plural_categories("ru") == {"one", "few", "many", "other"}
    assert plural_categories("ja") == {"other"}


def test_mismatched_placeholders_are_caught() -> None:
    with pytest.raises(CatalogueError, match="placeholders"):
        Translator({"en": {"hello": "Hi {name}"}, "de": {"hello": "Hallo {nom}"}})


def test_unknown_keys_are_caught() -> None:
    with pytest.raises(CatalogueError, match="unknown key"):
        Translator({"en": {"hello": "Hi"}, "de": {"bye": "Tschüss"}})


def test_missing_or_extra_plural_forms_are_caught() -> None:
    english = {"n": {"one": "{count} plant", "other": "{count} plants"}}
    with pytest.raises(CatalogueError, match="needs"):
        Translator({"en": english, "ru": {"n": {"one": "{count} растение", "other": "{count}"}}})
    with pytest.raises(CatalogueError, match="needs"):
        Translator(
            {"en": english, "de": {"n": {"one": "{count}", "few": "{count}", "other": "{count}"}}}
        )


def test_a_plural_form_missing_the_count_is_caught() -> None:
    with pytest.raises(CatalogueError, match="placeholders"):
        Translator(
            {
                "en": {"n": {"one": "{count} plant", "other": "{count} plants"}},
                "de": {"n": {"one": "eine Pflanze", "other": "{count} Pflanzen"}},
            }
        )


def test_a_string_where_english_has_plural_forms_is_caught() -> None:
    with pytest.raises(CatalogueError, match="plural table"):
        Translator(
            {
                "en": {"n": {"one": "{count} plant", "other": "{count} plants"}},
                "de": {"n": "{count} Pflanzen"},
            }
        )


def test_untranslated_key_falls_back_to_english() -> None:
    translate = Translator(
        {"en": {"hello": "Hi {name}", "bye": "Bye"}, "de": {"hello": "Hallo {name}"}}
    )
    assert translate("de", "hello", name="Ann") == "Hallo Ann"
    assert translate("de", "bye") == "Bye"
