"""Typed models of Plant.id v2 responses; tolerant of null, missing and unknown fields."""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeAlias, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_T = TypeVar("_T")

# Values are either plain (one language) or, with `plant_languages`, a dict keyed by language.
Localized: TypeAlias = _T | dict[str, _T | None]


def _probability(value: Any) -> Any:
    """Read a probability as a number within 0..1 (NaN, which JSON can't carry back, is 0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return 0.0 if math.isnan(number) else min(max(number, 0.0), 1.0)
    return value


def _list_or_empty(value: Any) -> Any:
    """Read a list the API sometimes sends as null."""
    return [] if value is None else value


Probability: TypeAlias = Annotated[float, BeforeValidator(_probability)]
OptionalProbability: TypeAlias = Annotated[float | None, BeforeValidator(_probability)]


class ApiModel(BaseModel):
    """Base of every response model: unknown fields are kept, never fatal."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _pick(value: Any, language: str) -> Any:
    """Return the value for `language` from a language-keyed dict, else "en", else any."""
    if not isinstance(value, dict):
        return value
    for key in (language, "en"):
        if value.get(key) is not None:
            return value[key]
    return next((item for item in value.values() if item is not None), None)


class MetaData(ApiModel):
    """Request data echoed back: location and the photo's date."""

    latitude: float | None = None
    longitude: float | None = None
    date: str | None = None
    datetime: str | None = None


class UploadedImage(ApiModel):
    """A stored copy of an uploaded image."""

    file_name: str | None = None
    url: str | None = None


class SimilarImage(ApiModel):
    """A reference photo similar to the submitted one (plants and diseases)."""

    id: str | None = None
    similarity: float | None = None
    url: str
    url_small: str | None = None
    citation: str | None = None
    license_name: str | None = None
    license_url: str | None = None


class WikiText(ApiModel):
    """A Wikipedia text or image URL with its source and licence, which must be shown."""

    value: str
    citation: str | None = None
    license_name: str | None = None
    license_url: str | None = None


class Taxonomy(ApiModel):
    """Taxonomic ranks of a plant; `class` is exposed as `class_`."""

    kingdom: str | None = None
    phylum: str | None = None
    class_: str | None = Field(default=None, alias="class")
    order: str | None = None
    family: str | None = None
    genus: str | None = None


class Watering(ApiModel):
    """Watering needs on the API's scale 1 (dry) to 3 (wet)."""

    min: int | None = None
    max: int | None = None


class StructuredName(ApiModel):
    """Lower-case name parts; genus-level suggestions have only `genus`."""

    genus: str | None = None
    species: str | None = None


class PlantDetails(ApiModel):
    """Requested plant details; every key may be missing or null."""

    common_names: Localized[list[str]] | None = None
    url: Localized[str] | None = None
    wiki_description: Localized[WikiText] | None = None
    name_authority: str | None = None
    taxonomy: Taxonomy | None = None
    synonyms: list[str] | None = None
    edible_parts: list[str] | None = None
    propagation_methods: list[str] | None = None
    watering: Watering | None = None
    gbif_id: int | None = None
    rank: str | None = None
    wiki_image: WikiText | None = None
    wiki_images: list[WikiText] | None = None
    scientific_name: str | None = None
    structured_name: StructuredName | None = None
    language: Localized[str] | None = None

    def common_names_for(self, language: str) -> list[str]:
        """Return the common names in `language` (falling back to English, then any)."""
        names = _pick(self.common_names, language)
        return list(names) if names else []

    def url_for(self, language: str) -> str | None:
        """Return the page URL in `language` (falling back to English, then any)."""
        url = _pick(self.url, language)
        return url if isinstance(url, str) else None

    def description_for(self, language: str) -> WikiText | None:
        """Return the description in `language` (falling back to English, then any)."""
        text = _pick(self.wiki_description, language)
        return text if isinstance(text, WikiText) else None


class Suggestion(ApiModel):
    """One candidate species or genus for the photographed plant."""

    id: int
    plant_name: str
    plant_details: PlantDetails | None = None
    probability: Probability
    confirmed: bool = False
    similar_images: list[SimilarImage] | None = None


class Treatment(ApiModel):
    """Treatment advice; a list is missing when the API has no data for it."""

    biological: list[str] | None = None
    chemical: list[str] | None = None
    prevention: list[str] | None = None


class DiseaseDetails(ApiModel):
    """Requested disease details plus the always-added `local_name` and `language`."""

    cause: str | None = None
    common_names: Localized[list[str]] | None = None
    classification: list[str] | None = None
    description: Localized[str] | None = None
    treatment: Localized[Treatment] | None = None
    url: Localized[str] | None = None
    local_name: Localized[str] | None = None
    language: Localized[str] | None = None

    def common_names_for(self, language: str) -> list[str]:
        """Return the common names in `language` (falling back to English, then any)."""
        names = _pick(self.common_names, language)
        return list(names) if names else []

    def local_name_for(self, language: str) -> str | None:
        """Return the localized name in `language` (falling back to English, then any)."""
        name = _pick(self.local_name, language)
        return name if isinstance(name, str) else None

    def description_for(self, language: str) -> str | None:
        """Return the description in `language` (falling back to English, then any)."""
        text = _pick(self.description, language)
        return text if isinstance(text, str) else None

    def treatment_for(self, language: str) -> Treatment | None:
        """Return the treatment advice in `language` (falling back to English, then any)."""
        treatment = _pick(self.treatment, language)
        return treatment if isinstance(treatment, Treatment) else None


class Disease(ApiModel):
    """One candidate condition; `redundant` marks generic parent classes."""

    entity_id: int | None = None
    name: str
    probability: Probability
    redundant: bool = False
    similar_images: list[SimilarImage] | None = None
    disease_details: DiseaseDetails | None = None


class HealthAssessment(ApiModel):
    """Whether the plant looks healthy and, unless only the probability was asked, why not."""

    is_healthy_probability: OptionalProbability = None
    is_healthy: bool | None = None
    diseases: list[Disease] | None = None


class Identification(ApiModel):
    """An identification as returned by identify, enqueue, the getters and health assessment."""

    id: int
    custom_id: int | None = None
    meta_data: MetaData = Field(default_factory=MetaData)
    uploaded_datetime: float | None = None
    finished_datetime: float | None = None
    images: list[UploadedImage] = Field(default_factory=list)
    suggestions: list[Suggestion] | None = None
    modifiers: Annotated[list[str], BeforeValidator(_list_or_empty)] = Field(default_factory=list)
    secret: str | None = None
    fail_cause: str | None = None
    countable: bool | None = None
    feedback: Any = None
    is_plant_probability: OptionalProbability = None
    is_plant: bool | None = None
    health_assessment: HealthAssessment | None = None

    @property
    def is_health_only(self) -> bool:
        """Return whether this is a health assessment without species suggestions."""
        # /health_assessment answers omit the `suggestions` key and mark themselves health_only.
        return "health_only" in self.modifiers or "suggestions" not in self.model_fields_set

    @property
    def is_failed(self) -> bool:
        """Return whether the service gave up on this identification."""
        return self.fail_cause is not None

    @property
    def is_pending(self) -> bool:
        """Return whether the result is not ready yet and should be fetched again later."""
        # Judged on content, not on which keys were sent, so that a stored and re-read result
        # (where an absent `suggestions` key becomes null) keeps its meaning.
        return not self.is_failed and self.suggestions is None and self.health_assessment is None


class UsageInfo(ApiModel):
    """Credit limits of the key (null = unlimited), credits used and remaining."""

    active: bool | None = None
    daily_limit: int | None = None
    weekly_limit: int | None = None
    monthly_limit: int | None = None
    total_limit: int | None = None
    is_closed: bool | None = None
    used_day: int | float | None = None
    used_week: int | float | None = None
    used_month: int | float | None = None
    used_total: int | float | None = None
    remaining_day: int | float | None = None
    remaining_week: int | float | None = None
    remaining_month: int | float | None = None
    remaining_total: int | float | None = None
