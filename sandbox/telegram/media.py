"""Derive the downscaled copies Telegram keeps of a photo."""

from __future__ import annotations

import io

from PIL import Image

# Telegram keeps a photo as a few downscaled copies plus the largest one.
PHOTO_SIDES = (90, 320, 800)


def photo_sizes(data: bytes) -> list[tuple[int, int, bytes]]:
    """Return (width, height, bytes) per photo size, smallest first, the original last."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height = image.size
            sizes: list[tuple[int, int, bytes]] = []
            for side in PHOTO_SIDES:
                if max(width, height) <= side:
                    break
                copy = image.convert("RGB")
                copy.thumbnail((side, side))
                buffer = io.BytesIO()
                copy.save(buffer, format="JPEG", quality=80)
                sizes.append((copy.width, copy.height, buffer.getvalue()))
    except (OSError, ValueError) as exc:
        raise ValueError(f"not an image Telegram could show as a photo: {exc}") from exc
    sizes.append((width, height, data))
    return sizes
