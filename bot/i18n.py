"""Message catalogues: one TOML file per language under `bot/locales/`, English as the fallback.

A catalogue entry is either a template string or a table of CLDR plural categories (`one`,
`few`, `many`, `other`, ... exactly as the language needs), chosen by the `count` passed in.
Plural rules, numbers, percentages, dates and times all come from Babel's CLDR data.
"""

from __future__ import annotations

import math
import string
import tomllib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import TypeAlias

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

DEFAULT_LANGUAGE = "en"

# A template, or templates keyed by CLDR plural category.
Entry: TypeAlias = str | Mapping[str, str]
Number: TypeAlias = int | float | Decimal


class CatalogueError(Exception):
    """A catalogue file is malformed or disagrees with the English one."""


def primary_subtag(language_code: str | None) -> str:
    """Return the lower-case primary subtag of an IETF tag such as `pt-BR` (or "")."""
    if not language_code:
        return ""
    return language_code.replace("_", "-").split("-", 1)[0].strip().lower()


def _locale(language: str) -> Locale:
    return Locale.parse(language)


def plural_categories(language: str) -> frozenset[str]:
    """Return the CLDR plural categories `language` distinguishes (always with `other`)."""
    return frozenset(_locale(language).plural_form.tags) | {"other"}


def plural_category(language: str, count: Number) -> str:
    """Return the CLDR plural category of `count` in `language`."""
    return str(_locale(language).plural_form(count))


def number(language: str, value: Number) -> str:
    """Format a number with the language's digit grouping and decimal sign."""
    return format_decimal(value, locale=_locale(language))


def decimal(language: str, value: Number, digits: int) -> str:
    """Format a number rounded to at most `digits` fraction digits, trailing zeros dropped."""
    rounded = Decimal(repr(value) if isinstance(value, float) else value).quantize(
        Decimal(1).scaleb(-digits), ROUND_HALF_UP
    )
    return format_decimal(rounded, locale=_locale(language), decimal_quantization=False)


def percent(language: str, fraction: float) -> str:
    """Format a 0..1 fraction as a whole percentage; a small non-zero one shows as "<1 %".

    The result is plain text: escape it before putting it into Telegram HTML.
    """
    if math.isnan(fraction):
        fraction = 0.0
    fraction = min(max(fraction, 0.0), 1.0)
    if 0 < fraction < 0.005:
        return "<" + format_percent(0.01, locale=_locale(language))
    return format_percent(fraction, locale=_locale(language))


def _as_utc(moment: datetime | float) -> datetime:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.fromtimestamp(moment, tz=UTC)


def short_time(language: str, moment: datetime | float) -> str:
    """Format a time of day in UTC, labelled ("14:05 UTC", "2:05 PM UTC"); naive means UTC."""
    # Telegram never tells a bot the person's time zone, so the zone is stated, not implied.
    clock = format_time(_as_utc(moment), format="short", tzinfo=UTC, locale=_locale(language))
    return f"{clock}\N{NO-BREAK SPACE}UTC"


def short_date(language: str, day: date | datetime | float) -> str:
    """Format a date unambiguously in the language ("Mar 5, 2024", "05.03.2024")."""
    if not isinstance(day, date):
        day = _as_utc(day)
    if isinstance(day, datetime):
        day = _as_utc(day).date()
    return format_date(day, format="medium", locale=_locale(language))


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def _entry_placeholders(entry: Entry) -> set[str]:
    if isinstance(entry, str):
        return _placeholders(entry)
    return set().union(*(_placeholders(form) for form in entry.values()))


def _check_entry(language: str, key: str, entry: Entry, english: Entry) -> None:
    expected = _entry_placeholders(english)
    if isinstance(english, str) != isinstance(entry, str):
        kind = "a string" if isinstance(english, str) else "a plural table"
        raise CatalogueError(f"{language}: {key!r} must be {kind}, as in en")
    forms = [entry] if isinstance(entry, str) else list(entry.values())
    if any(_placeholders(form) != expected for form in forms):
        raise CatalogueError(f"{language}: placeholders of {key!r} differ from en")
    if isinstance(entry, str):
        return
    if "count" not in expected:
        raise CatalogueError(f"{language}: plural entry {key!r} has no {{count}}")
    needed = plural_categories(language)
    if set(entry) != needed:
        raise CatalogueError(
            f"{language}: plural forms of {key!r} are {sorted(entry)}, "
            f"the language needs {sorted(needed)}"
        )


def _parse_entry(file_name: str, key: str, value: object) -> Entry:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value and all(isinstance(form, str) for form in value.values()):
        return {str(category): str(form) for category, form in value.items()}
    raise CatalogueError(f"{file_name}: {key!r} must be a string or a table of plural forms")


class Translator:
    """Look up localized message templates by key and fill them in."""

    def __init__(self, catalogues: Mapping[str, Mapping[str, Entry]]) -> None:
        if DEFAULT_LANGUAGE not in catalogues:
            raise CatalogueError("the English catalogue is missing")
        english = catalogues[DEFAULT_LANGUAGE]
        for language, catalogue in catalogues.items():
            try:
                _locale(language)
            except (UnknownLocaleError, ValueError) as error:
                raise CatalogueError(f"{language}: not a language CLDR knows") from error
            for key, entry in catalogue.items():
                if key not in english:
                    raise CatalogueError(f"{language}: unknown key {key!r}")
                _check_entry(language, key, entry, english[key])
        self._catalogues = {language: dict(entries) for language, entries in catalogues.items()}

    @classmethod
    def from_package(cls) -> Translator:
        """Load every catalogue shipped in `bot/locales`."""
        catalogues: dict[str, dict[str, Entry]] = {}
        for entry in resources.files("bot.locales").iterdir():
            if not entry.name.endswith(".toml"):
                continue
            parsed = tomllib.loads(entry.read_text(encoding="utf-8"))
            catalogues[entry.name.removesuffix(".toml")] = {
                key: _parse_entry(entry.name, key, value) for key, value in parsed.items()
            }
        return cls(catalogues)

    @property
    def languages(self) -> frozenset[str]:
        """Return the languages that have a catalogue."""
        return frozenset(self._catalogues)

    def resolve(self, language_code: str | None) -> str:
        """Map a Telegram `language_code` to a supported language, English if unsupported."""
        language = primary_subtag(language_code)
        return language if language in self._catalogues else DEFAULT_LANGUAGE

    def missing_keys(self, language: str) -> set[str]:
        """Return the English keys a catalogue does not translate."""
        return set(self._catalogues[DEFAULT_LANGUAGE]) - set(self._catalogues[language])

    @property
    def keys(self) -> frozenset[str]:
        """Return every message key (those of the English catalogue)."""
        return frozenset(self._catalogues[DEFAULT_LANGUAGE])

    def entry(self, language: str, key: str) -> Entry:
        """Return the raw catalogue entry of `key` in `language`, without falling back."""
        return self._catalogues[language][key]

    def is_plural(self, key: str) -> bool:
        """Tell whether `key` is chosen by a `count`."""
        return not isinstance(self._catalogues[DEFAULT_LANGUAGE][key], str)

    def __call__(self, language: str, key: str, /, **values: object) -> str:
        """Return the message `key` in `language` (English if untranslated), filled in.

        Plural entries pick their form by `count`; numbers are formatted for the language.
        """
        entry = self._catalogues.get(language, {}).get(key)
        if entry is None:
            language, entry = DEFAULT_LANGUAGE, self._catalogues[DEFAULT_LANGUAGE][key]
        if isinstance(entry, str):
            template = entry
        else:
            count = values.get("count")
            if not isinstance(count, int | float | Decimal) or isinstance(count, bool):
                raise TypeError(f"{key!r} needs a numeric count")
            template = entry[plural_category(language, count)]
        if not values:
            return template
        filled = {
            name: number(language, value)
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
            else value
            for name, value in values.items()
        }
        return template.format(**filled)

    def percent(self, language: str, fraction: float) -> str:
        """Format a 0..1 fraction as a percentage in `language` (see `percent`)."""
        return percent(language, fraction)

    def number(self, language: str, value: Number) -> str:
        """Format a number in `language` (see `number`)."""
        return number(language, value)

    def decimal(self, language: str, value: Number, digits: int) -> str:
        """Format a number with at most `digits` fraction digits in `language`."""
        return decimal(language, value, digits)

    def short_time(self, language: str, moment: datetime | float) -> str:
        """Format a labelled UTC time of day in `language` (see `short_time`)."""
        return short_time(language, moment)

    def short_date(self, language: str, day: date | datetime | float) -> str:
        """Format a date in `language` (see `short_date`)."""
        return short_date(language, day)
