"""Turn photo bytes in any common format into a small JPEG for the Plant.id API."""

from __future__ import annotations

import asyncio
import base64
import enum
import functools
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Well below Pillow's own bomb threshold (~89 Mpx), above any phone camera's default output.
MAX_PIXELS = 80_000_000
JPEG_QUALITY = 85
# JPEG covers MPO (multi-picture files from cameras); HEIF is registered by pillow-heif.
_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "AVIF")


class ImageErrorReason(enum.StrEnum):
    """Why a photo could not be used."""

    EMPTY = "empty"
    NOT_AN_IMAGE = "not_an_image"
    TRUNCATED = "truncated"
    TOO_LARGE = "too_large"


_MESSAGES = {
    ImageErrorReason.EMPTY: "the file is empty",
    ImageErrorReason.NOT_AN_IMAGE: "the file is not an image in a supported format",
    ImageErrorReason.TRUNCATED: "the image is damaged or incomplete",
    ImageErrorReason.TOO_LARGE: "the image has too many pixels",
}


class ImageError(Exception):
    """A photo cannot be decoded or is unsafe to decode; `reason` says which."""

    def __init__(self, reason: ImageErrorReason, message: str | None = None) -> None:
        self.reason = reason
        self.message = message or _MESSAGES[reason]
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """A photo re-encoded as an upright RGB JPEG, ready to send."""

    jpeg: bytes
    width: int
    height: int

    @property
    def base64(self) -> str:
        """Return the JPEG as plain Base64 without newlines, as the API expects."""
        return base64.b64encode(self.jpeg).decode("ascii")

    def __repr__(self) -> str:
        return f"PreparedImage({self.width}x{self.height}, {len(self.jpeg)} bytes)"


@functools.cache
def _register_plugins() -> None:
    """Load Pillow's format plugins and teach it HEIC/HEIF (iPhone photos), once per process."""
    import pillow_heif

    Image.init()
    pillow_heif.register_heif_opener()


def _open(data: bytes) -> Image.Image:
    """Open the image lazily (header only) and reject dimensions that would exhaust memory."""
    _register_plugins()
    try:
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(ImageErrorReason.TOO_LARGE) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(ImageErrorReason.NOT_AN_IMAGE) from error
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageError(ImageErrorReason.NOT_AN_IMAGE)
    if width * height > MAX_PIXELS:
        raise ImageError(
            ImageErrorReason.TOO_LARGE,
            f"the image has too many pixels ({width}x{height}; at most {MAX_PIXELS:,} allowed)",
        )
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert to RGB, putting transparent areas on white rather than black."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def prepare_image(data: bytes, *, max_side: int = 1500) -> PreparedImage:
    """Decode a photo, make it upright RGB, shrink it to `max_side` and encode it as JPEG."""
    if not data:
        raise ImageError(ImageErrorReason.EMPTY)
    if max_side < 1:
        raise ValueError("max_side must be positive")
    with _open(data) as image:
        # JPEG can decode directly at a reduced scale, which saves time and memory.
        image.draft("RGB", (max_side, max_side))
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = _to_rgb(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageError(ImageErrorReason.TOO_LARGE) from error
        except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
            raise ImageError(ImageErrorReason.TRUNCATED) from error
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    # Metadata is deliberately not copied: EXIF may hold the sender's GPS position.
    rgb.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return PreparedImage(jpeg=output.getvalue(), width=rgb.width, height=rgb.height)


async def prepare_image_async(data: bytes, *, max_side: int = 1500) -> PreparedImage:
    """Prepare the image in a worker thread so the event loop stays responsive."""
    return await asyncio.to_thread(prepare_image, data, max_side=max_side)
