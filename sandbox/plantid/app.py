"""Serve the Plant.id v2 HTTP API (under /v2) on top of the emulator state."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Message, Receive, Scope, Send

from sandbox.plantid import assumptions, classify
from sandbox.plantid.config import EmulatorConfig
from sandbox.plantid.emulator import NON_API_ENDPOINTS, Emulator, Fault, NewIdentification
from sandbox.plantid.media import render_jpeg
from sandbox.plantid.models import Identification, JournalEntry
from sandbox.plantid.views import DISEASE_DETAILS, PLANT_DETAILS, View

NOT_FOUND_TEXT = (
    "API endpoint not found. Please check documentation at "
    "https://github.com/flowerchecker/Plant-id-API/wiki."
)
_REDACTED = "***"
_SECRET_HEADERS = ("api-key", "authorization")
_DATA_URL = re.compile(r"^data:[^,]*?;base64,", re.IGNORECASE)
_SIMILAR_NAME = re.compile(r"^([0-9a-f]{32})(\.small)?\.jpg$")
_FORMAT_MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}
_WAIT_STEP = 0.02


class ApiError(Exception):
    """Answer the current request with a plain-text error, as the real API does."""

    def __init__(self, status: int, text: str) -> None:
        """Carry the HTTP status and the exact body text."""
        super().__init__(text)
        self.status = status
        self.text = text


def _invalid(description: str) -> ApiError:
    return ApiError(400, f"Invalid JSON value error: {description}")


def endpoint_name(path: str, routes: Sequence[BaseRoute] | None = None) -> str:
    """Map a request path to the endpoint name (the route's name) used by journal and faults."""
    scope: Scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
    for route in api_routes() if routes is None else routes:
        match, _ = route.matches(scope)
        # A path with the wrong method still names its endpoint (the answer is 405).
        if match is not Match.NONE and isinstance(route, Route):
            return route.name
    return "unknown"


def emulator_of(app: Starlette) -> Emulator:
    """Return the emulator behind an app made by `create_app`."""
    emulator = app.state.emulator
    if not isinstance(emulator, Emulator):
        raise TypeError("this app was not made by sandbox.plantid.create_app")
    return emulator


# --- Request parsing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """Carry what every API handler needs: state, the caller's key, the body, the base URL."""

    emulator: Emulator
    api_key: str = field(repr=False)
    body: dict[str, Any]
    base_url: str


def _basic_key(header: str) -> str | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _user, colon, password = decoded.partition(":")
    return password if colon and password else None


def _authenticate(request: Request, body: dict[str, Any], emulator: Emulator) -> str:
    """Return the first valid key in order header -> basic -> body, else raise 401."""
    candidates: list[tuple[str | None, str]] = []
    header_key = request.headers.get("api-key")
    if header_key:
        candidates.append((header_key, ""))
    authorization = request.headers.get("authorization")
    if authorization:
        basic = _basic_key(authorization)
        candidates.append((basic, "" if basic else "Invalid authorization header."))
    body_key = body.get("api_key")
    if body_key:
        candidates.append((body_key if isinstance(body_key, str) else None, ""))
    first_error: str | None = None
    for key, error in candidates:
        if key is None:
            error = error or "The specified api key not found."
        elif key not in emulator.config.api_keys:
            error = "The specified api key not found."
        elif not emulator.config.api_keys[key].active:
            error = "The specified api key is not active."
        else:
            return key
        first_error = first_error or error
    raise ApiError(401, first_error or "No api key provided.")


async def _call(request: Request, *, needs_body: bool) -> Call:
    raw = await request.body()
    body: Any = {}
    if raw.strip():
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "Invalid json data") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Data have to be dict")
    elif needs_body:
        raise ApiError(400, "Missing json data")
    emulator = emulator_of(request.app)
    api_key = _authenticate(request, body, emulator)
    public = emulator.config.public_url
    base_url = (public or str(request.base_url)).rstrip("/")
    return Call(emulator, api_key, body, base_url)


def _int_field(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{name} must be an integer")
    return value


def _float_field(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"{name} must be a number")
    return float(value)


def _str_list(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(f"{name} must be a list of strings")
    return value


def _decode_images(body: dict[str, Any]) -> list[bytes]:
    images = body.get("images")
    if images is None:
        raise ApiError(400, "Missing image data")
    if not isinstance(images, list) or not all(isinstance(image, str) for image in images):
        raise ApiError(400, "Images have to be list of base64 strings")
    if not images:
        raise ApiError(400, "Missing image data")
    if len(images) > assumptions.MAX_IMAGES:
        raise _invalid(f"at most {assumptions.MAX_IMAGES} images are accepted")
    decoded = []
    for image in images:
        text = _DATA_URL.sub("", image.strip(), count=1)
        try:
            data = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "Invalid base64 image data") from None
        if not data:
            raise ApiError(400, "Invalid base64 image data")
        decoded.append(data)
    return decoded


def _analyse(images: Sequence[bytes]) -> tuple[classify.Features, list[str]]:
    """Decode every image and combine their features (runs in a worker thread)."""
    features = [classify.image_features(data) for data in images]
    types = [_FORMAT_MEDIA_TYPES.get(classify.image_format(data), "image/jpeg") for data in images]
    return classify.combine(features), types


def _modifiers(body: dict[str, Any]) -> list[str]:
    requested = _str_list(body, "modifiers") or []
    applied: list[str] = []
    for modifier in requested:
        if modifier not in assumptions.ALL_MODIFIERS:
            raise ApiError(400, f"Invalid modifier {modifier}")
        if modifier not in applied:
            applied.append(modifier)
    return applied


def _datetime(body: dict[str, Any]) -> tuple[bool, int | None]:
    if "datetime" not in body:
        return False, None
    value = body["datetime"]
    if value is None:
        return True, None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, "Datetime have to be int")
    if abs(value) > assumptions.MAX_DATETIME:
        raise ApiError(400, "Datetime is too large")
    return True, value


def _custom_id(body: dict[str, Any], emulator: Emulator) -> int | None:
    custom_id = _int_field(body, "custom_id")
    if custom_id is not None and abs(custom_id) > emulator.config.max_custom_id:
        raise ApiError(400, "Custom id is too large")
    return custom_id


def _timeout(body: dict[str, Any]) -> int:
    timeout = _int_field(body, "identification_timeout")
    if timeout is None:
        return assumptions.DEFAULT_IDENTIFICATION_TIMEOUT
    return max(0, min(timeout, assumptions.MAX_IDENTIFICATION_TIMEOUT))


def _callback_url(body: dict[str, Any]) -> str | None:
    url = body.get("callback_url")
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise _invalid("callback_url must be an http(s) URL")
    return url


def _languages(
    body: dict[str, Any], single: str, multiple: str
) -> tuple[str, tuple[str, ...] | None]:
    language = body.get(single)
    languages = _str_list(body, multiple)
    if language is not None and not isinstance(language, str):
        raise _invalid(f"{single} must be a string")
    if language is not None and languages is not None:
        raise _invalid(f"{single} and {multiple} cannot be combined")
    if languages is not None:
        if not languages or len(languages) > assumptions.MAX_LANGUAGES:
            raise _invalid(f"{multiple} must contain 1 to {assumptions.MAX_LANGUAGES} languages")
        return assumptions.DEFAULT_LANGUAGE, tuple(lang.lower() for lang in languages)
    return (language or assumptions.DEFAULT_LANGUAGE).lower(), None


def _details(body: dict[str, Any], name: str, known: Sequence[str]) -> tuple[str, ...]:
    requested = _str_list(body, name) or []
    if assumptions.REJECT_UNKNOWN_DETAILS:
        for detail in requested:
            if detail not in known:
                raise _invalid(f"unknown {name} value {detail}")
    return tuple(requested)


def _view(body: dict[str, Any], *, health_endpoint: bool = False) -> View:
    plant_language, plant_languages = _languages(body, "plant_language", "plant_languages")
    language, languages = _languages(body, "language", "languages")
    if not health_endpoint and "language" not in body and "languages" not in body:
        language, languages = plant_language, plant_languages
    return View(
        plant_details=_details(body, "plant_details", PLANT_DETAILS),
        plant_languages=plant_languages,
        plant_language=plant_language,
        disease_details=_details(body, "disease_details", DISEASE_DETAILS),
        disease_languages=languages,
        disease_language=language,
    )


def _path_int(request: Request, name: str, not_found: str) -> int:
    try:
        return int(request.path_params[name])
    except ValueError:
        raise ApiError(404, not_found) from None


def _json(data: Any) -> Response:
    try:
        return JSONResponse(data)
    except (ValueError, UnicodeEncodeError):
        # A garbled answer (NaN, a lone surrogate) goes out as a lax JSON writer sends it.
        return Response(json.dumps(data), media_type="application/json")


# --- Creating identifications ------------------------------------------------------------------


async def _create(call: Call, endpoint: str, modifiers: list[str]) -> Identification:
    body = call.body
    images = _decode_images(body)
    latitude = _float_field(body, "latitude")
    longitude = _float_field(body, "longitude")
    datetime_sent, datetime_value = _datetime(body)
    custom_id = _custom_id(body, call.emulator)
    callback_url = _callback_url(body)
    limit_error = call.emulator.limit_error(call.api_key)
    if limit_error is not None:
        raise ApiError(429, limit_error)
    try:
        features, media_types = await asyncio.to_thread(_analyse, images)
    except classify.UndecodableImage:
        raise ApiError(400, assumptions.UNDECODABLE_IMAGE_TEXT) from None
    return call.emulator.create(
        NewIdentification(
            endpoint=endpoint,
            api_key=call.api_key,
            images=images,
            media_types=media_types,
            features=features,
            custom_id=custom_id,
            latitude=latitude,
            longitude=longitude,
            datetime_sent=datetime_sent,
            datetime=datetime_value,
            modifiers=modifiers,
            callback_url=callback_url,
            base_url=call.base_url,
        )
    )


async def _wait(emulator: Emulator, ident: Identification, seconds: int) -> None:
    """Wait up to `seconds` for completion, as /identify does with identification_timeout."""
    deadline = time.monotonic() + seconds
    while not emulator.settle(ident):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        await asyncio.sleep(min(_WAIT_STEP, remaining))


async def identify(request: Request) -> Response:
    """Identify synchronously, waiting up to identification_timeout."""
    call = await _call(request, needs_body=True)
    modifiers = _modifiers(call.body)
    view = _view(call.body)
    timeout = _timeout(call.body)
    ident = await _create(call, "identify", modifiers)
    await _wait(call.emulator, ident, timeout)
    return _json(call.emulator.render(ident, view, call.base_url))


async def enqueue_identification(request: Request) -> Response:
    """Create an identification and return it pending."""
    call = await _call(request, needs_body=True)
    modifiers = _modifiers(call.body)
    ident = await _create(call, "enqueue_identification", modifiers)
    return _json(call.emulator.render(ident, View(), call.base_url))


async def health_assessment(request: Request) -> Response:
    """Assess plant health only (no species suggestions)."""
    call = await _call(request, needs_body=True)
    applied: list[str] = []
    for modifier in _modifiers(call.body):
        if modifier == "similar_images" and assumptions.HEALTH_ENDPOINT_MAPS_SIMILAR_IMAGES:
            modifier = "disease_similar_images"
        if modifier not in applied:
            applied.append(modifier)
    if "health_only" not in applied:
        applied.append("health_only")
    view = _view(call.body, health_endpoint=True)
    timeout = _timeout(call.body)
    ident = await _create(call, "health_assessment", applied)
    await _wait(call.emulator, ident, timeout)
    return _json(call.emulator.render(ident, view, call.base_url))


async def get_identification_result(request: Request) -> Response:
    """Return one identification by id, under the requested view."""
    call = await _call(request, needs_body=False)
    ident_id = _path_int(request, "identification_id", assumptions.IDENTIFICATION_NOT_FOUND_TEXT)
    view = _view(call.body)
    ident = call.emulator.find(call.api_key, ident_id)
    if ident is None:
        raise ApiError(404, assumptions.IDENTIFICATION_NOT_FOUND_TEXT)
    return _json(call.emulator.render(ident, view, call.base_url))


async def get_identification_result_by_custom_id(request: Request) -> Response:
    """Return the most recent identification with a custom_id."""
    call = await _call(request, needs_body=False)
    custom_id = _path_int(request, "custom_id", assumptions.IDENTIFICATION_NOT_FOUND_TEXT)
    view = _view(call.body)
    ident = call.emulator.find_by_custom_id(call.api_key, custom_id)
    if ident is None:
        raise ApiError(404, assumptions.IDENTIFICATION_NOT_FOUND_TEXT)
    return _json(call.emulator.render(ident, view, call.base_url))


def _int_list(body: dict[str, Any], name: str) -> list[int]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        raise _invalid(f"{name} must be a list of integers")
    return value


async def get_identification_result_multiple(request: Request) -> Response:
    """Return several identifications (ids, then custom_ids), skipping unknown ones."""
    call = await _call(request, needs_body=True)
    ids = _int_list(call.body, "ids")
    custom_ids = _int_list(call.body, "custom_ids")
    if not ids and not custom_ids:
        raise _invalid("ids or custom_ids must be given")
    view = _view(call.body)
    found: list[Identification] = []
    seen: set[int] = set()
    candidates = [call.emulator.find(call.api_key, ident_id) for ident_id in ids]
    candidates += [call.emulator.find_by_custom_id(call.api_key, cid) for cid in custom_ids]
    for ident in candidates:
        if ident is not None and ident.id not in seen:
            seen.add(ident.id)
            found.append(ident)
    return _json([call.emulator.render(ident, view, call.base_url) for ident in found])


async def _set_confirmed(request: Request, confirmed: bool) -> Response:
    call = await _call(request, needs_body=False)
    suggestion_id = _path_int(request, "suggestion_id", assumptions.SUGGESTION_NOT_FOUND_TEXT)
    view = _view(call.body)
    ident = call.emulator.set_confirmed(call.api_key, suggestion_id, confirmed)
    if ident is None:
        raise ApiError(404, assumptions.SUGGESTION_NOT_FOUND_TEXT)
    return _json(call.emulator.render(ident, view, call.base_url))


async def confirm_suggestion(request: Request) -> Response:
    """Confirm one suggestion and unconfirm the others of its identification."""
    return await _set_confirmed(request, confirmed=True)


async def unconfirm_suggestion(request: Request) -> Response:
    """Remove the confirmation of one suggestion."""
    return await _set_confirmed(request, confirmed=False)


async def delete_identification(request: Request) -> Response:
    """Delete an identification by id."""
    call = await _call(request, needs_body=False)
    ident_id = _path_int(request, "identification_id", assumptions.IDENTIFICATION_NOT_FOUND_TEXT)
    ident = call.emulator.find(call.api_key, ident_id)
    if ident is None:
        raise ApiError(404, assumptions.IDENTIFICATION_NOT_FOUND_TEXT)
    call.emulator.delete(ident)
    return _json(True)


async def delete_identification_by_custom_id(request: Request) -> Response:
    """Delete the most recent identification with a custom_id."""
    call = await _call(request, needs_body=False)
    custom_id = _path_int(request, "custom_id", assumptions.IDENTIFICATION_NOT_FOUND_TEXT)
    ident = call.emulator.find_by_custom_id(call.api_key, custom_id)
    if ident is None:
        raise ApiError(404, assumptions.IDENTIFICATION_NOT_FOUND_TEXT)
    call.emulator.delete(ident)
    return _json(True)


async def usage_info(request: Request) -> Response:
    """Report the key's credit limits and usage."""
    call = await _call(request, needs_body=False)
    return _json(call.emulator.usage_info(call.api_key))


async def uploaded_image(request: Request) -> Response:
    """Serve a stored copy of an uploaded image."""
    image = emulator_of(request.app).uploaded_image(request.path_params["name"])
    if image is None:
        return PlainTextResponse(assumptions.SIMILAR_IMAGE_NOT_FOUND_TEXT, 404)
    return Response(image.data, media_type=image.media_type)


async def similar_image(request: Request) -> Response:
    """Serve a generated similar image (full size or `.small`) as JPEG."""
    match = _SIMILAR_NAME.match(request.path_params["name"])
    colour = emulator_of(request.app).similar_colour(match.group(1)) if match else None
    if match is None or colour is None:
        return PlainTextResponse(assumptions.SIMILAR_IMAGE_NOT_FOUND_TEXT, 404)
    small = match.group(2) is not None
    size = assumptions.SIMILAR_IMAGE_SMALL_SIZE if small else assumptions.SIMILAR_IMAGE_SIZE
    data = await asyncio.to_thread(render_jpeg, match.group(1), colour, size)
    return Response(data, media_type="image/jpeg")


# --- Errors, faults and the journal -------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return PlainTextResponse(exc.text, exc.status, media_type=assumptions.ERROR_MEDIA_TYPE)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return PlainTextResponse(NOT_FOUND_TEXT, 404)
    if exc.status_code == 405:
        return PlainTextResponse(assumptions.METHOD_NOT_ALLOWED_TEXT, 405, headers=exc.headers)
    return PlainTextResponse(exc.detail, exc.status_code, headers=exc.headers)


def _redacted_headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        headers[name] = _REDACTED if name in _SECRET_HEADERS else raw_value.decode("latin-1")
    return headers


def _journal_json(raw: bytes) -> Any:
    try:
        body = json.loads(raw) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if isinstance(body, dict) and "api_key" in body:
        body["api_key"] = _REDACTED
    return body


async def _drop_connection(send: Send) -> None:
    """Close the client connection without any answer (uvicorn), or fail the transport."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if isinstance(transport, asyncio.BaseTransport):
        transport.close()
        # Let uvicorn notice the closed connection so it does not try to send a 500 itself.
        for _ in range(100):
            if getattr(cycle, "disconnected", True):
                break
            await asyncio.sleep(0)
        return
    # In-process (httpx.ASGITransport) there is no socket: raise what a client would see.
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


async def _time_out(send: Send, seconds: float) -> None:
    """Keep the client waiting `seconds`, then close without an answer (in-process: time out)."""
    cycle = getattr(send, "__self__", None)
    if isinstance(getattr(cycle, "transport", None), asyncio.BaseTransport):
        await asyncio.sleep(seconds)
        await _drop_connection(send)
        return
    # httpx.ASGITransport enforces no timeouts, so raise what the client's timer would.
    raise httpx.ReadTimeout("Timed out waiting for the Plant.id emulator to answer.")


class EmulatorApp(Starlette):
    """Add the journal and fault injection in front of Starlette's routing."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Record the request, apply any injected fault, then route it."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        emulator = emulator_of(self)
        endpoint = endpoint_name(scope["path"], self.router.routes)
        entry = JournalEntry(
            endpoint, scope["method"], scope["path"], _redacted_headers(scope), _journal_json(raw)
        )
        emulator.record(entry)

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        switches = emulator.switches
        if switches.outage:
            entry.fault = "outage"
            response = PlainTextResponse(assumptions.FAULT_ERROR_TEXT, 503)
            await response(scope, replay, capture)
            return
        if switches.key_refused and endpoint not in NON_API_ENDPOINTS:
            entry.fault = "key_refused"
            response = PlainTextResponse(assumptions.KEY_REFUSED_TEXT, 401)
            await response(scope, replay, capture)
            return
        if switches.slow:
            entry.fault = "slow"
            await asyncio.sleep(switches.slow)
        fault = emulator.take_fault(endpoint)
        if fault is not None:
            entry.fault = fault.label
        if fault is not None and fault.kind == "drop":
            await _drop_connection(send)
            return
        if fault is not None and fault.kind == "timeout":
            await _time_out(send, fault.seconds)
            return
        if fault is not None and fault.kind == "error":
            response = PlainTextResponse(assumptions.FAULT_ERROR_TEXT, fault.status)
            await response(scope, replay, capture)
            return
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.kind == "hold":
            await emulator.hold(fault)
        if fault is not None and fault.kind in ("lose_answer", "slow_answer"):
            await self._answer_late(scope, replay, fault, send)
            return
        await super().__call__(scope, replay, capture)

    async def _answer_late(self, scope: Scope, receive: Receive, fault: Fault, send: Send) -> None:
        """Process the request, then drop the connection or hold the answer back."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await super().__call__(scope, receive, hold)
        if fault.kind == "lose_answer":
            await _drop_connection(send)
            return
        await asyncio.sleep(fault.seconds)
        for message in held:
            await send(message)


def api_routes() -> list[Route]:
    """Return the one routing table: paths, handlers, methods and endpoint names."""
    by_id = "{identification_id:int}"
    return [
        Route("/v2/identify", identify, methods=["POST"]),
        Route("/v2/enqueue_identification", enqueue_identification, methods=["POST"]),
        Route("/v2/health_assessment", health_assessment, methods=["POST"]),
        Route(
            "/v2/get_identification_result/multiple",
            get_identification_result_multiple,
            methods=["POST"],
        ),
        Route(
            "/v2/get_identification_result/custom_id/{custom_id}",
            get_identification_result_by_custom_id,
            methods=["GET", "POST"],
        ),
        Route(
            f"/v2/get_identification_result/{by_id}",
            get_identification_result,
            methods=["GET", "POST"],
        ),
        Route(
            "/v2/confirm_suggestion/{suggestion_id}", confirm_suggestion, methods=["GET", "POST"]
        ),
        Route(
            "/v2/unconfirm_suggestion/{suggestion_id}",
            unconfirm_suggestion,
            methods=["GET", "POST"],
        ),
        Route(
            "/v2/delete_identification/custom_id/{custom_id}",
            delete_identification_by_custom_id,
            methods=["DELETE", "POST"],
        ),
        Route(
            f"/v2/delete_identification/{by_id}", delete_identification, methods=["DELETE", "POST"]
        ),
        Route("/v2/usage_info", usage_info, methods=["GET", "POST"]),
        Route("/media/images/{name}", uploaded_image, methods=["GET"], name="media"),
        Route("/media/similar/{name}", similar_image, methods=["GET"], name="media"),
    ]


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """Build the emulator app; its state lives in `app.state.emulator`."""
    app = EmulatorApp(
        routes=api_routes(),
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.emulator = Emulator(config or EmulatorConfig())
    return app
