"""Async client for the Plant.id v2 API over one injected `httpx.AsyncClient`."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

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


def _body(**params: Any) -> dict[str, Any]:
    """Return the JSON body with the parameters that were given (None means "not sent")."""
    return {
        name: list(value) if isinstance(value, (list, tuple)) else value
        for name, value in params.items()
        if value is not None
    }


class PlantIdClient:
    """Call Plant.id v2 endpoints, map failures to `PlantIdError`s and retry what is safe."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: SecretStr,
        base_url: str,
        *,
        retry_deadline: float = 60.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
    ) -> None:
        self._http = http
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._retry_deadline = retry_deadline
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    # Paid calls: never retried once the request may have reached the server.

    async def identify(
        self,
        images: Sequence[str],
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        custom_id: int | None = None,
        datetime: int | None = None,
        modifiers: Sequence[str] | None = None,
        plant_details: Sequence[str] | None = None,
        plant_language: str | None = None,
        plant_languages: Sequence[str] | None = None,
        disease_details: Sequence[str] | None = None,
        identification_timeout: int | None = None,
    ) -> Identification:
        """Identify the plant in `images`, waiting up to `identification_timeout` seconds."""
        body = _body(
            images=images,
            latitude=latitude,
            longitude=longitude,
            custom_id=custom_id,
            datetime=datetime,
            modifiers=modifiers,
            plant_details=plant_details,
            plant_language=plant_language,
            plant_languages=plant_languages,
            disease_details=disease_details,
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
        modifiers: Sequence[str] | None = None,
        callback_url: str | None = None,
    ) -> Identification:
        """Start an identification without waiting; fetch the result later by its id."""
        body = _body(
            images=images,
            latitude=latitude,
            longitude=longitude,
            custom_id=custom_id,
            datetime=datetime,
            modifiers=modifiers,
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
        modifiers: Sequence[str] | None = None,
        disease_details: Sequence[str] | None = None,
        language: str | None = None,
        languages: Sequence[str] | None = None,
        custom_id: int | None = None,
        datetime: int | None = None,
        identification_timeout: int | None = None,
    ) -> Identification:
        """Assess the health of the plant in `images` (no species suggestions)."""
        body = _body(
            images=images,
            latitude=latitude,
            longitude=longitude,
            modifiers=modifiers,
            disease_details=disease_details,
            language=language,
            languages=languages,
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
        plant_details: Sequence[str] | None = None,
        plant_language: str | None = None,
        plant_languages: Sequence[str] | None = None,
        disease_details: Sequence[str] | None = None,
    ) -> Identification:
        """Fetch one identification by its id, with the requested views."""
        body = _body(
            plant_details=plant_details,
            plant_language=plant_language,
            plant_languages=plant_languages,
            disease_details=disease_details,
        )
        path = f"/get_identification_result/{int(identification_id)}"
        return _identification(await self._call("POST", path, body))

    async def get_identification_result_by_custom_id(
        self,
        custom_id: int,
        *,
        plant_details: Sequence[str] | None = None,
        plant_language: str | None = None,
        plant_languages: Sequence[str] | None = None,
        disease_details: Sequence[str] | None = None,
    ) -> Identification:
        """Fetch one identification by the `custom_id` it was submitted with."""
        body = _body(
            plant_details=plant_details,
            plant_language=plant_language,
            plant_languages=plant_languages,
            disease_details=disease_details,
        )
        path = f"/get_identification_result/custom_id/{int(custom_id)}"
        return _identification(await self._call("POST", path, body))

    async def get_identification_results(
        self,
        *,
        ids: Sequence[int] | None = None,
        custom_ids: Sequence[int] | None = None,
        plant_details: Sequence[str] | None = None,
        plant_language: str | None = None,
        plant_languages: Sequence[str] | None = None,
        disease_details: Sequence[str] | None = None,
    ) -> list[Identification]:
        """Fetch several identifications by ids and/or custom ids in one request."""
        if not ids and not custom_ids:
            raise ValueError("pass at least one of ids, custom_ids")
        body = _body(
            ids=ids,
            custom_ids=custom_ids,
            plant_details=plant_details,
            plant_language=plant_language,
            plant_languages=plant_languages,
            disease_details=disease_details,
        )
        data = await self._call("POST", "/get_identification_result/multiple", body)
        if not isinstance(data, list):
            raise PlantIdUnavailable("unexpected response: expected a JSON array", status=200)
        return [_identification(item) for item in data]

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
                if not _retryable(error, paid=paid):
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
            response = await self._http.request(
                method, self._base_url + path, json=body, headers=headers
            )
        except httpx.TransportError as exc:
            logger.debug("Plant.id %s %s: %s", method, path, type(exc).__name__)
            raise PlantIdUnavailable(self._scrub(f"{type(exc).__name__}: {exc}")) from exc
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


def _identification(data: Any) -> Identification:
    """Validate an identification object from a response body."""
    try:
        return Identification.model_validate(data)
    except ValidationError as error:
        raise _malformed(error) from None
