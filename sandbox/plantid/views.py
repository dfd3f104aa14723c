"""Render stored identifications as Plant.id v2 JSON, applying the read-time view options."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.plantid import assumptions
from sandbox.plantid.catalogue import TAXONOMY_KEYS, Taxon
from sandbox.plantid.diseases import Condition
from sandbox.plantid.media import similar_image_id
from sandbox.plantid.models import Identification, SimilarImage, StoredDisease, StoredSuggestion

PLANT_DETAILS = (
    "common_names",
    "url",
    "name_authority",
    "wiki_description",
    "taxonomy",
    "synonyms",
    "edible_parts",
    "propagation_methods",
    "watering",
    "gbif_id",
    "rank",
    "wiki_image",
    "wiki_images",
    "language",
    "scientific_name",
    "structured_name",
)
LOCALIZED_PLANT_DETAILS = ("common_names", "url", "wiki_description", "language")
DISEASE_DETAILS = ("cause", "classification", "common_names", "description", "treatment", "url")
SIMILAR_IMAGE_LICENSE = ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/")
SIMILAR_IMAGE_AUTHOR = "Plantbot sandbox"

Register = Callable[[str, str], None]


@dataclass(frozen=True)
class View:
    """Choose which details appear and in which language(s), as the getters allow."""

    plant_details: tuple[str, ...] = ()
    plant_languages: tuple[str, ...] | None = None
    plant_language: str = assumptions.DEFAULT_LANGUAGE
    disease_details: tuple[str, ...] = ()
    disease_languages: tuple[str, ...] | None = None
    disease_language: str = assumptions.DEFAULT_LANGUAGE


def _date(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).date().isoformat()


def _meta_data(ident: Identification) -> dict[str, Any]:
    upload_date = _date(ident.uploaded_datetime)
    if not ident.datetime_sent:
        date: str | None = upload_date
        sent: str | None = upload_date
    elif ident.datetime is None:
        date, sent = upload_date, None
    else:
        date = sent = _date(ident.datetime)
    return {
        "latitude": ident.latitude,
        "longitude": ident.longitude,
        "date": date,
        "datetime": sent,
    }


def _similar(images: list[SimilarImage], base_url: str) -> list[dict[str, Any]]:
    rendered = []
    for image in images:
        entry: dict[str, Any] = {
            "id": image.id,
            "similarity": image.similarity,
            "url": f"{base_url}/media/similar/{image.id}.jpg",
            "url_small": f"{base_url}/media/similar/{image.id}.small.jpg",
        }
        if image.attributed:
            entry["citation"] = SIMILAR_IMAGE_AUTHOR
            entry["license_name"], entry["license_url"] = SIMILAR_IMAGE_LICENSE
        rendered.append(entry)
    return rendered


def _plant_language(taxon: Taxon, language: str) -> str:
    """Return `language` when the catalogue covers it for `taxon`, else English."""
    return language if language in taxon.common_names else assumptions.DEFAULT_LANGUAGE


def _localized_plant_detail(taxon: Taxon, detail: str, language: str) -> Any:
    used = _plant_language(taxon, language)
    if detail == "common_names":
        return list(taxon.common_names[used])
    if detail == "url":
        return taxon.wiki_url(used)
    if detail == "language":
        return used
    # Only English descriptions are in the catalogue; the API also falls back to English.
    return {
        "value": taxon.description,
        "citation": taxon.wiki_url("en"),
        "license_name": taxon.wiki_license_name,
        "license_url": taxon.wiki_license_url,
    }


def _wiki_picture(taxon: Taxon, index: int, base_url: str, register: Register) -> dict[str, Any]:
    image_id = similar_image_id("wiki", taxon.name, index)
    register(image_id, taxon.colour)
    return {
        "value": f"{base_url}/media/similar/{image_id}.jpg",
        "citation": SIMILAR_IMAGE_AUTHOR,
        "license_name": taxon.wiki_license_name,
        "license_url": taxon.wiki_license_url,
    }


def _plant_detail(taxon: Taxon, detail: str, base_url: str, register: Register) -> Any:
    values: dict[str, Any] = {
        "name_authority": taxon.authority,
        "synonyms": list(taxon.synonyms),
        "edible_parts": None if taxon.edible_parts is None else list(taxon.edible_parts),
        "propagation_methods": (
            None if taxon.propagation_methods is None else list(taxon.propagation_methods)
        ),
        "watering": (
            None
            if taxon.watering is None
            else dict(zip(("min", "max"), taxon.watering, strict=True))
        ),
        "gbif_id": taxon.gbif_id,
        "rank": taxon.rank,
        "scientific_name": taxon.name,
        "structured_name": taxon.structured_name,
    }
    if detail == "taxonomy":
        return dict(zip(TAXONOMY_KEYS, taxon.taxonomy, strict=True))
    if detail == "wiki_image":
        return _wiki_picture(taxon, 0, base_url, register)
    if detail == "wiki_images":
        return [_wiki_picture(taxon, index, base_url, register) for index in range(2)]
    return values[detail]


def plant_details(taxon: Taxon, view: View, base_url: str, register: Register) -> dict[str, Any]:
    """Return the `plant_details` object of one suggestion under `view`."""
    wanted = {*view.plant_details, "scientific_name", "structured_name"}
    details: dict[str, Any] = {}
    for detail in PLANT_DETAILS:
        if detail not in wanted:
            continue
        if detail in LOCALIZED_PLANT_DETAILS:
            if view.plant_languages is not None:
                details[detail] = {
                    lang: _localized_plant_detail(taxon, detail, lang)
                    for lang in view.plant_languages
                }
            else:
                details[detail] = _localized_plant_detail(taxon, detail, view.plant_language)
        else:
            details[detail] = _plant_detail(taxon, detail, base_url, register)
    return details


def _suggestion(
    suggestion: StoredSuggestion, ident: Identification, view: View, base_url: str, reg: Register
) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": suggestion.id,
        "plant_name": suggestion.taxon.name,
        "plant_details": plant_details(suggestion.taxon, view, base_url, reg),
        "probability": suggestion.probability,
        "confirmed": suggestion.confirmed,
    }
    if "similar_images" in ident.modifiers:
        rendered["similar_images"] = _similar(suggestion.similar_images, base_url)
    return rendered


def _disease_language(condition: Condition, language: str) -> str:
    return language if language in condition.local_names else assumptions.DEFAULT_LANGUAGE


def _disease_detail(condition: Condition, detail: str) -> Any:
    if detail == "cause":
        return condition.cause
    if detail == "classification":
        return list(condition.classification)
    if detail == "common_names":
        return None if condition.common_names is None else list(condition.common_names)
    if detail == "description":
        return condition.description
    if detail == "url":
        return condition.url
    treatment: dict[str, list[str]] = {}
    for key, items in (
        ("biological", condition.biological),
        ("chemical", condition.chemical),
        ("prevention", condition.prevention),
    ):
        # The API omits a treatment key when it has no data for it.
        if items:
            treatment[key] = list(items)
    return treatment


def _disease_details(condition: Condition, view: View) -> dict[str, Any]:
    details: dict[str, Any] = {
        detail: _disease_detail(condition, detail)
        for detail in DISEASE_DETAILS
        if detail in view.disease_details
    }
    if view.disease_languages is not None:
        languages = view.disease_languages
        details["local_name"] = {
            lang: condition.local_names[_disease_language(condition, lang)] for lang in languages
        }
        details["language"] = {lang: _disease_language(condition, lang) for lang in languages}
    else:
        used = _disease_language(condition, view.disease_language)
        details["local_name"] = condition.local_names[used]
        details["language"] = used
    return details


def _disease(disease: StoredDisease, ident: Identification, view: View, base_url: str) -> Any:
    rendered: dict[str, Any] = {
        "entity_id": disease.condition.entity_id,
        "name": disease.condition.name,
        "probability": disease.probability,
    }
    if disease.redundant:
        rendered["redundant"] = True
    if "disease_similar_images" in ident.modifiers:
        rendered["similar_images"] = _similar(disease.similar_images, base_url)
    if view.disease_details:
        rendered["disease_details"] = _disease_details(disease.condition, view)
    return rendered


def _health(ident: Identification, view: View, base_url: str) -> dict[str, Any]:
    health = ident.health
    rendered: dict[str, Any] = {
        "is_healthy_probability": health.is_healthy_probability,
        "is_healthy": health.is_healthy,
    }
    if (
        ident.is_health_endpoint
        or "health_probability" not in ident.modifiers
        or ({"health_all", "health_auto", "health_only"} & set(ident.modifiers))
    ):
        rendered["diseases"] = [_disease(d, ident, view, base_url) for d in health.diseases]
    return rendered


def render_identification(
    ident: Identification, view: View, base_url: str, register: Register
) -> dict[str, Any]:
    """Return the §7.1 identification object in the documented key order."""
    finished = ident.finished
    body: dict[str, Any] = {
        "id": ident.id,
        "custom_id": ident.custom_id,
        "meta_data": _meta_data(ident),
        "uploaded_datetime": ident.uploaded_datetime,
        "finished_datetime": ident.finished_datetime,
        "images": [
            {"file_name": image.file_name, "url": f"{base_url}/media/images/{image.file_name}"}
            for image in ident.images
        ],
    }
    if ident.shows_suggestions:
        suggestions: list[dict[str, Any]] | None = None
        if finished:
            suggestions = [
                _suggestion(suggestion, ident, view, base_url, register)
                for suggestion in ident.suggestions
            ]
        body["suggestions"] = suggestions
    body.update(
        {
            "modifiers": list(ident.modifiers),
            "secret": ident.secret,
            "fail_cause": ident.fail_cause if finished else None,
            "countable": ident.cost() > 0 or not finished,
            "feedback": None,
            "is_plant_probability": ident.is_plant_probability if finished else None,
            "is_plant": (
                ident.is_plant_probability >= assumptions.IS_PLANT_THRESHOLD if finished else None
            ),
        }
    )
    if finished and ident.shows_health and ident.fail_cause is None:
        body["health_assessment"] = _health(ident, view, base_url)
    return body
