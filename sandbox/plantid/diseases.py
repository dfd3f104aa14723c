"""Describe the emulator's health conditions and validate them from the disease data file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# §6.2: the nine root classes every condition descends from.
ROOT_CLASSES = (
    "Abiotic",
    "Animalia",
    "Bacteria",
    "Canker",
    "Chromista",
    "Dead plant",
    "Fungi",
    "Senescence",
    "Viruses",
)
Symptom = Literal["spots", "yellow", "white", "brown", "orange"]


@dataclass(frozen=True)
class Condition:
    """Describe one health condition; root classes and generic parents are `redundant`."""

    entity_id: int
    name: str
    classification: tuple[str, ...]
    local_names: dict[str, str]
    common_names: tuple[str, ...] | None
    cause: str | None
    description: str
    url: str | None
    prevention: tuple[str, ...]
    biological: tuple[str, ...] = ()
    chemical: tuple[str, ...] = ()
    redundant: bool = False
    symptom: str = "spots"

    @property
    def root(self) -> str:
        """Return the root class (one of the nine) this condition belongs to."""
        return self.classification[0] if self.classification else self.name


class _Treatment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    biological: list[str] = []
    chemical: list[str] = []
    # §6.2: prevention is present for every disease in the official sample.
    prevention: list[str] = Field(min_length=1)


class _ConditionRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entity_id: int
    name: str = Field(min_length=1)
    classification: list[str]
    local_names: dict[str, str]
    common_names: list[str] | None
    cause: str | None
    description: str
    url: str | None
    treatment: _Treatment
    redundant: bool = False
    symptom: Symptom = "spots"

    @field_validator("local_names")
    @classmethod
    def _has_english(cls, value: dict[str, str]) -> dict[str, str]:
        # English is the API's fallback language, so every condition needs it.
        if "en" not in value:
            raise ValueError("local_names needs an 'en' entry")
        return value

    def condition(self) -> Condition:
        return Condition(
            entity_id=self.entity_id,
            name=self.name,
            classification=tuple(self.classification),
            local_names=dict(self.local_names),
            common_names=None if self.common_names is None else tuple(self.common_names),
            cause=self.cause,
            description=self.description,
            url=self.url,
            prevention=tuple(self.treatment.prevention),
            biological=tuple(self.treatment.biological),
            chemical=tuple(self.treatment.chemical),
            redundant=self.redundant,
            symptom=self.symptom,
        )


class _DiseaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    conditions: list[_ConditionRecord] = Field(min_length=1)


def parse_conditions(raw: Any) -> tuple[Condition, ...]:
    """Validate the decoded disease file into conditions (ValueError on bad data)."""
    conditions = tuple(record.condition() for record in _DiseaseFile.model_validate(raw).conditions)
    ids = [condition.entity_id for condition in conditions]
    names = [condition.name.lower() for condition in conditions]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        raise ValueError("condition entity_ids and names must be unique")
    for condition in conditions:
        if condition.root not in ROOT_CLASSES:
            raise ValueError(f"{condition.name}: unknown root class {condition.root}")
    return conditions
