"""Define what the emulator stores: identifications, suggestions, journal and callbacks."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.plantid import assumptions
from sandbox.plantid.catalogue import Taxon
from sandbox.plantid.diseases import Condition


@dataclass
class JournalEntry:
    """Record one request (credentials redacted) and its status (None until answered)."""

    endpoint: str
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    status: int | None = None
    # What misbehaved on purpose: "outage", "key_refused", "slow", or a fault's label.
    fault: str | None = None


@dataclass
class CallbackDelivery:
    """Record one callback POST: where it went, what it carried and how it ended."""

    url: str
    identification_id: int
    body: dict[str, Any]
    status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class SimilarImage:
    """Describe one similar image; `attributed` ones carry citation and license."""

    id: str
    similarity: float
    attributed: bool


@dataclass
class StoredSuggestion:
    """Hold one species suggestion of an identification."""

    id: int
    taxon: Taxon
    probability: float
    similar_images: list[SimilarImage]
    confirmed: bool = False


@dataclass(frozen=True)
class StoredDisease:
    """Hold one disease suggestion of a health assessment."""

    condition: Condition
    probability: float
    redundant: bool
    similar_images: list[SimilarImage]


@dataclass(frozen=True)
class StoredHealth:
    """Hold a computed health assessment."""

    is_healthy_probability: float
    diseases: list[StoredDisease]

    @property
    def is_healthy(self) -> bool:
        """Return whether the plant counts as healthy."""
        return self.is_healthy_probability >= assumptions.IS_HEALTHY_THRESHOLD


@dataclass(frozen=True)
class StoredImage:
    """Hold one uploaded image as the emulator serves it back."""

    file_name: str
    data: bytes = field(repr=False)
    media_type: str = "image/jpeg"


@dataclass
class Identification:
    """Hold one identification: the request echo, the computed result and its progress."""

    id: int
    # Keys are secrets: keep them (and the bulky image bytes) out of reprs.
    api_key: str = field(repr=False, kw_only=True)
    endpoint: str
    custom_id: int | None
    latitude: float | None
    longitude: float | None
    datetime_sent: bool
    datetime: int | None
    uploaded_datetime: float
    images: list[StoredImage]
    modifiers: list[str]
    secret: str
    callback_url: str | None
    base_url: str
    suggestions: list[StoredSuggestion]
    is_plant_probability: float
    fail_cause: str | None
    health: StoredHealth
    due: float | None
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    finished_datetime: float | None = None
    credits: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # Monotonic creation time: the delay (also one changed later) counts from here.
    created: float = 0.0

    @property
    def finished(self) -> bool:
        """Return whether processing has completed."""
        return self.finished_datetime is not None

    @property
    def is_health_endpoint(self) -> bool:
        """Return whether it was created by /health_assessment."""
        return self.endpoint == "health_assessment"

    @property
    def shows_suggestions(self) -> bool:
        """Return whether the response carries a `suggestions` key."""
        return not self.is_health_endpoint and "health_only" not in self.modifiers

    @property
    def shows_health(self) -> bool:
        """Return whether the response carries `health_assessment`."""
        if self.is_health_endpoint:
            return True
        if {"health_all", "health_probability", "health_only"} & set(self.modifiers):
            return True
        return "health_auto" in self.modifiers and not self.health.is_healthy

    def cost(self) -> int:
        """Return the credits this identification costs when it completes."""
        if self.fail_cause is not None and not assumptions.FAILED_IS_COUNTABLE:
            return 0
        if self.is_health_endpoint:
            return assumptions.HEALTH_ASSESSMENT_CREDITS
        extra = assumptions.HEALTH_EXTRA_CREDITS if self.shows_health else 0
        return assumptions.IDENTIFICATION_CREDITS + extra

    def is_due(self, now: float | None = None) -> bool:
        """Return whether the configured delay has elapsed."""
        if self.due is None:
            return False
        return (time.monotonic() if now is None else now) >= self.due
