"""Catalogues: every language complete and consistent; unsupported languages fall back."""

from __future__ import annotations

import pytest

from bot.i18n import CatalogueError, Translator, primary_subtag


def test_every_catalogue_translates_every_key() -> None:
    translate = Translator.from_package()
    assert {"en", "de"} <= translate.languages
    for language in translate.languages:
        assert translate.missing_keys(language) == set(), language


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de", "de"), ("de-AT", "de"), ("ru_RU", "ru"), ("EN-gb", "en"), ("xx", "en"), (None, "en")],
)
def test_language_resolution(code: str | None, expected: str) -> None:
    assert Translator.from_package().resolve(code) == expected


def test_primary_subtag() -> None:
    assert primary_subtag("pt-BR") == "pt"
    assert primary_subtag("") == ""


def test_mismatched_placeholders_are_caught() -> None:
    with pytest.raises(CatalogueError, match="placeholders"):
        Translator({"en": {"hello": "Hi {name}"}, "de": {"hello": "Hallo {nom}"}})


def test_unknown_keys_are_caught() -> None:
    with pytest.raises(CatalogueError, match="unknown key"):
        Translator({"en": {"hello": "Hi"}, "de": {"bye": "Tschüss"}})


def test_untranslated_key_falls_back_to_english() -> None:
    translate = Translator(
        {"en": {"hello": "Hi {name}", "bye": "Bye"}, "de": {"hello": "Hallo {name}"}}
    )
    assert translate("de", "hello", name="Ann") == "Hallo Ann"
    assert translate("de", "bye") == "Bye"
