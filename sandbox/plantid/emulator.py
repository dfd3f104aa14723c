"""Keep the emulator's state: identifications, credits, journal, faults, scripts, callbacks."""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import httpx

from sandbox.plantid import assumptions, classify
from sandbox.plantid.catalogue import Catalogue, Taxon, load_catalogue
from sandbox.plantid.config import PERIODS, ApiKeyConfig, Charge, EmulatorConfig, ScriptedOutcome
from sandbox.plantid.diseases import Condition
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
# "timeout" holds the connection for `seconds` and then closes it without an answer.
# "hold" keeps the request waiting until release_held() (or `seconds`), then answers it.
FaultKind = Literal["error", "slow", "drop", "lose_answer", "slow_answer", "timeout", "hold"]
RandomFaultKind = Literal["5xx", "timeout", "lose_answer"]
ANY_ENDPOINT = "*"
# Endpoints that are not part of the Plant.id API: random faults leave them alone.
NON_API_ENDPOINTS = ("media", "unknown")
SERVER_ERROR_STATUSES = (500, 502, 503, 504)
NO_CREDITS_TEXT = "The specified api key does not have sufficient number of available credits."
_SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class Fault:
    """Describe an injected fault and how many more requests it affects."""

    endpoint: str
    kind: FaultKind
    remaining: int
    status: int
    seconds: float
    label: str = ""
    released: threading.Event = field(default_factory=threading.Event, repr=False)


@dataclass(frozen=True)
class Switches:
    """Show the standing fault switches; each stays on until it is turned off."""

    outage: bool = False
    slow: float | None = None
    out_of_credits: bool = False
    key_refused: bool = False


@dataclass(frozen=True)
class RandomFaults:
    """Describe the random-fault mode: which fraction of API requests fail, and how."""

    probability: float
    kinds: tuple[RandomFaultKind, ...]
    seed: int | None
    timeout_seconds: float


@dataclass(frozen=True)
class PendingIdentification:
    """Describe one unfinished identification for a control panel."""

    id: int
    custom_id: int | None
    endpoint: str
    uploaded_datetime: float
    # Seconds until it finishes by itself (0 when overdue); None waits for complete().
    finishes_in: float | None
    has_callback: bool


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


class Emulator:
    """Hold everything one emulated Plant.id service knows; tests inspect and steer it."""

    def __init__(self, config: EmulatorConfig) -> None:
        """Start empty with `config`, loading the catalogue data files once."""
        self.config = config
        self.catalogue: Catalogue = config.catalogue or load_catalogue()
        self.journal: list[JournalEntry] = []
        self.callbacks: list[CallbackDelivery] = []
        # Indexes keep every lookup O(1) however many identifications are stored or pending.
        self._identifications: dict[int, Identification] = {}
        self._pending: dict[int, Identification] = {}
        self._due: list[tuple[float, int]] = []
        self._by_custom_id: dict[tuple[str, int], list[int]] = {}
        self._suggestion_owner: dict[int, int] = {}
        self._images: dict[str, StoredImage] = {}
        self._image_refs: dict[str, int] = {}
        self._faults: list[Fault] = []
        self._held: list[Fault] = []
        self._switches = Switches()
        self._random: RandomFaults | None = None
        self._rng = random.Random()
        self._scripts: deque[ScriptedOutcome] = deque()
        self._garbles: dict[int, Callable[[dict[str, Any]], Any]] = {}
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
        with self._lock:
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
            self._faults.append(Fault(endpoint_name, kind, count, status, seconds, kind))

    def release_held(self) -> None:
        """Let every request held by a "hold" fault go on, and those still to come too."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == "hold":
                    fault.remaining = 0
            self._faults = [fault for fault in self._faults if fault.remaining > 0]
            held, self._held = self._held, []
        for fault in held:
            fault.released.set()

    async def hold(self, fault: Fault) -> None:
        """Wait until `fault` is released or its `seconds` have passed."""
        with self._lock:
            self._held.append(fault)
        deadline = time.monotonic() + fault.seconds
        # Released from any thread (tests, the panel), so the flag is polled, not awaited.
        while not fault.released.is_set() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    def script_next(self, *outcomes: ScriptedOutcome) -> None:
        """Queue outcomes for the next created identifications, in order."""
        for outcome in outcomes:
            for name, _ in outcome.suggestions or ():
                self.catalogue.taxon(name)
            for name, _ in outcome.diseases or ():
                self.catalogue.condition(name)
        with self._lock:
            self._scripts.extend(outcomes)

    def garble(self, identification_id: int, edit: Callable[[dict[str, Any]], Any]) -> None:
        """Send `edit(answer)` instead of the identification's answer, wherever it is shown."""
        with self._lock:
            if identification_id not in self._identifications:
                raise KeyError(identification_id)
            self._garbles[identification_id] = edit

    def reset(self) -> None:
        """Forget identifications, journal, faults, switches, scripts, callbacks and credits."""
        with self._lock:
            self.journal.clear()
            self.callbacks.clear()
            self._identifications.clear()
            self._pending.clear()
            self._due.clear()
            self._by_custom_id.clear()
            self._suggestion_owner.clear()
            self._images.clear()
            self._image_refs.clear()
            self._faults.clear()
            held, self._held = self._held, []
            self._switches = Switches()
            self._random = None
            self._scripts.clear()
            self._garbles.clear()
            self._similar_colours.clear()
            for key in self.config.api_keys.values():
                key.charges.clear()
        for fault in held:
            fault.released.set()

    def complete(self, identification_id: int) -> None:
        """Finish a pending identification now (KeyError if unknown)."""
        with self._lock:
            ident = self._identifications[identification_id]
            if not ident.finished:
                self._finish(ident)

    def complete_all(self) -> None:
        """Finish every pending identification now."""
        with self._lock:
            for ident in list(self._pending.values()):
                self._finish(ident)

    async def aclose(self) -> None:
        """Close the HTTP client used for callbacks and wait for deliveries in flight."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def pending(self) -> list[PendingIdentification]:
        """Return the unfinished identifications, oldest first."""
        self.settle_all()
        now = time.monotonic()
        with self._lock:
            return [
                PendingIdentification(
                    id=ident.id,
                    custom_id=ident.custom_id,
                    endpoint=ident.endpoint,
                    uploaded_datetime=ident.uploaded_datetime,
                    finishes_in=None if ident.due is None else max(0.0, ident.due - now),
                    has_callback=ident.callback_url is not None,
                )
                for ident in self._pending.values()
            ]

    @property
    def delay(self) -> float | None:
        """Return the seconds identifications take (None: until complete() is called)."""
        with self._lock:
            return self.config.delay

    def set_delay(self, seconds: float | None) -> None:
        """Set how long identifications take, counted from creation, pending ones included."""
        if seconds is not None and seconds < 0:
            raise ValueError("delay must be >= 0 or None")
        with self._lock:
            self.config.delay = seconds
            self._due = []
            for ident in self._pending.values():
                ident.due = None if seconds is None else ident.created + seconds
                if ident.due is not None:
                    self._due.append((ident.due, ident.id))
                    self._wake_for_callback(ident)
            heapq.heapify(self._due)
        self.settle_all()

    # --- Standing switches ------------------------------------------------------------------

    @property
    def switches(self) -> Switches:
        """Return the current standing switches."""
        with self._lock:
            return self._switches

    def set_outage(self, on: bool = True) -> None:
        """Answer 503 on every endpoint until turned off."""
        self._switch(outage=on)

    def set_slow(self, seconds: float | None) -> None:
        """Hold every answer back `seconds` (None or 0 turns it off)."""
        if seconds is not None and seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._switch(slow=seconds or None)

    def set_out_of_credits(self, on: bool = True) -> None:
        """Refuse paid requests of every key with 429 (no credits) until turned off."""
        self._switch(out_of_credits=on)

    def set_key_refused(self, on: bool = True) -> None:
        """Refuse every API key with 401 until turned off."""
        self._switch(key_refused=on)

    def _switch(self, **changes: Any) -> None:
        with self._lock:
            current = self._switches
            self._switches = Switches(
                outage=changes.get("outage", current.outage),
                slow=changes.get("slow", current.slow),
                out_of_credits=changes.get("out_of_credits", current.out_of_credits),
                key_refused=changes.get("key_refused", current.key_refused),
            )

    def fail_randomly(
        self,
        probability: float,
        kinds: Sequence[RandomFaultKind] = ("5xx", "timeout", "lose_answer"),
        *,
        seed: int | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        """Fail that fraction of API requests, drawn from `seed`, until called with 0."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within 0..1")
        chosen = tuple(kinds)
        if not chosen or any(kind not in get_args(RandomFaultKind) for kind in chosen):
            raise ValueError(f"kinds must be a non-empty subset of {get_args(RandomFaultKind)}")
        with self._lock:
            if probability == 0.0:
                self._random = None
                return
            self._random = RandomFaults(probability, chosen, seed, timeout_seconds)
            self._rng = random.Random(seed)

    @property
    def random_faults(self) -> RandomFaults | None:
        """Return the random-fault mode in force, if any."""
        with self._lock:
            return self._random

    # --- Faults and journal -----------------------------------------------------------------

    def take_fault(self, endpoint: str) -> Fault | None:
        """Consume and return the first injected fault for `endpoint`, else draw a random one."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (endpoint, ANY_ENDPOINT) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
            mode = self._random
            if mode is None or endpoint in NON_API_ENDPOINTS:
                return None
            # Draw the same numbers for every request so a seed replays the same failures.
            roll = self._rng.random()
            kind = mode.kinds[self._rng.randrange(len(mode.kinds))]
            status = SERVER_ERROR_STATUSES[self._rng.randrange(len(SERVER_ERROR_STATUSES))]
            if roll >= mode.probability:
                return None
        label = f"random {kind}"
        if kind == "5xx":
            return Fault(endpoint, "error", 1, status, 0.0, label)
        if kind == "timeout":
            return Fault(endpoint, "timeout", 1, status, mode.timeout_seconds, label)
        return Fault(endpoint, "lose_answer", 1, status, 0.0, label)

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
            return self._images.get(file_name)

    # --- Identifications ----------------------------------------------------------------------

    def create(self, request: NewIdentification) -> Identification:
        """Store a new identification, computing its (still hidden) result."""
        digest = classify.digest_images(request.images)
        with self._lock:
            script = self._scripts.popleft() if self._scripts else ScriptedOutcome()
            ident_id = self._next_id
            self._next_id += 1
            delay = self.config.delay
        suggestions = self._suggestions(digest, request.features, script)
        is_plant = script.is_plant_probability
        if is_plant is None:
            is_plant = classify.is_plant_probability(request.features)
        health = self._health(digest, request.features, script)
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
            created=now,
        )
        try:
            ident.loop = asyncio.get_running_loop()
        except RuntimeError:
            ident.loop = None
        with self._lock:
            self._store(ident)
        self.settle(ident)
        self._wake_for_callback(ident)
        return ident

    def _store(self, ident: Identification) -> None:
        self._identifications[ident.id] = ident
        self._pending[ident.id] = ident
        if ident.due is not None:
            heapq.heappush(self._due, (ident.due, ident.id))
        if ident.custom_id is not None:
            self._by_custom_id.setdefault((ident.api_key, ident.custom_id), []).append(ident.id)
        for suggestion in ident.suggestions:
            self._suggestion_owner[suggestion.id] = ident.id
        for image in ident.images:
            self._images[image.file_name] = image
            self._image_refs[image.file_name] = self._image_refs.get(image.file_name, 0) + 1

    def _wake_for_callback(self, ident: Identification) -> None:
        """Settle `ident` when it falls due: callbacks must fire even if nobody polls."""
        loop = ident.loop
        if ident.finished or not ident.callback_url or ident.due is None or loop is None:
            return
        wait = max(0.0, ident.due - time.monotonic())
        try:
            loop.call_soon_threadsafe(loop.call_later, wait, self.settle, ident)
        except RuntimeError:
            logger.warning("identification %s: its event loop is closed", ident.id)

    def _suggestions(
        self, digest: bytes, features: classify.Features, script: ScriptedOutcome
    ) -> list[StoredSuggestion]:
        ranked: list[tuple[Taxon, float]]
        if script.suggestions is not None:
            ranked = [(self.catalogue.taxon(name), prob) for name, prob in script.suggestions]
            ranked.sort(key=lambda item: -item[1])
        else:
            ranked = classify.rank_taxa(digest, features, self.catalogue.taxa)
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
            conditions = [(self.catalogue.condition(n), p) for n, p in script.diseases]
            ranked = [(condition, prob, condition.redundant) for condition, prob in conditions]
            ranked.sort(key=lambda item: -item[1])
        else:
            ranked = classify.rank_conditions(digest, features, self.catalogue.conditions)
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
        now = time.monotonic()
        with self._lock:
            # The heap yields only the identifications that fell due: no scan of the rest.
            while self._due and self._due[0][0] <= now:
                due, ident_id = heapq.heappop(self._due)
                ident = self._pending.get(ident_id)
                if ident is not None and ident.due == due:
                    self._finish(ident)

    def _finish(self, ident: Identification) -> None:
        self._pending.pop(ident.id, None)
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
            ids = self._by_custom_id.get((api_key, custom_id))
            return self._identifications[ids[-1]] if ids else None

    def delete(self, ident: Identification) -> None:
        """Remove `ident` for good."""
        with self._lock:
            if self._identifications.pop(ident.id, None) is None:
                return
            self._pending.pop(ident.id, None)
            if ident.custom_id is not None:
                ids = self._by_custom_id.get((ident.api_key, ident.custom_id), [])
                if ident.id in ids:
                    ids.remove(ident.id)
                if not ids:
                    self._by_custom_id.pop((ident.api_key, ident.custom_id), None)
            for suggestion in ident.suggestions:
                self._suggestion_owner.pop(suggestion.id, None)
            for image in ident.images:
                refs = self._image_refs.get(image.file_name, 0) - 1
                if refs > 0:
                    self._image_refs[image.file_name] = refs
                else:
                    self._image_refs.pop(image.file_name, None)
                    self._images.pop(image.file_name, None)

    def set_confirmed(
        self, api_key: str, suggestion_id: int, confirmed: bool
    ) -> Identification | None:
        """Confirm (others unconfirmed) or unconfirm a suggestion; return its identification."""
        self.settle_all()
        with self._lock:
            owner = self._suggestion_owner.get(suggestion_id)
            ident = None if owner is None else self._identifications.get(owner)
            if ident is None or ident.api_key != api_key or not ident.finished:
                return None
            for suggestion in ident.suggestions:
                if confirmed:
                    suggestion.confirmed = suggestion.id == suggestion_id
                elif suggestion.id == suggestion_id:
                    suggestion.confirmed = False
            return ident

    # --- Credits ------------------------------------------------------------------------------

    def limit_error(self, api_key: str) -> str | None:
        """Return the 429 text if the key has already reached one of its limits."""
        self.settle_all()
        with self._lock:
            if self._switches.out_of_credits:
                return NO_CREDITS_TEXT
            key = self.config.api_keys[api_key]
            now = time.time()
            for period in assumptions.LIMIT_CHECK_ORDER:
                limit = key.limit(period)
                if limit is None or key.used(period, now) < limit:
                    continue
                if period == "total":
                    return NO_CREDITS_TEXT
                return f"The specified api key reached its {period} credit limit ({limit})."
        return None

    def credits_left(self, api_key: str) -> int | None:
        """Return the credits the key can still spend now (None: unlimited; KeyError if unknown)."""
        usage = self.usage_info(api_key)
        left = [usage[f"remaining_{period}"] for period in PERIODS]
        known = [value for value in left if value is not None]
        return min(known) if known else None

    def usage_info(self, api_key: str) -> dict[str, Any]:
        """Return the §7.8 usage object of the key."""
        self.settle_all()
        with self._lock:
            key: ApiKeyConfig = self.config.api_keys[api_key]
            now = time.time()
            body: dict[str, Any] = {
                "active": key.active and not self._switches.key_refused,
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
            if self._switches.out_of_credits:
                # The switch acts as a total limit that has just been reached.
                body["total_limit"] = body["used_total"]
                body["remaining_total"] = 0
        return body

    # --- Rendering and callbacks ------------------------------------------------------------------

    def render(self, ident: Identification, view: View, base_url: str) -> Any:
        """Render `ident` as JSON under `view`, registering the images it links to."""
        answer = render_identification(ident, view, base_url, self.register_similar)
        with self._lock:
            edit = self._garbles.get(ident.id)
        return answer if edit is None else edit(answer)

    def _schedule_callback(self, ident: Identification) -> None:
        loop = ident.loop
        try:
            if loop is None or loop.is_closed():
                raise RuntimeError("the event loop that created it is gone")
            loop.call_soon_threadsafe(self._start_delivery, ident)
        except RuntimeError as exc:
            logger.warning("callback for identification %s not sent: %s", ident.id, exc)
            body = self.render(ident, View(), ident.base_url)
            with self._lock:
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
