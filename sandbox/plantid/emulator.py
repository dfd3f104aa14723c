"""Keep the emulator's state: identifications, credits, journal, faults, scripts, callbacks."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import httpx

from sandbox.plantid import assumptions, classify
from sandbox.plantid.catalogue import Taxon, taxon_by_name
from sandbox.plantid.config import PERIODS, ApiKeyConfig, Charge, EmulatorConfig, ScriptedOutcome
from sandbox.plantid.diseases import CONDITIONS, Condition
from sandbox.plantid.media import similar_image_id
from sandbox.plantid.models import (
    CallbackDelivery,
    Identification,
    JournalEntry,
    SimilarImage,
    StoredDisease,
    StoredHealth,
    StoredImage,
    StoredSuggestion,
)
from sandbox.plantid.views import View, render_identification

logger = logging.getLogger(__name__)

# "lose_answer" and "slow_answer" process the request first: the service has done (and charged
# for) the work, but the client sees a dropped connection or waits, as after a network fault.
FaultKind = Literal["error", "slow", "drop", "lose_answer", "slow_answer"]
ANY_ENDPOINT = "*"
_SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class Fault:
    """Describe an injected fault and how many more requests it affects."""

    endpoint: str
    kind: FaultKind
    remaining: int
    status: int
    seconds: float


@dataclass(frozen=True)
class NewIdentification:
    """Carry the validated request fields an identification is created from."""

    endpoint: str
    api_key: str = field(repr=False, kw_only=True)
    images: Sequence[bytes] = field(repr=False)
    media_types: Sequence[str]
    features: classify.Features
    custom_id: int | None
    latitude: float | None
    longitude: float | None
    datetime_sent: bool
    datetime: int | None
    modifiers: Sequence[str]
    callback_url: str | None
    base_url: str


def _condition_by_name(name: str) -> Condition:
    for condition in CONDITIONS:
        if condition.name.lower() == name.lower():
            return condition
    raise KeyError(name)


class Emulator:
    """Hold everything one emulated Plant.id service knows; tests inspect and steer it."""

    def __init__(self, config: EmulatorConfig) -> None:
        """Start empty with `config`."""
        self.config = config
        self.journal: list[JournalEntry] = []
        self.callbacks: list[CallbackDelivery] = []
        self._identifications: dict[int, Identification] = {}
        self._faults: list[Fault] = []
        self._scripts: deque[ScriptedOutcome] = deque()
        self._similar_colours: dict[str, str] = {}
        self._next_id = 10_000_001
        self._next_suggestion_id = 50_000_001
        # Tests call complete() from their own thread while uvicorn serves on another.
        self._lock = threading.RLock()
        self._http: httpx.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        """Describe the emulator without revealing API keys."""
        return f"<Emulator identifications={len(self._identifications)}>"

    # --- Test-facing API --------------------------------------------------------------------

    @property
    def identifications(self) -> dict[int, Identification]:
        """Return the stored identifications keyed by id (settled first)."""
        self.settle_all()
        with self._lock:
            return dict(self._identifications)

    def requests_to(self, endpoint_name: str) -> list[JournalEntry]:
        """Return the journal entries of requests to `endpoint_name`, oldest first."""
        return [entry for entry in self.journal if entry.endpoint == endpoint_name]

    def inject_fault(
        self,
        endpoint_name: str,
        kind: FaultKind,
        count: int = 1,
        *,
        status: int = 503,
        seconds: float = 1.0,
    ) -> None:
        """Make the next `count` requests to `endpoint_name` ("*" for any) misbehave."""
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._faults.append(Fault(endpoint_name, kind, count, status, seconds))

    def script_next(self, *outcomes: ScriptedOutcome) -> None:
        """Queue outcomes for the next created identifications, in order."""
        for outcome in outcomes:
            for name, _ in outcome.suggestions or ():
                taxon_by_name(name)
            for name, _ in outcome.diseases or ():
                _condition_by_name(name)
        with self._lock:
            self._scripts.extend(outcomes)

    def reset(self) -> None:
        """Forget identifications, journal, faults, scripts, callbacks and used credits."""
        with self._lock:
            self.journal.clear()
            self.callbacks.clear()
            self._identifications.clear()
            self._faults.clear()
            self._scripts.clear()
            self._similar_colours.clear()
            for key in self.config.api_keys.values():
                key.charges.clear()

    def complete(self, identification_id: int) -> None:
        """Finish a pending identification now (KeyError if unknown)."""
        with self._lock:
            ident = self._identifications[identification_id]
            if not ident.finished:
                self._finish(ident)

    def complete_all(self) -> None:
        """Finish every pending identification now."""
        with self._lock:
            for ident in list(self._identifications.values()):
                if not ident.finished:
                    self._finish(ident)

    async def aclose(self) -> None:
        """Close the HTTP client used for callbacks and wait for deliveries in flight."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # --- Faults and journal -----------------------------------------------------------------

    def take_fault(self, endpoint: str) -> Fault | None:
        """Consume and return the first fault that applies to `endpoint`."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (endpoint, ANY_ENDPOINT) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def record(self, entry: JournalEntry) -> None:
        """Append `entry` to the journal."""
        with self._lock:
            self.journal.append(entry)

    # --- Media --------------------------------------------------------------------------------

    def register_similar(self, image_id: str, colour: str) -> None:
        """Remember that `image_id` is served, drawn in `colour`."""
        with self._lock:
            self._similar_colours[image_id] = colour

    def similar_colour(self, image_id: str) -> str | None:
        """Return the colour of a served similar image, or None if unknown."""
        with self._lock:
            return self._similar_colours.get(image_id)

    def uploaded_image(self, file_name: str) -> StoredImage | None:
        """Return a stored uploaded image by file name."""
        with self._lock:
            for ident in self._identifications.values():
                for image in ident.images:
                    if image.file_name == file_name:
                        return image
        return None

    # --- Identifications ----------------------------------------------------------------------

    def create(self, request: NewIdentification) -> Identification:
        """Store a new identification, computing its (still hidden) result."""
        digest = classify.digest_images(request.images)
        with self._lock:
            script = self._scripts.popleft() if self._scripts else ScriptedOutcome()
            ident_id = self._next_id
            self._next_id += 1
        suggestions = self._suggestions(digest, request.features, script)
        is_plant = script.is_plant_probability
        if is_plant is None:
            is_plant = classify.is_plant_probability(request.features)
        health = self._health(digest, request.features, script)
        delay = self.config.delay
        now = time.monotonic()
        ident = Identification(
            id=ident_id,
            api_key=request.api_key,
            endpoint=request.endpoint,
            custom_id=request.custom_id,
            latitude=request.latitude,
            longitude=request.longitude,
            datetime_sent=request.datetime_sent,
            datetime=request.datetime,
            uploaded_datetime=time.time(),
            images=[
                StoredImage(hashlib.md5(data, usedforsecurity=False).hexdigest() + ".jpg", data, mt)
                for data, mt in zip(request.images, request.media_types, strict=True)
            ],
            modifiers=list(request.modifiers),
            secret=self._secret(ident_id),
            callback_url=request.callback_url,
            base_url=request.base_url,
            suggestions=[] if script.fail_cause else suggestions,
            is_plant_probability=is_plant,
            fail_cause=script.fail_cause,
            health=health,
            due=None if delay is None else now + delay,
        )
        try:
            ident.loop = asyncio.get_running_loop()
        except RuntimeError:
            ident.loop = None
        with self._lock:
            self._identifications[ident.id] = ident
        self.settle(ident)
        if delay is not None and not ident.finished and ident.callback_url and ident.loop:
            # Callbacks must fire even if nobody reads the identification in the meantime.
            ident.loop.call_later(delay, self.settle, ident)
        return ident

    def _suggestions(
        self, digest: bytes, features: classify.Features, script: ScriptedOutcome
    ) -> list[StoredSuggestion]:
        ranked: list[tuple[Taxon, float]]
        if script.suggestions is not None:
            ranked = [(taxon_by_name(name), prob) for name, prob in script.suggestions]
            ranked.sort(key=lambda item: -item[1])
        else:
            ranked = classify.rank_taxa(digest, features)
        suggestions = []
        for taxon, probability in ranked:
            similar = self._similar_images(digest, taxon.name, taxon.colour)
            with self._lock:
                suggestion_id = self._next_suggestion_id
                self._next_suggestion_id += 1
            suggestions.append(StoredSuggestion(suggestion_id, taxon, probability, similar))
        return suggestions

    def _health(
        self, digest: bytes, features: classify.Features, script: ScriptedOutcome
    ) -> StoredHealth:
        probability = script.is_healthy_probability
        if probability is None:
            probability = classify.is_healthy_probability(digest, features)
        ranked: list[tuple[Condition, float, bool]]
        if script.diseases is not None:
            ranked = [
                (condition, prob, condition.redundant)
                for condition, prob in ((_condition_by_name(n), p) for n, p in script.diseases)
            ]
            ranked.sort(key=lambda item: -item[1])
        else:
            ranked = classify.rank_conditions(digest, features)
        diseases = [
            StoredDisease(
                condition,
                prob,
                redundant,
                self._similar_images(digest, condition.name, "brown"),
            )
            for condition, prob, redundant in ranked
        ]
        return StoredHealth(probability, diseases)

    def _similar_images(self, digest: bytes, name: str, colour: str) -> list[SimilarImage]:
        images = []
        for index in range(assumptions.SIMILAR_IMAGES_PER_ITEM):
            image_id = similar_image_id(digest.hex(), name, index)
            self.register_similar(image_id, colour)
            similarity = round(0.45 + 0.5 * classify.unit(digest, name, "similar", index), 3)
            images.append(SimilarImage(image_id, similarity, attributed=index == 0))
        images.sort(key=lambda image: -image.similarity)
        return images

    @staticmethod
    def _secret(ident_id: int) -> str:
        raw = hashlib.sha256(f"secret-{ident_id}".encode()).digest()
        return "".join(
            _SECRET_ALPHABET[byte % len(_SECRET_ALPHABET)]
            for byte in raw[: assumptions.SECRET_LENGTH]
        )

    def settle(self, ident: Identification) -> bool:
        """Finish `ident` if its delay has elapsed; return whether it is finished."""
        with self._lock:
            if not ident.finished and ident.is_due() and ident.id in self._identifications:
                self._finish(ident)
            return ident.finished

    def settle_all(self) -> None:
        """Finish every identification whose delay has elapsed (lazy completion)."""
        with self._lock:
            for ident in list(self._identifications.values()):
                self.settle(ident)

    def _finish(self, ident: Identification) -> None:
        ident.finished_datetime = time.time()
        ident.credits = ident.cost()
        if ident.credits:
            key = self.config.api_keys.get(ident.api_key)
            if key is not None:
                key.charges.append(Charge(ident.finished_datetime, ident.credits))
        if ident.callback_url:
            self._schedule_callback(ident)

    def find(self, api_key: str, identification_id: int) -> Identification | None:
        """Return the key's identification with this id, if any."""
        self.settle_all()
        with self._lock:
            ident = self._identifications.get(identification_id)
        return ident if ident is not None and ident.api_key == api_key else None

    def find_by_custom_id(self, api_key: str, custom_id: int) -> Identification | None:
        """Return the key's most recent identification with this custom_id, if any."""
        self.settle_all()
        with self._lock:
            matches = [
                ident
                for ident in self._identifications.values()
                if ident.api_key == api_key and ident.custom_id == custom_id
            ]
        return max(matches, key=lambda ident: ident.id) if matches else None

    def delete(self, ident: Identification) -> None:
        """Remove `ident` for good."""
        with self._lock:
            self._identifications.pop(ident.id, None)

    def set_confirmed(
        self, api_key: str, suggestion_id: int, confirmed: bool
    ) -> Identification | None:
        """Confirm (others unconfirmed) or unconfirm a suggestion; return its identification."""
        self.settle_all()
        with self._lock:
            for ident in self._identifications.values():
                if ident.api_key != api_key or not ident.finished:
                    continue
                for suggestion in ident.suggestions:
                    if suggestion.id != suggestion_id:
                        continue
                    if confirmed:
                        for other in ident.suggestions:
                            other.confirmed = other is suggestion
                    else:
                        suggestion.confirmed = False
                    return ident
        return None

    # --- Credits ------------------------------------------------------------------------------

    def limit_error(self, api_key: str) -> str | None:
        """Return the 429 text if the key has already reached one of its limits."""
        self.settle_all()
        key = self.config.api_keys[api_key]
        now = time.time()
        for period in assumptions.LIMIT_CHECK_ORDER:
            limit = key.limit(period)
            if limit is None or key.used(period, now) < limit:
                continue
            if period == "total":
                return "The specified api key does not have sufficient number of available credits."
            return f"The specified api key reached its {period} credit limit ({limit})."
        return None

    def usage_info(self, api_key: str) -> dict[str, Any]:
        """Return the §7.8 usage object of the key."""
        self.settle_all()
        key: ApiKeyConfig = self.config.api_keys[api_key]
        now = time.time()
        body: dict[str, Any] = {
            "active": key.active,
            "daily_limit": key.daily_limit,
            "weekly_limit": key.weekly_limit,
            "monthly_limit": key.monthly_limit,
            "total_limit": key.total_limit,
            "is_closed": key.is_closed,
        }
        for period in PERIODS:
            body[f"used_{period}"] = key.used(period, now)
        for period in PERIODS:
            body[f"remaining_{period}"] = key.remaining(period, now)
        return body

    # --- Rendering and callbacks ------------------------------------------------------------------

    def render(self, ident: Identification, view: View, base_url: str) -> dict[str, Any]:
        """Render `ident` as JSON under `view`, registering the images it links to."""
        return render_identification(ident, view, base_url, self.register_similar)

    def _schedule_callback(self, ident: Identification) -> None:
        loop = ident.loop
        try:
            if loop is None or loop.is_closed():
                raise RuntimeError("the event loop that created it is gone")
            loop.call_soon_threadsafe(self._start_delivery, ident)
        except RuntimeError as exc:
            logger.warning("callback for identification %s not sent: %s", ident.id, exc)
            body = self.render(ident, View(), ident.base_url)
            self.callbacks.append(
                CallbackDelivery(str(ident.callback_url), ident.id, body, error=str(exc))
            )

    def _start_delivery(self, ident: Identification) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(ident))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, ident: Identification) -> None:
        url = str(ident.callback_url)
        delivery = CallbackDelivery(url, ident.id, self.render(ident, View(), ident.base_url))
        try:
            client = self._client()
            response = await client.post(url, json=delivery.body)
            delivery.status = response.status_code
        except httpx.HTTPError as exc:
            # A broken receiver must not break the emulator: the API does not retry either.
            logger.warning("callback to %s failed: %s", url, type(exc).__name__)
            delivery.error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self.callbacks.append(delivery)

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop:
            # An httpx client is bound to the loop it first ran on; tests may use several.
            self._http = httpx.AsyncClient(
                transport=self.config.callback_transport,
                timeout=assumptions.CALLBACK_TIMEOUT_SECONDS,
            )
            self._http_loop = loop
        return self._http
