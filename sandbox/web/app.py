"""The sandbox's web app: the chat page, its JSON API and a live stream of changes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sandbox.web.plantid_panel import PlantIdPanel
from sandbox.web.world import SandboxError, World, presets_view, samples_view

STATIC_DIR = Path(__file__).parent / "static"
# Browsers reconnect an event stream by themselves; a comment now and then keeps proxies
# and idle timers from closing it.
KEEPALIVE_SECONDS = 15.0


class WebSandbox:
    """Serve the page for one world and one emulator panel."""

    def __init__(self, world: World, panel: PlantIdPanel) -> None:
        self.world = world
        self.panel = panel
        self.closing = asyncio.Event()
        self.app = Starlette(
            routes=[
                Route("/", self._index),
                Route("/api/state", self._state),
                Route("/api/events", self._events),
                Route("/api/send", self._post(self._send), methods=["POST"]),
                Route("/api/press", self._post(self._press), methods=["POST"]),
                Route("/api/plantid", self._post(self._plantid), methods=["POST"]),
                Route("/api/file/{file_id}", self._file),
                Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
            ]
        )

    def state(self, person: str) -> dict[str, Any]:
        """Return everything the page shows for `person`."""
        return {
            **self.world.view(person),
            "plantid": self.panel.view(),
            "samples": samples_view(),
            "places": presets_view(),
        }

    def _snapshot(self) -> tuple[Any, ...]:
        return (*self.world.snapshot(), *self.panel.snapshot())

    async def _index(self, request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers={"cache-control": "no-store"})

    async def _state(self, request: Request) -> Response:
        try:
            return JSONResponse(self.state(request.query_params.get("person", "anna")))
        except SandboxError as error:
            return JSONResponse({"error": str(error)}, status_code=400)

    async def _events(self, request: Request) -> Response:
        person = request.query_params.get("person", "anna")
        try:
            self.world.person(person)
        except SandboxError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return StreamingResponse(
            self._stream(person),
            media_type="text/event-stream",
            headers={"cache-control": "no-store"},
        )

    async def _stream(self, person: str) -> AsyncIterator[str]:
        telegram = self.world.telegram
        last: tuple[Any, ...] | None = None
        while not self.closing.is_set():
            current = self._snapshot()
            if current != last:
                last = current
                yield f"data: {json.dumps(self.state(person))}\n\n"
                continue
            seen = last

            def changed(seen: tuple[Any, ...] | None = seen) -> bool:
                return self.closing.is_set() or self._snapshot() != seen

            try:
                await telegram.wait_for(changed, timeout=KEEPALIVE_SECONDS)
            except AssertionError:
                yield ": keep-alive\n\n"

    def _post(
        self, action: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                return JSONResponse({"error": "expected a JSON body"}, status_code=400)
            if not isinstance(body, dict):
                return JSONResponse({"error": "expected a JSON object"}, status_code=400)
            try:
                return JSONResponse(action(body))
            except (SandboxError, ValueError, KeyError) as error:
                return JSONResponse({"error": str(error).strip("'\"")}, status_code=400)

        return endpoint

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        self.world.send(body)
        return {"ok": True}

    def _press(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "query_id": self.world.press(body)}

    def _plantid(self, body: dict[str, Any]) -> dict[str, Any]:
        action = body.get("action")
        if action == "finish":
            self.panel.finish(int(body["id"]))
        elif action == "finish_all":
            self.panel.finish_all()
        elif action == "delay":
            delay = body.get("delay")
            self.panel.set_delay(None if delay in (None, "") else float(delay))
        elif action == "switches":
            switches = body.get("switches")
            if not isinstance(switches, dict):
                raise SandboxError("which switches?")
            self.panel.set_switches(**{str(k): bool(v) for k, v in switches.items()})
        else:
            raise SandboxError(f"unknown action {action!r}")
        return {"ok": True}

    async def _file(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        try:
            data = self.world.telegram.file_bytes(file_id)
        except KeyError:
            return Response(status_code=404)
        media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        return Response(data, media_type=media_type, headers={"cache-control": "max-age=3600"})
