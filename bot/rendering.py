"""Pure functions that turn identification results into Telegram HTML and keyboards."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import confirm_data
from bot.i18n import Translator
from bot.model import FailureReason
from plantid import Identification, Suggestion
from plantid.images import MAX_PIXELS

# Telegram counts the limit after entity parsing; staying under it on the raw HTML is safe.
MESSAGE_LIMIT = 4096
DESCRIPTION_LIMIT = 600
# Bounded so that even `SUGGESTIONS_SHOWN=8` with a description stays under MESSAGE_LIMIT.
NAME_LIMIT = 120
BUTTON_NAME_LIMIT = 40


@dataclass(frozen=True)
class ResultOptions:
    """How many suggestions to show and where the confidence thresholds lie."""

    shown: int
    low_confidence_threshold: float
    not_plant_threshold: float


@dataclass(frozen=True)
class RenderedMessage:
    """Text in Telegram HTML plus an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class ButtonAnswer:
    """How to answer a button press, and the keyboard to redraw (if it changed)."""

    text: str
    show_alert: bool = False
    keyboard: InlineKeyboardMarkup | None = None


def escape(text: str) -> str:
    """Escape API text for Telegram HTML (also inside attribute values)."""
    return html.escape(text, quote=True)


def format_probability(probability: float) -> str:
    """Format a probability as a whole percentage, never rounding a small one to 0."""
    percent = round(probability * 100)
    if percent == 0 and probability > 0:
        return "<1%"
    return f"{min(percent, 100)}%"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def common_name(suggestion: Suggestion, language: str) -> str | None:
    """Return the suggestion's first common name in `language`, capitalized, if any."""
    details = suggestion.plant_details
    names = details.common_names_for(language) if details else []
    if not names:
        return None
    name = names[0].strip()
    return name[:1].upper() + name[1:] if name else None


def display_name(suggestion: Suggestion, language: str) -> str:
    """Return the common name in `language`, falling back to the scientific name."""
    return common_name(suggestion, language) or scientific_name(suggestion)


def scientific_name(suggestion: Suggestion) -> str:
    """Return the suggestion's scientific name."""
    details = suggestion.plant_details
    return (details.scientific_name if details else None) or suggestion.plant_name


def shown_suggestions(result: Identification, options: ResultOptions) -> list[Suggestion]:
    """Return the suggestions a person sees, best first; none when it is not a plant."""
    if _looks_like_no_plant(result, options):
        return []
    ranked = sorted(result.suggestions or [], key=lambda item: item.probability, reverse=True)
    return ranked[: options.shown]


def _looks_like_no_plant(result: Identification, options: ResultOptions) -> bool:
    probability = result.is_plant_probability
    return probability is not None and probability < options.not_plant_threshold


def _suggestion_block(
    index: int, suggestion: Suggestion, language: str, translate: Translator
) -> str:
    probability = format_probability(suggestion.probability)
    name = common_name(suggestion, language)
    if name:
        line = translate(
            language,
            "suggestion_line",
            index=index,
            name=escape(_shorten(name, NAME_LIMIT)),
            scientific_name=escape(_shorten(scientific_name(suggestion), NAME_LIMIT)),
            probability=probability,
        )
    else:
        line = translate(
            language,
            "suggestion_line_scientific",
            index=index,
            scientific_name=escape(_shorten(scientific_name(suggestion), NAME_LIMIT)),
            probability=probability,
        )
    url = suggestion.plant_details.url_for(language) if suggestion.plant_details else None
    if url and url.startswith(("http://", "https://")):
        line += " · " + translate(language, "wikipedia_link", url=escape(url))
    return line


def _description_block(suggestion: Suggestion, language: str, translate: Translator) -> str:
    details = suggestion.plant_details
    description = details.description_for(language) if details else None
    if description is None or not description.value.strip():
        return ""
    text = escape(_shorten(description.value, DESCRIPTION_LIMIT))
    license_name = escape(description.license_name or "CC BY-SA")
    citation = description.citation or ""
    if citation.startswith(("http://", "https://")):
        source = translate(
            language, "description_source", citation=escape(citation), license=license_name
        )
    else:
        source = translate(language, "description_source_no_link", license=license_name)
    return f"{text}\n{source}"


def render_result(
    result: Identification,
    language: str,
    translate: Translator,
    options: ResultOptions,
    *,
    identification_id: int,
    confirmed_suggestion_id: int | None = None,
    confirm_buttons: bool = True,
    notes: Sequence[str] = (),
) -> RenderedMessage:
    """Render a finished identification: suggestions, best one's description, confirm buttons.

    `notes` are extra lines (already HTML) shown after the suggestions; without
    `confirm_buttons` (nobody could press them) there is no keyboard and no hint to press it.
    """
    if _looks_like_no_plant(result, options):
        probability = format_probability(result.is_plant_probability or 0.0)
        return RenderedMessage(translate(language, "not_a_plant", probability=probability))
    suggestions = shown_suggestions(result, options)
    if not suggestions:
        return RenderedMessage(translate(language, "no_suggestions"))
    unsure = suggestions[0].probability < options.low_confidence_threshold
    title = translate(language, "result_unsure_title" if unsure else "result_title")
    lines = [
        _suggestion_block(position, suggestion, language, translate)
        for position, suggestion in enumerate(suggestions, start=1)
    ]
    parts = [title, "\n".join(lines)]
    description = _description_block(suggestions[0], language, translate)
    tail = [*notes, translate(language, "confirm_hint")] if confirm_buttons else [*notes]
    text = "\n\n".join([*parts, description, *tail] if description else [*parts, *tail])
    if len(text) > MESSAGE_LIMIT:
        text = "\n\n".join([*parts, *tail])
    if not confirm_buttons:
        return RenderedMessage(text)
    keyboard = confirm_keyboard(
        identification_id, suggestions, confirmed_suggestion_id, language, translate
    )
    return RenderedMessage(text, keyboard)


def confirm_keyboard(
    identification_id: int,
    suggestions: Sequence[Suggestion],
    confirmed_suggestion_id: int | None,
    language: str,
    translate: Translator,
) -> InlineKeyboardMarkup:
    """Build one confirm button per suggestion, the confirmed one marked."""
    rows = []
    for index, suggestion in enumerate(suggestions):
        name = _shorten(display_name(suggestion, language), BUTTON_NAME_LIMIT)
        key = "button_confirmed" if suggestion.id == confirmed_suggestion_id else "button_confirm"
        button = InlineKeyboardButton(
            translate(language, key, name=name),
            callback_data=confirm_data(identification_id, index),
        )
        rows.append([button])
    return InlineKeyboardMarkup(rows)


def command_menu(language: str, translate: Translator) -> list[BotCommand]:
    """Return the bot's command menu in `language`."""
    return [
        BotCommand("start", translate(language, "command_start")),
        BotCommand("help", translate(language, "command_help")),
    ]


def render_failure(
    reason: FailureReason, language: str, translate: Translator, *, max_photo_bytes: int
) -> str:
    """Render the message that tells a person why their photo got no result."""
    if reason is FailureReason.TOO_BIG:
        megabytes = max_photo_bytes / 1_000_000
        digits = 1 if megabytes >= 1 else 3
        return translate(
            language, "failed_too_big", megabytes=translate.decimal(language, megabytes, digits)
        )
    if reason is FailureReason.NOT_IMAGE:
        return translate(language, "document_not_image")
    if reason is FailureReason.TOO_LARGE:
        return translate(language, "failed_too_large", megapixels=MAX_PIXELS // 1_000_000)
    return translate(language, f"failed_{reason.value}")
