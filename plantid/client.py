"""Async client for the Plant.id v2 API over one injected `httpx.AsyncClient`."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import httpx
from pydantic import SecretStr, ValidationError

from plantid.errors import (
    BadCredentials,
    InvalidRequest,
    NotFound,
    OutOfCredits,
    PlantIdError,
    PlantIdRefused,
    PlantIdUnavailable,
)
from plantid.models import Identification, UsageInfo

logger = logging.getLogger("plantid")

# A paid call may be retried only when the request cannot have reached Plant.id: otherwise the
# server may have charged for it, and the caller recovers through `custom_id` instead.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Misconfiguration, not a passing fault: retrying cannot help.
_NEVER_RETRY = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)

_REFUSALS: Mapping[int, type[PlantIdRefused]] = {
    400: InvalidRequest,
    401: BadCredentials,
    404: NotFound,
    429: OutOfCredits,
}


# Every plant detail the bot and `plantbot identify` show (reference §5.1), requested in one view.
PLANT_DETAILS: Final = (
    "common_names",
    "url",
    "wiki_description",
    "name_authority",
    "taxonomy",
    "synonyms",
    "edible_parts",
    "propagation_methods",
    "watering",
    "gbif_id",
    "rank",
    "wiki_image",
)
# Every requestable disease detail (reference §6.2); `local_name` and `language` always come along.
DISEASE_DETAILS: Final = (
    "cause",
    "classification",
    "common_names",
    "description",
    "treatment",
    "url",
)
# Plant.id accepts at most three languages in `plant_languages` / `languages` (reference §3.2).
MAX_LANGUAGES: Final = 3

Health = Literal["auto", "all"]


@dataclass(frozen=True)
class ResultView:
    """Choose which details a result carries and in which language(s): the API's view.

    `language` / `languages` go out as `plant_language` / `plant_languages` to `/identify` and the
    result getters (Plant.id localizes disease details with them there too), and as `language` /
    `languages` to `/health_assessment`, which names them so. An empty view asks for nothing.
    """

    plant_details: tuple[str, ...] = ()
    language: str | None = None
    languages: tuple[str, ...] = ()
    disease_details: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Tolerate lists from callers: a frozen view must stay hashable.
        for name in ("plant_details", "languages", "disease_details"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.language is not None and self.languages:
            raise ValueError("give either language or languages, not both")
        if len(self.languages) > MAX_LANGUAGES:
            raise ValueError(f"at most {MAX_LANGUAGES} languages")

    @classmethod
    def full(cls, language: str, *, health: bool = False) -> ResultView:
        """Return the view the bot shows: every plant detail (and disease detail) in `language`."""
        return cls(
            plant_details=PLANT_DETAILS,
            language=language,
            disease_details=DISEASE_DETAILS if health else (),
        )

    def params(self, *, health_endpoint: bool = False) -> dict[str, Any]:
        """Return the view as request body fields (only those that are set)."""
        prefix = "" if health_endpoint else "plant_"
        params: dict[str, Any] = {}
        if self.plant_details and not health_endpoint:
            params["plant_details"] = list(self.plant_details)
        if self.language is not None:
            params[prefix + "language"] = self.language
        if self.languages:
            params[prefix + "languages"] = list(self.languages)
        if self.disease_details:
            params["disease_details"] = list(self.disease_details)
        return params


NO_VIEW: Final = ResultView()


def _modifiers(
    modifiers: Sequence[str], *, similar_images: bool, health: Health | None
) -> list[str]:
    """Return the `modifiers` list: the given ones plus those the keyword switches ask for."""
    chosen = list(modifiers)
    wanted = ["similar_images"] if similar_images else []
    if health is not None:
        wanted.append(f"health_{health}")
    chosen.extend(name for name in wanted if name not in chosen)
    return chosen


def _body(**params: Any) -> dict[str, Any]:
    """Return the JSON body with the parameters that were given (None means "not sent")."""
    return {
        name: list(value) if isinstance(value, (list, tuple)) else value
        for name, value in params.items()
        if value is not None
    }


class PlantIdClient:
    """Call Plant.id v2 endpoints, map failures to `PlantIdError`s and retry what is safe.

    `request_timeout` bounds each HTTP request as a whole (httpx's own timeouts apply per read,
    so a trickled body could otherwise run for ever); `retry_deadline` is how long after its first
    attempt a call may still start a retry, and 0 turns in-call retries off.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: SecretStr,
        base_url: str,
        *,
        request_timeout: float | None = None,
        retry_deadline: float = 60.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
    ) -> None:
        self._http = http
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._request_timeout = request_timeout
        self._retry_deadline = retry_deadline
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    def without_retries(self) -> PlantIdClient:
        """Return a client on the same connection pool that never retries inside a call."""
        return PlantIdClient(
            self._http,
            self._api_key,
            self._base_url,
            request_timeout=self._request_timeout,
            retry_deadline=0.0,
            backoff_initial=self._backoff_initial,
            backoff_max=self._backoff_max,
        )

    # Paid calls: never retried once the request may have reached the server.

    async def identify(
        self,
        images: Sequence[str],
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        custom_id: int | None = None,
        datetime: int | None = None,
        similar_images: bool = False,
        health: Health | None = None,
        modifiers: Sequence[str] = (),
        view: ResultView = NO_VIEW,
        identification_timeout: int | None = None,
    ) -> Identification:
        """Identify the plant in `images`, waiting up to `identification_timeout` seconds."""
        body = _body(
            images=images,
            latitude=latitude,
            longitude=longitude,
            custom_id=custom_id,
            datetime=datetime,
            modifiers=_modifiers(modifiers, similar_images=similar_images, health=health) or None,
            **view.params(),
            identification_timeout=identification_timeout,
        )
        return _identification(await self._call("POST", "/identify", body, paid=True))

    async def enqueue_identification(
        self,
        images: Sequence[str],
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        custom_id: int | None = None,
        datetime: int | None = None,
        similar_images: bool = True,
        health: Health | None = None,
        modifiers: Sequence[str] = (),
        callback_url: str | None = None,
    ) -> Identification:
        """Start an identification without waiting; fetch the result later by its id.

        Views are chosen when the result is fetched (`/enqueue_identification` takes none).
        `callback_url` is only a trigger: Plant.id POSTs there when done, unauthenticated.
        """
        body = _body(
            images=images,
            latitude=latitude,
            longitude=longitude,
            custom_id=custom_id,
            datetime=datetime,
            modifiers=_modifiers(modifiers, similar_images=similar_images, health=health) or None,
            callback_url=callback_url,
        )
        data = await self._call("POST", "/enqueue_identification", body, paid=True)
        return _identification(data)

    async def health_assessment(
        self,
        images: Sequence[str],
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        modifiers: Sequence[str] = (),
        view: ResultView = NO_VIEW,
        custom_id: int | None = None,
        datetime: int | None = None,
        identification_timeout: int | None = None,
    ) -> Identification:
        """Assess the health of the plant in `images` (no species suggestions)."""
        body = _body(
            images=images,
            latitude=latitude,
            longitude=longitude,
            modifiers=list(modifiers) or None,
            **view.params(health_endpoint=True),
            custom_id=custom_id,
            datetime=datetime,
            identification_timeout=identification_timeout,
        )
        return _identification(await self._call("POST", "/health_assessment", body, paid=True))

    # Free, idempotent calls: retried on temporary failures within the deadline.

    async def get_identification_result(
        self,
        identification_id: int,
        *,
        view: ResultView | None = None,
        plant_details: Sequence[str] | None = None,
        plant_language: str | None = None,
    ) -> Identification:
        """Fetch one identification by its id, with the requested view.

        `plant_details` / `plant_language` are the old spelling of `view`, kept for callers not
        yet moved to it.
        """
        if view is None:
            view = ResultView(plant_details=tuple(plant_details or ()), language=plant_language)
        elif plant_details is not None or plant_language is not None:
            raise TypeError("give view, or the old plant_details/plant_language, not both")
        path = f"/get_identification_result/{int(identification_id)}"
        return _identification(await self._call("POST", path, view.params()))

    async def get_identification_result_by_custom_id(
        self, custom_id: int, *, view: ResultView = NO_VIEW
    ) -> Identification:
        """Fetch one identification by the `custom_id` it was submitted with."""
        path = f"/get_identification_result/custom_id/{int(custom_id)}"
        return _identification(await self._call("POST", path, view.params()))

    async def get_identification_results(
        self,
        ids: Sequence[int] = (),
        *,
        custom_ids: Sequence[int] = (),
        view: ResultView = NO_VIEW,
    ) -> list[Identification]:
        """Fetch several identifications by ids and/or custom ids in one request.

        The reference leaves open whether `/multiple` honours views (§13.13); the emulator does.
        A caller that needs details checks each result and falls back to a single fetch.
        """
        if not ids and not custom_ids:
            raise ValueError("pass at least one of ids, custom_ids")
        body = _body(ids=list(ids) or None, custom_ids=list(custom_ids) or None, **view.params())
        data = await self._call("POST", "/get_identification_result/multiple", body)
        if not isinstance(data, list):
            raise PlantIdUnavailable("unexpected response: expected a JSON array", status=200)
        return [_identification(item) for item in data]

    async def poll_identifications(
        self, ids: Sequence[int], *, view: ResultView = NO_VIEW
    ) -> PolledResults:
        """Fetch several identifications in one request, validating each item on its own.

        One malformed item must not hide the others' answers: it is reported by its id instead.
        """
        body = _body(ids=list(ids), **view.params())
        data = await self._call("POST", "/get_identification_result/multiple", body)
        if not isinstance(data, list):
            raise PlantIdUnavailable("unexpected response: expected a JSON array", status=200)
        results: list[Identification] = []
        malformed: dict[int, str] = {}
        for item in data:
            try:
                results.append(Identification.model_validate(item))
            except ValidationError as error:
                item_id = item.get("id") if isinstance(item, dict) else None
                if isinstance(item_id, int) and not isinstance(item_id, bool):
                    malformed[item_id] = f"{error.error_count()} invalid field(s)"
        return PolledResults(results, malformed)

    async def confirm_suggestion(self, suggestion_id: int) -> None:
        """Mark a suggestion as the correct one (the others of its identification are not)."""
        await self._call("POST", f"/confirm_suggestion/{int(suggestion_id)}", None)

    async def unconfirm_suggestion(self, suggestion_id: int) -> None:
        """Remove the confirmation from a suggestion."""
        await self._call("POST", f"/unconfirm_suggestion/{int(suggestion_id)}", None)

    async def delete_identification(self, identification_id: int) -> None:
        """Delete an identification by its id."""
        await self._call("DELETE", f"/delete_identification/{int(identification_id)}", None)

    async def delete_identification_by_custom_id(self, custom_id: int) -> None:
        """Delete an identification by its `custom_id`."""
        await self._call("DELETE", f"/delete_identification/custom_id/{int(custom_id)}", None)

    async def usage_info(self) -> UsageInfo:
        """Return the key's credit limits, usage and remaining credits."""
        data = await self._call("GET", "/usage_info", None)
        try:
            return UsageInfo.model_validate(data)
        except ValidationError as error:
            raise _malformed(error) from None

    # Transport.

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None, *, paid: bool = False
    ) -> Any:
        """Send one request (retrying what is safe) and return the decoded JSON body."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return await self._attempt(method, path, body)
            except PlantIdError as error:
                delay = random.uniform(
                    0, min(self._backoff_max, self._backoff_initial * 2**attempt)
                )
                if not _retryable(error, paid=paid) or self._retry_deadline <= 0:
                    raise
                if time.monotonic() + delay - started > self._retry_deadline:
                    raise
                attempt += 1
                logger.info(
                    "Plant.id %s %s failed (%s); retry %d in %.2fs",
                    method,
                    path,
                    error,
                    attempt,
                    delay,
                )
            await asyncio.sleep(delay)

    async def _attempt(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        """Send the request once and return the decoded JSON body, or raise a PlantIdError."""
        headers = {"Api-Key": self._api_key.get_secret_value(), "Accept": "application/json"}
        sent_at = time.monotonic()
        try:
            # httpx times each read; a body trickled byte by byte needs this overall deadline.
            async with asyncio.timeout(self._request_timeout):
                response = await self._http.request(
                    method, self._base_url + path, json=body, headers=headers
                )
        except httpx.TransportError as exc:
            logger.debug("Plant.id %s %s: %s", method, path, type(exc).__name__)
            raise PlantIdUnavailable(self._scrub(f"{type(exc).__name__}: {exc}")) from exc
        except TimeoutError as exc:
            logger.debug("Plant.id %s %s: no complete answer in time", method, path)
            raise PlantIdUnavailable(
                f"no complete answer within {self._request_timeout:g} s"
            ) from exc
        logger.debug(
            "Plant.id %s %s -> %d in %.2fs",
            method,
            path,
            response.status_code,
            time.monotonic() - sent_at,
        )
        if not response.is_success:
            raise self._error_for(response)
        try:
            return response.json()
        except ValueError:
            raise PlantIdUnavailable("unexpected response: not JSON", status=200) from None

    def _error_for(self, response: httpx.Response) -> PlantIdError:
        """Map an unsuccessful response to the matching error class."""
        status = response.status_code
        detail = self._scrub(response.text) or response.reason_phrase
        if status in _REFUSALS:
            return _REFUSALS[status](detail, status=status)
        if status >= 500:
            return PlantIdUnavailable(detail, status=status)
        return PlantIdRefused(detail, status=status)

    def _scrub(self, text: str) -> str:
        """Remove the API key from text that may end up in logs or exceptions."""
        secret = self._api_key.get_secret_value()
        return text.replace(secret, "***") if secret else text


def _retryable(error: PlantIdError, *, paid: bool) -> bool:
    """Return whether repeating the request is both useful and safe."""
    if not isinstance(error, PlantIdUnavailable) or error.status == 200:
        return False
    cause = error.__cause__
    if isinstance(cause, _NEVER_RETRY):
        return False
    return not paid or isinstance(cause, _NOT_SENT)


def _malformed(error: ValidationError) -> PlantIdUnavailable:
    """Describe a response body that does not have the documented shape."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return PlantIdUnavailable(f"unexpected response: {where}: {first['msg']}", status=200)


@dataclass(frozen=True)
class PolledResults:
    """What one /multiple request told: the readable results, and ids whose item was garbage."""

    results: list[Identification]
    malformed: dict[int, str]


def _identification(data: Any) -> Identification:
    """Validate an identification object from a response body."""
    try:
        return Identification.model_validate(data)
    except ValidationError as error:
        raise _malformed(error) from None


def lacks_details(result: Identification, view: ResultView) -> bool:
    """Return whether a finished result came back without the plant details `view` asked for.

    The reference leaves open whether `/multiple` honours views (§13.13): a caller that polls with
    a view fetches such a result once more by id.
    """
    if not view.plant_details or not result.suggestions:
        return False
    wanted = set(view.plant_details)
    # A view that was honoured puts its keys (null when unknown) on every suggestion.
    return not any(
        suggestion.plant_details is not None and wanted & suggestion.plant_details.model_fields_set
        for suggestion in result.suggestions
    )


class PlantIdConfig(Protocol):
    """The settings `open_plantid` reads; `bot.settings.PlantIdSettings` provides them."""

    @property
    def plant_id_api_key(self) -> SecretStr: ...

    @property
    def plant_id_base_url(self) -> str: ...

    @property
    def plant_id_timeout(self) -> float: ...

    @property
    def plant_id_retry_deadline(self) -> float: ...


# Connecting is quick or hopeless; a long connect timeout only delays the error.
_CONNECT_TIMEOUT = 10.0


@asynccontextmanager
async def open_plantid(
    settings: PlantIdConfig, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[PlantIdClient]:
    """Open one HTTP connection pool for Plant.id and yield a client on it; close it on exit.

    `plant_id_timeout` bounds every request as a whole, `plant_id_retry_deadline` the retries
    (0: none); `transport` lets tests route the traffic to the emulator or respx.
    """
    seconds = settings.plant_id_timeout
    timeout = httpx.Timeout(seconds, connect=min(_CONNECT_TIMEOUT, seconds))
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        yield PlantIdClient(
            http,
            settings.plant_id_api_key,
            settings.plant_id_base_url,
            request_timeout=seconds,
            retry_deadline=settings.plant_id_retry_deadline,
        )
