"""Pure functions that turn identification results into Telegram HTML and keyboards."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import ResultAction, action_data, confirm_data
from bot.i18n import Translator
from bot.model import FailureReason
from plantid import Disease, Identification, SimilarImage, Suggestion
from plantid.images import MAX_PIXELS

# Telegram counts the limit after entity parsing; staying under it on the raw HTML is safe.
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
DESCRIPTION_LIMIT = 600
# Bounded so that even `SUGGESTIONS_SHOWN=8` with a description stays under MESSAGE_LIMIT.
NAME_LIMIT = 120
# A phone shows about 40 characters across one button row; two buttons share that width.
BUTTON_ROW_LIMIT = 40
BUTTON_PAIR_LIMIT = 20
REFERENCE_PHOTOS_PER_SUGGESTION = 2
# Plant.id's watering scale: 1 dry, 2 medium, 3 wet.
_WATERING_KEYS = {1: "watering_dry", 2: "watering_medium", 3: "watering_wet"}
_RANKS = ("kingdom", "phylum", "class_", "order", "family", "genus")


@dataclass(frozen=True)
class ResultOptions:
    """How many suggestions to show, where the confidence thresholds lie, which buttons exist."""

    shown: int
    low_confidence_threshold: float
    not_plant_threshold: float
    health_button: bool = True


@dataclass(frozen=True)
class RenderedMessage:
    """Text in Telegram HTML plus an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class ButtonAnswer:
    """How to answer a button press, and what to redraw or do afterwards.

    `keyboard` replaces the pressed message's keyboard, `replace` its whole text and keyboard;
    `follow_up` runs after the press is answered (Telegram wants the answer within seconds).
    """

    text: str | None = None
    show_alert: bool = False
    keyboard: InlineKeyboardMarkup | None = None
    replace: RenderedMessage | None = None
    follow_up: Callable[[], Awaitable[None]] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ReferencePhoto:
    """One reference photo to show: where to fetch it and its HTML caption."""

    url: str
    caption: str


def escape(text: str) -> str:
    """Escape API text for Telegram HTML (also inside attribute values)."""
    return html.escape(text, quote=True)


def utf16_len(text: str) -> int:
    """Return the length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def clip_utf16(text: str, limit: int) -> str:
    """Return `text`, or its start ending in "…", within `limit` UTF-16 code units."""
    if utf16_len(text) <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit - 1:
            return text[:index] + "…"
    return text


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def common_name(suggestion: Suggestion, language: str) -> str | None:
    """Return the suggestion's first common name in `language`, capitalized, if any."""
    details = suggestion.plant_details
    names = details.common_names_for(language) if details else []
    if not names:
        return None
    name = names[0].strip()
    return _capitalized(name) if name else None


def display_name(suggestion: Suggestion, language: str) -> str:
    """Return the common name in `language`, falling back to the scientific name."""
    return common_name(suggestion, language) or scientific_name(suggestion)


def scientific_name(suggestion: Suggestion) -> str:
    """Return the suggestion's scientific name."""
    details = suggestion.plant_details
    return (details.scientific_name if details else None) or suggestion.plant_name


def family_of(suggestion: Suggestion) -> str | None:
    """Return the suggestion's family from its taxonomy, if Plant.id gave one."""
    details = suggestion.plant_details
    taxonomy = details.taxonomy if details else None
    return taxonomy.family if taxonomy and taxonomy.family else None


def genus_of(suggestion: Suggestion) -> str | None:
    """Return the suggestion's genus: from the taxonomy, the structured name or the name."""
    details = suggestion.plant_details
    if details and details.taxonomy and details.taxonomy.genus:
        return details.taxonomy.genus
    if details and details.structured_name and details.structured_name.genus:
        return _capitalized(details.structured_name.genus)
    first = scientific_name(suggestion).split()
    return first[0] if first else None


def ranked_suggestions(result: Identification) -> list[Suggestion]:
    """Return every suggestion, best first."""
    return sorted(result.suggestions or [], key=lambda item: item.probability, reverse=True)


def shown_suggestions(result: Identification, options: ResultOptions) -> list[Suggestion]:
    """Return the suggestions a result's buttons refer to, best first."""
    return ranked_suggestions(result)[: options.shown]


def looks_like_no_plant(result: Identification, options: ResultOptions) -> bool:
    """Tell whether Plant.id thinks the photo shows no plant."""
    probability = result.is_plant_probability
    return probability is not None and probability < options.not_plant_threshold


def _percent(translate: Translator, language: str, fraction: float) -> str:
    # Babel may write "<1 %": the sign must not reach Telegram as HTML.
    return escape(translate.percent(language, fraction))


def _suggestion_block(
    index: int, suggestion: Suggestion, language: str, translate: Translator
) -> str:
    probability = _percent(translate, language, suggestion.probability)
    name = common_name(suggestion, language)
    scientific = escape(_shorten(scientific_name(suggestion), NAME_LIMIT))
    if name:
        line = translate(
            language,
            "suggestion_line",
            index=index,
            name=escape(_shorten(name, NAME_LIMIT)),
            scientific_name=scientific,
            probability=probability,
        )
    else:
        line = translate(
            language,
            "suggestion_line_scientific",
            index=index,
            scientific_name=scientific,
            probability=probability,
        )
    family = family_of(suggestion)
    if family:
        line += " · " + translate(
            language, "result_family", family=escape(_shorten(family, NAME_LIMIT))
        )
    url = suggestion.plant_details.url_for(language) if suggestion.plant_details else None
    if url and url.startswith(("http://", "https://")):
        line += " · " + translate(language, "wikipedia_link", url=escape(url))
    return line


def likely_group(
    result: Identification, language: str, translate: Translator, threshold: float
) -> str | None:
    """Say which genus or family the suggestions agree on, when no single species is sure."""
    genus_totals: dict[str, float] = {}
    family_totals: dict[str, float] = {}
    family_of_genus: dict[str, str] = {}
    for suggestion in result.suggestions or []:
        genus, family = genus_of(suggestion), family_of(suggestion)
        if family:
            family_totals[family] = family_totals.get(family, 0.0) + suggestion.probability
        if genus:
            genus_totals[genus] = genus_totals.get(genus, 0.0) + suggestion.probability
            if family:
                family_of_genus.setdefault(genus, family)
    for genus, total in sorted(genus_totals.items(), key=lambda item: -item[1]):
        if total >= threshold and genus in family_of_genus:
            return translate(
                language,
                "result_probably_genus",
                genus=escape(_shorten(genus, NAME_LIMIT)),
                family=escape(_shorten(family_of_genus[genus], NAME_LIMIT)),
            )
        break
    for family, total in sorted(family_totals.items(), key=lambda item: -item[1]):
        if total >= threshold:
            return translate(
                language, "result_probably_family", family=escape(_shorten(family, NAME_LIMIT))
            )
        break
    return None


def likely_disease(result: Identification, language: str) -> Disease | None:
    """Return the most likely disease when the stored result says the plant looks unhealthy."""
    health = result.health_assessment
    if health is None or not health.diseases:
        return None
    unhealthy = health.is_healthy is False or (
        health.is_healthy is None
        and health.is_healthy_probability is not None
        and health.is_healthy_probability < 0.5
    )
    if not unhealthy:
        return None
    specific = [disease for disease in health.diseases if not disease.redundant]
    return max(specific or health.diseases, key=lambda disease: disease.probability)


def disease_name(disease: Disease, language: str) -> str:
    """Return a disease's name in `language` where Plant.id localized it."""
    details = disease.disease_details
    local = details.local_name_for(language) if details else None
    return _capitalized(local or disease.name)


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
    show_anyway: bool = False,
) -> RenderedMessage:
    """Render a finished identification: suggestions, best one's description, buttons.

    `notes` are extra lines (already HTML) shown after the suggestions; without
    `confirm_buttons` (nobody could press them) there is no keyboard and no hint to press it.
    """
    suggestions = shown_suggestions(result, options)
    if looks_like_no_plant(result, options) and not show_anyway:
        probability = _percent(translate, language, result.is_plant_probability or 0.0)
        text = translate(language, "not_a_plant", probability=probability)
        if not suggestions:
            return RenderedMessage(text)
        button = InlineKeyboardButton(
            translate(language, "button_show_anyway"),
            callback_data=action_data(identification_id, ResultAction.SHOW_ANYWAY),
        )
        return RenderedMessage(text, InlineKeyboardMarkup([[button]]))
    if not suggestions:
        return RenderedMessage(translate(language, "no_suggestions"))
    unsure = suggestions[0].probability < options.low_confidence_threshold
    title = translate(language, "result_unsure_title" if unsure else "result_title")
    lines = "\n".join(
        _suggestion_block(position, suggestion, language, translate)
        for position, suggestion in enumerate(suggestions, start=1)
    )
    parts = [title, lines]
    if unsure:
        hint = likely_group(result, language, translate, options.low_confidence_threshold)
        if hint:
            parts.append(hint)
    disease = likely_disease(result, language)
    if disease is not None:
        name = escape(_shorten(disease_name(disease, language), NAME_LIMIT))
        parts.append(translate(language, "health_line", disease=name))
    description = _description_block(suggestions[0], language, translate)
    tail = [*notes, translate(language, "confirm_hint")] if confirm_buttons else [*notes]
    text = "\n\n".join([*parts, description, *tail] if description else [*parts, *tail])
    if utf16_len(text) > MESSAGE_LIMIT:
        text = "\n\n".join([*parts, *tail])
    if not confirm_buttons:
        return RenderedMessage(text)
    keyboard = confirm_keyboard(
        identification_id,
        suggestions,
        confirmed_suggestion_id,
        language,
        translate,
        health_button=options.health_button,
    )
    return RenderedMessage(text, keyboard)


def _label(text: str, limit: int) -> str:
    return text if len(text) <= limit else _shorten(text, limit)


def pack_rows(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Put short buttons two to a row and long ones alone, keeping their order."""
    rows: list[list[InlineKeyboardButton]] = []
    pending: InlineKeyboardButton | None = None
    for button in buttons:
        short = len(button.text) <= BUTTON_PAIR_LIMIT
        if pending is not None and short:
            rows.append([pending, button])
            pending = None
            continue
        if pending is not None:
            rows.append([pending])
            pending = None
        if short:
            pending = button
        else:
            rows.append([button])
    if pending is not None:
        rows.append([pending])
    return rows


def confirm_keyboard(
    identification_id: int,
    suggestions: Sequence[Suggestion],
    confirmed_suggestion_id: int | None,
    language: str,
    translate: Translator,
    *,
    health_button: bool = True,
) -> InlineKeyboardMarkup:
    """Build the result's keyboard: a button per suggestion (the confirmed one marked), then
    "none of these", compare, more and (if enabled) the health check."""
    rows = []
    for index, suggestion in enumerate(suggestions):
        key = (
            "button_confirmed" if suggestion.id == confirmed_suggestion_id else "button_this_is_it"
        )
        frame = len(translate(language, key, name=""))
        name = _shorten(display_name(suggestion, language), max(BUTTON_ROW_LIMIT - frame, 8))
        button = InlineKeyboardButton(
            translate(language, key, name=name),
            callback_data=confirm_data(identification_id, index),
        )
        rows.append([button])
    extras = [
        InlineKeyboardButton(
            translate(language, "button_none_of_these"),
            callback_data=confirm_data(identification_id, None),
        ),
        InlineKeyboardButton(
            translate(language, "button_compare"),
            callback_data=action_data(identification_id, ResultAction.COMPARE),
        ),
        InlineKeyboardButton(
            translate(language, "button_more"),
            callback_data=action_data(identification_id, ResultAction.MORE),
        ),
    ]
    if health_button:
        extras.append(
            InlineKeyboardButton(
                translate(language, "button_health"),
                callback_data=action_data(identification_id, ResultAction.HEALTH),
            )
        )
    # "None of these" stays alone on its row so that it is never mistaken for a pair's half.
    rows.append([extras[0]])
    rows.extend(pack_rows(extras[1:]))
    return InlineKeyboardMarkup(rows)


# -- Reference photos, details and health (answers to the result's buttons) ---------------------


def reference_photos(
    result: Identification, options: ResultOptions, language: str, translate: Translator
) -> list[ReferencePhoto]:
    """Return up to two captioned reference photos for each shown suggestion."""
    photos = []
    for suggestion in shown_suggestions(result, options):
        images: list[SimilarImage] = suggestion.similar_images or []
        usable = [image for image in images if image.url.startswith(("http://", "https://"))]
        for image in usable[:REFERENCE_PHOTOS_PER_SUGGESTION]:
            caption = translate(
                language,
                "compare_caption",
                name=escape(_shorten(display_name(suggestion, language), NAME_LIMIT)),
                similarity=_percent(translate, language, image.similarity or 0.0),
                citation=escape(_shorten(image.citation or "Plant.id", 300)),
                license=escape(_shorten(image.license_name or "?", 100)),
            )
            photos.append(ReferencePhoto(image.url, caption))
    return photos


def details_subject(
    result: Identification, options: ResultOptions, confirmed_suggestion_id: int | None
) -> Suggestion | None:
    """Return the suggestion "More" is about: the confirmed one, else the best one."""
    suggestions = ranked_suggestions(result)
    for suggestion in suggestions:
        if suggestion.id == confirmed_suggestion_id:
            return suggestion
    return suggestions[0] if suggestions else None


def _joined(values: Sequence[str] | None, limit: int = 10) -> str:
    return escape(", ".join(_shorten(value, 60) for value in (values or [])[:limit]))


def render_details(suggestion: Suggestion, language: str, translate: Translator) -> str:
    """Render the details of one suggestion: taxonomy, synonyms, uses, care, sources."""
    name = escape(_shorten(display_name(suggestion, language), NAME_LIMIT))
    lines = [f"<b>{translate(language, 'details_title', name=name)}</b>"]
    details = suggestion.plant_details
    if details is None:
        return "\n\n".join([*lines, translate(language, "details_none")])
    sections: list[str] = []
    taxonomy = details.taxonomy
    if taxonomy is not None:
        ranks = [
            f"{translate(language, 'rank_' + rank.rstrip('_'))}: {escape(value)}"
            for rank in _RANKS
            if (value := getattr(taxonomy, rank))
        ]
        if ranks:
            sections.append(
                f"<b>{translate(language, 'details_taxonomy')}</b>\n" + "\n".join(ranks)
            )
    if details.synonyms:
        sections.append(
            f"<b>{translate(language, 'details_synonyms')}</b>: <i>{_joined(details.synonyms)}</i>"
        )
    if details.edible_parts:
        sections.append(
            f"<b>{translate(language, 'details_edible_parts')}</b>: {_joined(details.edible_parts)}"
        )
    if details.propagation_methods:
        sections.append(
            f"<b>{translate(language, 'details_propagation')}</b>: "
            f"{_joined(details.propagation_methods)}"
        )
    watering = details.watering
    if watering is not None and (watering.min or watering.max):
        low = watering.min or watering.max or 2
        high = watering.max or low
        words = [
            translate(language, _WATERING_KEYS[level])
            for level in sorted({low, high})
            if level in _WATERING_KEYS
        ]
        if words:
            sections.append(
                f"<b>{translate(language, 'details_watering')}</b>: {' – '.join(words)}"
            )
    if details.name_authority:
        sections.append(
            f"<b>{translate(language, 'details_authority')}</b>: "
            f"{escape(_shorten(details.name_authority, NAME_LIMIT))}"
        )
    if details.gbif_id:
        url = f"https://www.gbif.org/species/{int(details.gbif_id)}"
        sections.append(f'<b>{translate(language, "details_gbif")}</b>: <a href="{url}">{url}</a>')
    if not sections:
        sections.append(translate(language, "details_none"))
    text = "\n\n".join([*lines, *sections])
    while utf16_len(text) > MESSAGE_LIMIT and sections:
        sections.pop()
        text = "\n\n".join([*lines, *sections])
    return text


def render_health(assessment: Identification, language: str, translate: Translator) -> str:
    """Render a health assessment: likely diseases with probability, description, treatment."""
    title = f"<b>{translate(language, 'health_title')}</b>"
    health = assessment.health_assessment
    if health is None:
        return "\n\n".join([title, translate(language, "health_failed")])
    diseases = [disease for disease in health.diseases or [] if not disease.redundant]
    diseases = sorted(diseases, key=lambda disease: -disease.probability)[:3]
    healthy = health.is_healthy
    if healthy is None and health.is_healthy_probability is not None:
        healthy = health.is_healthy_probability >= 0.5
    blocks = [title]
    if healthy or not diseases:
        probability = _percent(translate, language, health.is_healthy_probability or 1.0)
        blocks.append(translate(language, "health_healthy", probability=probability))
        return "\n\n".join(blocks)
    for disease in diseases:
        name = escape(_shorten(disease_name(disease, language), NAME_LIMIT))
        head = translate(
            language,
            "health_disease",
            name=f"<b>{name}</b>",
            probability=_percent(translate, language, disease.probability),
        )
        block = [head]
        details = disease.disease_details
        description = details.description_for(language) if details else None
        if description:
            block.append(escape(_shorten(description, 400)))
        treatment = details.treatment_for(language) if details else None
        if treatment is not None:
            advice = [
                f"• <i>{translate(language, 'health_treatment_' + kind)}</i>: "
                f"{escape(_shorten(' '.join(steps[:2]), 300))}"
                for kind in ("biological", "chemical", "prevention")
                if (steps := getattr(treatment, kind))
            ]
            if advice:
                block.append(f"{translate(language, 'health_treatment')}:\n" + "\n".join(advice))
        blocks.append("\n".join(block))
    text = "\n\n".join(blocks)
    while utf16_len(text) > MESSAGE_LIMIT and len(blocks) > 2:
        blocks.pop()
        text = "\n\n".join(blocks)
    return text


def command_menu(language: str, translate: Translator) -> list[BotCommand]:
    """Return the bot's command menu in `language`."""
    return [
        BotCommand("start", translate(language, "command_start")),
        BotCommand("help", translate(language, "command_help")),
        BotCommand("language", translate(language, "command_language")),
        BotCommand("history", translate(language, "command_history")),
        BotCommand("forget", translate(language, "command_forget")),
    ]


def render_failure(
    reason: FailureReason,
    language: str,
    translate: Translator,
    *,
    max_photo_bytes: int,
    operator_told: bool = True,
) -> str:
    """Render the message that tells a person why their photo got no result.

    Without an admin chat nobody is told, so texts that would say so take their plain variant.
    """
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
    key = f"failed_{reason.value}"
    if not operator_told and f"{key}_no_operator" in translate.keys:
        key += "_no_operator"
    return translate(language, key)
