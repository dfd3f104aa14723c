"""Draw deterministic JPEG pictures for the emulator's similar and Wikipedia images."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw

_PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 40),
    "orange": (235, 130, 20),
    "yellow": (240, 210, 40),
    "green": (60, 140, 50),
    "blue": (60, 90, 210),
    "purple": (140, 70, 180),
    "pink": (235, 140, 180),
    "white": (245, 245, 240),
    "brown": (120, 75, 30),
}


def similar_image_id(*parts: object) -> str:
    """Return the 32-hex id of a similar image derived from `parts`."""
    return hashlib.md5(repr(parts).encode(), usedforsecurity=False).hexdigest()


def render_jpeg(image_id: str, colour: str, size: tuple[int, int]) -> bytes:
    """Draw leaves and a blossom (or spots) in `colour`, laid out by `image_id`, as JPEG."""
    seed = bytes.fromhex(image_id)
    width, height = size
    picture = Image.new("RGB", size, (34 + seed[0] % 30, 90 + seed[1] % 40, 30 + seed[2] % 20))
    draw = ImageDraw.Draw(picture)
    for index in range(6):
        x = seed[3 + index] / 255 * width
        y = seed[9 + index] / 255 * height
        radius_x = width * (0.12 + seed[15 - index] / 255 * 0.1)
        radius_y = height * 0.07
        leaf = (40 + seed[index] % 50, 120 + seed[index + 1] % 80, 40 + seed[index + 2] % 40)
        draw.ellipse((x - radius_x, y - radius_y, x + radius_x, y + radius_y), fill=leaf)
    accent = _PALETTE.get(colour, _PALETTE["green"])
    centre_x = width * (0.3 + seed[4] / 255 * 0.4)
    centre_y = height * (0.3 + seed[5] / 255 * 0.4)
    radius = min(width, height) * 0.18
    draw.ellipse(
        (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius), fill=accent
    )
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
