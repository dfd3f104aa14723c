"""Fixtures for the Plant.id emulator tests: apps, in-process clients and test pictures."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from PIL import Image, ImageDraw
from starlette.applications import Starlette

from sandbox.plantid import EmulatorConfig, create_app

API_KEY = "sandbox-key"
API_BASE = "http://plantid.test/v2"

Picture = Callable[..., str]


def _encode(picture: Image.Image, fmt: str = "JPEG") -> str:
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@pytest.fixture
def solid() -> Picture:
    """Return a maker of single-colour pictures (Base64 JPEG)."""

    def make(colour: tuple[int, int, int], fmt: str = "JPEG") -> str:
        return _encode(Image.new("RGB", (96, 96), colour), fmt)

    return make


@pytest.fixture
def leafy() -> Picture:
    """Return a maker of textured green pictures with a blossom, varied by `seed`."""

    def make(seed: int = 0, blossom: tuple[int, int, int] = (240, 210, 40)) -> str:
        picture = Image.new("RGB", (128, 128), (40, 110, 35))
        draw = ImageDraw.Draw(picture)
        for index in range(12):
            x = (seed * 37 + index * 53) % 128
            y = (seed * 11 + index * 29) % 128
            shade = (30 + (index * 17) % 60, 120 + (index * 23 + seed) % 100, 30)
            draw.ellipse((x - 20, y - 8, x + 20, y + 8), fill=shade)
        draw.ellipse((50, 50, 70, 70), fill=blossom)
        return _encode(picture)

    return make


@pytest.fixture
def make_app() -> Callable[..., Starlette]:
    """Return a factory of emulator apps; results are ready at once unless told otherwise."""

    def make(**options: object) -> Starlette:
        options.setdefault("delay", 0)
        return create_app(EmulatorConfig(**options))  # type: ignore[arg-type]

    return make


@pytest.fixture
def app(make_app: Callable[..., Starlette]) -> Starlette:
    """Return an emulator app with the default key and immediate results."""
    return make_app()


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Return an in-process client for `app` that authenticates with the Api-Key header."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=API_BASE, headers={"Api-Key": API_KEY}
    ) as http:
        yield http
