"""Photos made in the test: leafy green ones, and things that are clearly not plants."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def leaf_photo(seed: int = 1, size: tuple[int, int] = (640, 480)) -> bytes:
    """Return a JPEG of green leaf-like shapes, different for each seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (40 + rng.randint(0, 30), 110 + rng.randint(0, 40), 40))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randint(0, size[0]), rng.randint(0, size[1])
        w, h = rng.randint(20, 120), rng.randint(10, 60)
        green = (rng.randint(20, 90), rng.randint(120, 220), rng.randint(20, 90))
        draw.ellipse((x, y, x + w, y + h), fill=green)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def solid_photo(colour: tuple[int, int, int] = (200, 20, 30)) -> bytes:
    """Return a JPEG of one flat colour (red by default): clearly not a plant."""
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), colour).save(buffer, "JPEG")
    return buffer.getvalue()
