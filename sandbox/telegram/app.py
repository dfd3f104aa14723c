"""The HTTP face of the fake: Bot API routes, file downloads, call records and faults."""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from sandbox.telegram.faults import FaultPlan
from sandbox.telegram.methods import BotMethods, Handler
from sandbox.telegram.model import ApiCall, ApiError, bad_request
from sandbox.telegram.params import Params, read_request
from sandbox.telegram.state import World
from sandbox.telegram.updates import UpdateFeed

# Files go out in pieces, as from Telegram, so a client that stops reading is seen to stop.
FILE_CHUNK = 64 * 1024


def error_response(error: ApiError) -> JSONResponse:
    """Return Telegram's JSON error answer for `error`."""
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.parameters:
        body["parameters"] = error.parameters
    return JSONResponse(body, status_code=error.code)


class CallLog:
    """Every request the bot made, in order and by method, plus every file download."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.by_method: dict[str, list[ApiCall]] = {}
        self.downloads: list[str] = []
        # (file path, bytes sent) once each download's body ended, finished or cut short.
        self.served: list[tuple[str, int]] = []

    def record(self, call: ApiCall) -> None:
        """Keep `call` (caller holds the world's lock)."""
        self.calls.append(call)
        self.by_method.setdefault(call.method.lower(), []).append(call)


class BotApiApp:
    """Serve the Bot API and file downloads for one bot token as a Starlette app."""

    def __init__(
        self,
        token: str,
        world: World,
        feed: UpdateFeed,
        methods: BotMethods,
        faults: FaultPlan,
        log: CallLog,
    ) -> None:
        self._token = token
        self._world = world
        self._feed = feed
        self._faults = faults
        self._log = log
        # Telegram's file links expire; then a download answers 404 whatever getFile said.
        self.downloads_expired = False
        handlers = methods.handlers()
        self._methods: dict[str, tuple[str, Handler | None]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }
        self._methods["getupdates"] = ("getUpdates", None)
        self.starlette = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._handle_api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{file_path:path}", self._handle_file, methods=["GET"]),
            ]
        )

    def _token_ok(self, request: Request) -> bool:
        return hmac.compare_digest(str(request.path_params["token"]), self._token)

    async def _handle_api(self, request: Request) -> Response:
        if not self._token_ok(request):
            return error_response(ApiError(401, "Unauthorized"))
        entry = self._methods.get(str(request.path_params["method"]).lower())
        if entry is None:
            return error_response(ApiError(404, "Not Found"))
        method, handler = entry
        try:
            values, uploads = await read_request(request)
        except ApiError as error:
            return error_response(error)
        recorded: dict[str, Any] = dict(values)
        recorded.update({name: upload.data for name, upload in uploads.items()})
        with self._world.lock:
            self._log.record(ApiCall(method, recorded, time.monotonic()))
        fault = self._faults.take(method)
        self._world.waiters.notify_all()
        params = Params(values, uploads)
        try:
            if fault is not None:
                await fault.apply()
            if handler is None:
                result: Any = await self._feed.get_updates(params, request)
            else:
                with self._world.lock:
                    result = handler(params)
        except ApiError as error:
            return error_response(error)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # Telegram answers malformed parameters with 400, never with a server error.
            return error_response(bad_request(f"malformed {method} parameters: {exc!r}"))
        finally:
            self._world.waiters.notify_all()
        return JSONResponse({"ok": True, "result": result})

    async def _handle_file(self, request: Request) -> Response:
        if not self._token_ok(request):
            return error_response(ApiError(404, "Not Found"))
        path = str(request.path_params["file_path"])
        with self._world.lock:
            stored = self._world.files_by_path.get(path)
            if stored is not None and not self.downloads_expired:
                self._log.downloads.append(path)
        self._world.waiters.notify_all()
        if stored is None or self.downloads_expired:
            return error_response(ApiError(404, "Not Found"))
        return StreamingResponse(
            self._body(request, path, stored.data), media_type="application/octet-stream"
        )

    async def _body(self, request: Request, path: str, data: bytes) -> AsyncIterator[bytes]:
        """Send a file in chunks until the client hangs up, noting how much went out."""
        sent = 0
        try:
            for start in range(0, len(data), FILE_CHUNK):
                # The server keeps accepting chunks for a closed connection: ask before each.
                if await request.is_disconnected():
                    break
                chunk = data[start : start + FILE_CHUNK]
                yield chunk
                sent += len(chunk)
        finally:
            with self._world.lock:
                self._log.served.append((path, sent))
            self._world.waiters.notify_all()
