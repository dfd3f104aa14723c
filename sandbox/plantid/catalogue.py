"""Load the emulator's catalogue of plant taxa and conditions from its data files; look them up."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.plantid.diseases import Condition, parse_conditions

TAXONOMY_KEYS: Final = ("kingdom", "phylum", "class", "order", "family", "genus")
TAXA_FILE: Final = "taxa.json"
DISEASES_FILE: Final = "diseases.json"
Colour = Literal["red", "orange", "yellow", "green", "blue", "purple", "pink", "white"]


@dataclass(frozen=True)
class Taxon:
    """Describe one species or genus the emulator can suggest."""

    name: str
    authority: str
    rank: str
    taxonomy: tuple[str, str, str, str, str, str]
    common_names: dict[str, tuple[str, ...]]
    wiki_title: str
    description: str
    colour: str
    synonyms: tuple[str, ...] = ()
    edible_parts: tuple[str, ...] | None = None
    propagation_methods: tuple[str, ...] | None = None
    watering: tuple[int, int] | None = None
    gbif_id: int | None = None
    extra_wiki_titles: dict[str, str] = field(default_factory=dict)
    wiki_license_name: str = "CC BY-SA 3.0"
    wiki_license_url: str = "https://creativecommons.org/licenses/by-sa/3.0/"

    @property
    def structured_name(self) -> dict[str, str]:
        """Return the lower-case genus/species pair the API calls `structured_name`."""
        parts = self.name.lower().split()
        if self.rank == "genus":
            return {"genus": parts[0]}
        return {"genus": parts[0], "species": " ".join(parts[1:])}

    def wiki_url(self, language: str) -> str:
        """Return the Wikipedia page of the taxon in `language`."""
        title = self.extra_wiki_titles.get(language)
        if title is None:
            title = self.wiki_title if language == "en" else self.name.replace(" ", "_")
        return f"https://{language}.wikipedia.org/wiki/{title}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Taxonomy(_Strict):
    kingdom: str
    phylum: str
    class_: str = Field(alias="class")
    order: str
    family: str
    genus: str


class _Watering(_Strict):
    # §5.1: watering is on a scale of 1 (dry) to 3 (wet).
    min: int = Field(ge=1, le=3)
    max: int = Field(ge=1, le=3)


class _License(_Strict):
    name: str
    url: str


class _TaxonRecord(_Strict):
    name: str = Field(min_length=1)
    authority: str
    rank: Literal["species", "genus"]
    taxonomy: _Taxonomy
    common_names: dict[str, list[str]]
    wiki_title: str
    wiki_titles: dict[str, str] = {}
    description: str
    colour: Colour
    synonyms: list[str] = []
    edible_parts: list[str] | None = None
    propagation_methods: list[str] | None = None
    watering: _Watering | None = None
    gbif_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> _TaxonRecord:
        if "en" not in self.common_names:
            raise ValueError(f"{self.name}: common_names needs an 'en' entry (the fallback)")
        if self.taxonomy.genus != self.name.split()[0]:
            raise ValueError(f"{self.name}: taxonomy.genus must be the name's genus")
        if self.rank == "species" and self.gbif_id is None:
            raise ValueError(f"{self.name}: every species needs a gbif_id")
        if self.watering is not None and self.watering.min > self.watering.max:
            raise ValueError(f"{self.name}: watering min exceeds max")
        return self

    def taxon(self, license: _License) -> Taxon:
        tax = self.taxonomy
        return Taxon(
            name=self.name,
            authority=self.authority,
            rank=self.rank,
            taxonomy=(tax.kingdom, tax.phylum, tax.class_, tax.order, tax.family, tax.genus),
            common_names={lang: tuple(names) for lang, names in self.common_names.items()},
            wiki_title=self.wiki_title,
            description=self.description,
            colour=self.colour,
            synonyms=tuple(self.synonyms),
            edible_parts=None if self.edible_parts is None else tuple(self.edible_parts),
            propagation_methods=(
                None if self.propagation_methods is None else tuple(self.propagation_methods)
            ),
            watering=None if self.watering is None else (self.watering.min, self.watering.max),
            gbif_id=self.gbif_id,
            extra_wiki_titles=dict(self.wiki_titles),
            wiki_license_name=license.name,
            wiki_license_url=license.url,
        )


class _TaxaFile(_Strict):
    wiki_license: _License
    taxa: list[_TaxonRecord] = Field(min_length=1)


def parse_taxa(raw: Any) -> tuple[Taxon, ...]:
    """Validate the decoded taxa file into taxa (ValueError on bad data)."""
    document = _TaxaFile.model_validate(raw)
    taxa = tuple(record.taxon(document.wiki_license) for record in document.taxa)
    names = [taxon.name.lower() for taxon in taxa]
    if len(set(names)) != len(names):
        raise ValueError("taxon names must be unique")
    return taxa


@dataclass(frozen=True)
class Catalogue:
    """Hold the taxa and conditions an emulator knows, indexed by lower-case name."""

    taxa: tuple[Taxon, ...]
    conditions: tuple[Condition, ...]
    _taxa: dict[str, Taxon] = field(init=False, repr=False, compare=False)
    _conditions: dict[str, Condition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Build the name indexes."""
        object.__setattr__(self, "_taxa", {taxon.name.lower(): taxon for taxon in self.taxa})
        object.__setattr__(
            self, "_conditions", {item.name.lower(): item for item in self.conditions}
        )

    def taxon(self, name: str) -> Taxon:
        """Return the taxon with scientific name `name` (KeyError if absent)."""
        return self._taxa[name.lower()]

    def condition(self, name: str) -> Condition:
        """Return the condition called `name` (KeyError if absent)."""
        return self._conditions[name.lower()]


def _read_json(name: str) -> Any:
    text = resources.files("sandbox.plantid").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


def load_catalogue() -> Catalogue:
    """Read and validate the packaged data files (ValueError if they are malformed)."""
    return Catalogue(parse_taxa(_read_json(TAXA_FILE)), parse_conditions(_read_json(DISEASES_FILE)))
