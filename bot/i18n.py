"""Message catalogues: one TOML file per language under `bot/locales/`, English as the fallback."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from importlib import resources

DEFAULT_LANGUAGE = "en"


class CatalogueError(Exception):
    """A catalogue file is malformed or disagrees with the English one."""


def primary_subtag(language_code: str | None) -> str:
    """Return the lower-case primary subtag of an IETF tag such as `pt-BR` (or "")."""
    if not language_code:
        return ""
    return language_code.replace("_", "-").split("-", 1)[0].strip().lower()


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Translator:
    """Look up localized message templates by key and fill them in."""

    def __init__(self, catalogues: Mapping[str, Mapping[str, str]]) -> None:
        if DEFAULT_LANGUAGE not in catalogues:
            raise CatalogueError("the English catalogue is missing")
        english = catalogues[DEFAULT_LANGUAGE]
        for language, catalogue in catalogues.items():
            for key, template in catalogue.items():
                if key not in english:
                    raise CatalogueError(f"{language}: unknown key {key!r}")
                if _placeholders(template) != _placeholders(english[key]):
                    raise CatalogueError(f"{language}: placeholders of {key!r} differ from en")
        self._catalogues = {language: dict(entries) for language, entries in catalogues.items()}

    @classmethod
    def from_package(cls) -> Translator:
        """Load every catalogue shipped in `bot/locales`."""
        catalogues: dict[str, dict[str, str]] = {}
        for entry in resources.files("bot.locales").iterdir():
            if not entry.name.endswith(".toml"):
                continue
            parsed = tomllib.loads(entry.read_text(encoding="utf-8"))
            if not all(isinstance(value, str) for value in parsed.values()):
                raise CatalogueError(f"{entry.name}: every value must be a string")
            catalogues[entry.name.removesuffix(".toml")] = parsed
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

    def __call__(self, language: str, key: str, /, **values: object) -> str:
        """Return the message `key` in `language` (English if untranslated), filled in."""
        template = self._catalogues.get(language, {}).get(key)
        if template is None:
            template = self._catalogues[DEFAULT_LANGUAGE][key]
        return template.format(**values) if values else template
