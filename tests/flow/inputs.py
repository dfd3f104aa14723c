"""Helpers for the input tests: what Plant.id was sent, what the bot stored, a finished result."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from sandbox.plantid import Emulator
from sandbox.telegram import ChatMessage, FakeChat, FakeTelegram
from tests.flow.images import leaf_photo

_PROBABILITY = re.compile(r"\d\s?%")


def enqueued(plantid: Emulator) -> list[dict[str, Any]]:
    """Return the bodies of every enqueue_identification request, oldest first."""
    bodies = []
    for request in plantid.requests_to("enqueue_identification"):
        assert request.json is not None
        bodies.append(request.json)
    return bodies


def results(telegram: FakeTelegram, chat: FakeChat) -> list[ChatMessage]:
    """Return the bot's messages in `chat` that show a result (suggestions with probabilities)."""
    return [
        message
        for message in telegram.bot_messages(chat)
        if _PROBABILITY.search(message.visible_text)
    ]


async def identify_all(
    telegram: FakeTelegram,
    plantid: Emulator,
    chat: FakeChat,
    count: int = 1,
    *,
    total: int | None = None,
) -> list[ChatMessage]:
    """Wait for `total` (or `count`) identifications, finish them, wait for `count` results."""
    await telegram.wait_for(lambda: len(plantid.identifications) >= (total or count))
    plantid.complete_all()
    await telegram.wait_for(lambda: len(results(telegram, chat)) >= count)
    return results(telegram, chat)


def stored(database_path: Path) -> list[sqlite3.Row]:
    """Read every stored identification (the test's view of what the bot kept)."""
    with sqlite3.connect(database_path) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute("SELECT * FROM identifications ORDER BY id"))


def leaf_file(
    image_format: str,
    *,
    seed: int = 1,
    gps: tuple[float, float] | None = None,
) -> bytes:
    """Return a leaf photo encoded as `image_format` (Pillow's name), with EXIF GPS if given."""
    image = Image.open(io.BytesIO(leaf_photo(seed)))
    options: dict[str, Any] = {}
    if gps is not None:
        options["exif"] = _gps_exif(*gps)
    if image_format == "HEIF":
        pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 100)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)


def _gps_exif(latitude: float, longitude: float) -> Image.Exif:
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _dms(abs(latitude))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _dms(abs(longitude))
    return exif
