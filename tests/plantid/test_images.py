"""Image preparation on photos made in the test: formats, orientation, size, broken input."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pillow_heif
import pytest
from PIL import Image

from plantid import ImageError, ImageErrorReason, prepare_image, prepare_image_async

RED = (220, 20, 20)
BLUE = (20, 20, 220)
GREEN = (30, 160, 40)


def _encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _decode(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    return image


def _close(
    image: Image.Image, xy: tuple[int, int], expected: tuple[int, int, int], slack: int = 30
) -> bool:
    actual = image.getpixel(xy)
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= slack for a, e in zip(actual, expected, strict=True))


def _png_header_only(width: int, height: int) -> bytes:
    """Return a PNG that claims the given size but holds no pixel data at all."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_large_photo_is_downscaled_keeping_aspect_ratio() -> None:
    data = _encode(Image.new("RGB", (4000, 3000), GREEN), "JPEG", quality=95)

    prepared = prepare_image(data)

    assert (prepared.width, prepared.height) == (1500, 1125)
    assert _decode(prepared.jpeg).size == (1500, 1125)


def test_custom_max_side_applies_to_the_longer_side() -> None:
    data = _encode(Image.new("RGB", (600, 1200), GREEN), "PNG")

    prepared = prepare_image(data, max_side=800)

    assert (prepared.width, prepared.height) == (400, 800)


def test_small_photo_is_not_enlarged() -> None:
    data = _encode(Image.new("RGB", (320, 200), GREEN), "JPEG")

    prepared = prepare_image(data)

    assert (prepared.width, prepared.height) == (320, 200)


def test_exif_orientation_is_applied_and_metadata_dropped() -> None:
    # Stored landscape, red on the left; orientation 6 means "rotate 90° clockwise to view",
    # so the upright picture is portrait with red on top.
    stored = Image.new("RGB", (200, 100), BLUE)
    stored.paste(RED, (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _encode(stored, "JPEG", exif=exif, quality=95)

    prepared = prepare_image(data)

    upright = _decode(prepared.jpeg)
    assert upright.size == (100, 200)
    assert _close(upright, (50, 20), RED)
    assert _close(upright, (50, 180), BLUE)
    assert 0x0112 not in upright.getexif()


def test_transparent_png_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((30, 160, 40, 255), (50, 0, 100, 100))
    data = _encode(image, "PNG")

    prepared = prepare_image(data)

    flat = _decode(prepared.jpeg)
    assert _close(flat, (10, 50), (255, 255, 255), slack=5)
    assert _close(flat, (90, 50), GREEN)


def test_gif_uses_the_first_frame() -> None:
    frames = [Image.new("RGB", (80, 60), RED), Image.new("RGB", (80, 60), BLUE)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)

    prepared = prepare_image(buffer.getvalue())

    assert _close(_decode(prepared.jpeg), (40, 30), RED)


@pytest.mark.parametrize("image_format", ["WEBP", "HEIF", "BMP", "TIFF"])
def test_other_common_formats_are_converted_to_jpeg(image_format: str) -> None:
    pillow_heif.register_heif_opener()
    data = _encode(Image.new("RGB", (64, 48), GREEN), image_format)

    prepared = prepare_image(data)

    assert (prepared.width, prepared.height) == (64, 48)
    assert _close(_decode(prepared.jpeg), (32, 24), GREEN)


def test_grayscale_and_palette_images_become_rgb() -> None:
    gray = _encode(Image.new("L", (50, 50), 128), "PNG")
    palette = _encode(Image.new("RGB", (50, 50), RED).convert("P"), "PNG")

    assert _close(_decode(prepare_image(gray).jpeg), (25, 25), (128, 128, 128))
    assert _close(_decode(prepare_image(palette).jpeg), (25, 25), RED)


def test_base64_is_plain_and_decodes_to_the_jpeg() -> None:
    prepared = prepare_image(_encode(Image.new("RGB", (800, 600), GREEN), "PNG"))

    assert "\n" not in prepared.base64
    assert base64.b64decode(prepared.base64, validate=True) == prepared.jpeg


async def test_async_variant_gives_the_same_result() -> None:
    data = _encode(Image.new("RGB", (2000, 1000), GREEN), "PNG")

    prepared = await prepare_image_async(data, max_side=1000)

    assert (prepared.width, prepared.height) == (1000, 500)


def test_zero_bytes_are_empty() -> None:
    with pytest.raises(ImageError) as caught:
        prepare_image(b"")

    assert caught.value.reason is ImageErrorReason.EMPTY
    assert caught.value.message


@pytest.mark.parametrize(
    "data",
    [b"not an image at all", b"%PDF-1.7\n" + bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n"],
)
def test_garbage_is_not_an_image(data: bytes) -> None:
    with pytest.raises(ImageError) as caught:
        prepare_image(data)

    assert caught.value.reason == "not_an_image"
    assert "not an image" in str(caught.value)


def test_truncated_jpeg_is_reported_not_crashed() -> None:
    noise = Image.effect_noise((400, 300), 64).convert("RGB")
    data = _encode(noise, "JPEG", quality=95)

    with pytest.raises(ImageError) as caught:
        prepare_image(data[: len(data) // 2])

    assert caught.value.reason is ImageErrorReason.TRUNCATED


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (9_000, 9_000)])
def test_huge_dimensions_are_refused_before_decoding(width: int, height: int) -> None:
    with pytest.raises(ImageError) as caught:
        prepare_image(_png_header_only(width, height))

    assert caught.value.reason is ImageErrorReason.TOO_LARGE
