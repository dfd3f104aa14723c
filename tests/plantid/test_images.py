"""Image preparation on images made in the test: formats, orientation, GPS, size, broken input."""

from __future__ import annotations

import asyncio
import base64
import io
import struct
import zipfile
import zlib

import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageChops
from PIL.TiffImagePlugin import IFDRational

from plantid.images import (
    ImageError,
    ImageErrorReason,
    ImageFormat,
    ImagePreparer,
    ImageTooLarge,
    PreparedImage,
    UnreadableImage,
    UnsupportedImage,
    detect_format,
    prepare_image,
    prepare_image_async,
    read_location,
    strip_jpeg_metadata,
)
from tests.plantid.samples import leafy_photo

RED = (220, 20, 20)
BLUE = (20, 20, 220)
GREEN = (30, 160, 40)
SYDNEY = (-33.8598, 151.2001)


def _encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    if image_format == "HEIF":
        pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _decode(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    image.load()
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


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 100)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)


def _gps_exif(latitude: float, longitude: float) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PlantPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _dms(abs(latitude))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _dms(abs(longitude))
    return exif


def _scan_data(jpeg: bytes) -> bytes:
    """Return the entropy-coded picture data: everything from the first SOS marker on."""
    start = jpeg.index(b"\xff\xda")
    end = jpeg.rindex(b"\xff\xd9")
    return jpeg[start : end + 2]


# -- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "HEIF", "GIF", "TIFF"])
def test_every_accepted_format_becomes_a_jpeg(image_format: str) -> None:
    data = _encode(Image.new("RGB", (640, 480), GREEN), image_format)

    prepared = prepare_image(data)

    assert detect_format(data) == image_format
    assert (prepared.width, prepared.height) == (640, 480)
    assert _close(_decode(prepared.jpeg), (320, 240), GREEN)


@pytest.mark.parametrize("image_format", ["PNG", "WEBP", "HEIF", "TIFF"])
def test_large_images_of_any_format_are_downscaled(image_format: str) -> None:
    data = _encode(Image.new("RGB", (3000, 2000), GREEN), image_format)

    prepared = prepare_image(data)

    assert _decode(prepared.jpeg).size == (1500, 1000)


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
    data = _encode(Image.new("RGB", (320, 200), GREEN), "PNG")

    prepared = prepare_image(data)

    assert (prepared.width, prepared.height) == (320, 200)


def test_transparent_png_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((30, 160, 40, 255), (50, 0, 100, 100))
    data = _encode(image, "PNG")

    prepared = prepare_image(data)

    flat = _decode(prepared.jpeg)
    assert _close(flat, (10, 50), (255, 255, 255), slack=5)
    assert _close(flat, (90, 50), GREEN)


@pytest.mark.parametrize("mode", ["RGBA", "P", "LA"])
def test_large_transparent_and_palette_images_keep_their_colours(mode: str) -> None:
    image = Image.new("RGBA", (4100, 3100), (0, 0, 0, 0))
    image.paste((30, 160, 40, 255), (2050, 0, 4100, 3100))
    if mode == "P":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
    elif mode == "LA":
        image = image.convert("LA")
    data = _encode(image, "PNG", compress_level=1)

    prepared = prepare_image(data)

    flat = _decode(prepared.jpeg)
    assert flat.size == (1500, 1134)
    assert _close(flat, (300, 567), (255, 255, 255), slack=5)
    green = GREEN if mode != "LA" else (112, 112, 112)
    assert _close(flat, (1200, 567), green)


def test_gif_uses_the_first_frame() -> None:
    frames = [Image.new("RGB", (80, 60), RED), Image.new("RGB", (80, 60), BLUE)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)

    prepared = prepare_image(buffer.getvalue())

    assert _close(_decode(prepared.jpeg), (40, 30), RED)


def test_grayscale_palette_and_cmyk_images_become_rgb() -> None:
    gray = _encode(Image.new("L", (50, 50), 128), "PNG")
    palette = _encode(
        Image.new("RGB", (50, 50), RED).convert("P", palette=Image.Palette.ADAPTIVE), "PNG"
    )
    cmyk = _encode(Image.new("RGB", (50, 50), BLUE).convert("CMYK"), "JPEG", quality=95)

    assert _close(_decode(prepare_image(gray).jpeg), (25, 25), (128, 128, 128))
    assert _close(_decode(prepare_image(palette).jpeg), (25, 25), RED)
    assert _close(_decode(prepare_image(cmyk).jpeg), (25, 25), BLUE)


def test_base64_is_plain_and_decodes_to_the_jpeg() -> None:
    prepared = prepare_image(_encode(Image.new("RGB", (800, 600), GREEN), "PNG"))

    assert "\n" not in prepared.base64
    assert base64.b64decode(prepared.base64, validate=True) == prepared.jpeg


# -- what is not an accepted image ------------------------------------------------------------


def _zip_with_a_photo() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("plant.jpg", _encode(Image.new("RGB", (50, 50), GREEN), "JPEG"))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"what plant is this?\n", None),
        (b"%PDF-1.7\n" + bytes(range(256)) * 4, "PDF"),
        (_zip_with_a_photo(), "ZIP"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64), "video"),
    ],
    ids=["text", "pdf", "zip", "mp4"],
)
def test_non_images_are_told_apart_from_images(data: bytes, detected: str | None) -> None:
    with pytest.raises(UnsupportedImage) as caught:
        prepare_image(data)

    assert caught.value.reason is ImageErrorReason.NOT_AN_IMAGE
    assert caught.value.detected == detected
    assert caught.value.accepted == ("JPEG", "PNG", "WebP", "HEIC", "GIF", "TIFF")
    assert "not an image" in caught.value.message


def test_image_in_another_format_is_unsupported_not_garbage() -> None:
    data = _encode(Image.new("RGB", (50, 50), GREEN), "BMP")

    with pytest.raises(UnsupportedImage) as caught:
        prepare_image(data)

    assert caught.value.reason is ImageErrorReason.UNSUPPORTED_FORMAT
    assert caught.value.detected == "BMP"
    assert "BMP" in caught.value.message


def test_zero_bytes_are_empty() -> None:
    with pytest.raises(UnsupportedImage) as caught:
        prepare_image(b"")

    assert caught.value.reason is ImageErrorReason.EMPTY
    assert caught.value.message == "the file is empty"


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "HEIF", "GIF", "TIFF"])
def test_truncated_images_are_unreadable(image_format: str) -> None:
    noise = Image.effect_noise((400, 300), 64).convert("RGB")
    data = _encode(noise, image_format)

    with pytest.raises(UnreadableImage) as caught:
        prepare_image(data[: len(data) // 2])

    assert caught.value.reason is ImageErrorReason.TRUNCATED
    assert caught.value.image_format == image_format
    assert "damaged or incomplete" in caught.value.message


def test_small_truncated_jpeg_is_not_passed_through() -> None:
    data = _encode(Image.effect_noise((300, 200), 64).convert("RGB"), "JPEG")

    with pytest.raises(UnreadableImage):
        prepare_image(data[: len(data) * 2 // 3])


def test_signature_without_a_header_is_unreadable() -> None:
    with pytest.raises(UnreadableImage) as caught:
        prepare_image(b"\x89PNG\r\n\x1a\n")

    assert caught.value.image_format is ImageFormat.PNG


@pytest.mark.parametrize(
    ("width", "height"), [(20_000, 20_000), (100_000, 100_000), (9_000, 9_000)]
)
def test_huge_dimensions_are_refused_as_too_large(width: int, height: int) -> None:
    with pytest.raises(ImageTooLarge) as caught:
        prepare_image(_png_header_only(width, height))

    error = caught.value
    assert isinstance(error, ImageError)
    assert error.reason is ImageErrorReason.TOO_LARGE
    assert (error.width, error.height) == (width, height)
    assert error.max_pixels == 80_000_000
    assert error.max_megapixels == 80
    assert "too large" in error.message
    assert "80 MP" in error.message
    assert "JPEG" not in error.message


def test_pixel_limit_is_configurable() -> None:
    data = _encode(Image.new("RGB", (1000, 1000), GREEN), "PNG")

    with pytest.raises(ImageTooLarge) as caught:
        prepare_image(data, max_pixels=500_000)

    assert caught.value.max_megapixels == 0.5


# -- orientation and metadata -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "top", "bottom"),
    [(1, RED, BLUE), (3, BLUE, RED), (6, RED, BLUE), (8, BLUE, RED)],
)
@pytest.mark.parametrize("size", [(200, 100), (3000, 1500)], ids=["small", "large"])
def test_exif_orientation_is_applied_and_dropped(
    orientation: int,
    top: tuple[int, int, int],
    bottom: tuple[int, int, int],
    size: tuple[int, int],
) -> None:
    # Stored with red on the left (orientation 1 and 3: red on top once stacked vertically).
    width, height = size
    stored = Image.new("RGB", size, BLUE)
    stored.paste(RED, (0, 0, width // 2, height))
    if orientation in (1, 3):
        stored = stored.transpose(Image.Transpose.ROTATE_270)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    data = _encode(stored, "JPEG", exif=exif, quality=95)

    prepared = prepare_image(data)

    upright = _decode(prepared.jpeg)
    assert upright.height == 2 * upright.width
    assert _close(upright, (upright.width // 2, upright.height // 10), top)
    assert _close(upright, (upright.width // 2, upright.height * 9 // 10), bottom)
    assert not upright.getexif()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("size", [(300, 200), (3000, 2000)], ids=["small", "large"])
def test_photo_with_broken_exif_is_still_prepared(size: tuple[int, int]) -> None:
    good = _encode(Image.new("RGB", size, GREEN), "JPEG")
    # An EXIF block whose GPS directory points past its end.
    payload = (
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08"
        b"\x00\x01\x88\x25\x00\x04\x00\x00\x00\x01\x00\x00\xff\xf0"
    )
    broken = good[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + good[2:]

    prepared = prepare_image(broken)

    assert prepared.location is None
    assert _close(_decode(prepared.jpeg), (100, 100), GREEN)
    assert b"Exif" not in prepared.jpeg


def test_heic_orientation_is_applied_once() -> None:
    stored = Image.new("RGB", (400, 200), BLUE)
    stored.paste(RED, (0, 0, 200, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    # As on an iPhone: pillow-heif turns the tag into the container's rotation, which libheif
    # applies when decoding, so turning it again by the tag would put the plant on its side.
    stored.info["exif"] = exif.tobytes()
    data = _encode(stored, "HEIF", quality=90)

    upright = _decode(prepare_image(data).jpeg)

    assert upright.size == (200, 400)
    assert _close(upright, (100, 40), RED)
    assert _close(upright, (100, 360), BLUE)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "HEIF"])
@pytest.mark.parametrize("size", [(300, 200), (3000, 2000)], ids=["small", "large"])
def test_gps_is_read_but_never_uploaded(image_format: str, size: tuple[int, int]) -> None:
    data = _encode(Image.new("RGB", size, GREEN), image_format, exif=_gps_exif(*SYDNEY))

    prepared = prepare_image(data)

    assert prepared.location == pytest.approx(SYDNEY, abs=1e-4)
    assert read_location(data) == pytest.approx(SYDNEY, abs=1e-4)
    assert b"Exif" not in prepared.jpeg
    assert b"PlantPhone" not in prepared.jpeg
    assert not _decode(prepared.jpeg).getexif()


def test_western_and_northern_coordinates_have_their_signs() -> None:
    data = _encode(Image.new("RGB", (50, 50), GREEN), "JPEG", exif=_gps_exif(40.7128, -74.006))

    assert read_location(data) == pytest.approx((40.7128, -74.006), abs=1e-4)


def _jpeg_with_gps(**tags: object) -> bytes:
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    for name, value in tags.items():
        gps[ExifTags.GPS[name]] = value
    return _encode(Image.new("RGB", (50, 50), GREEN), "JPEG", exif=exif)


GOOD_LATITUDE = (IFDRational(48, 1), IFDRational(51, 1), IFDRational(2960, 100))
GOOD_LONGITUDE = (IFDRational(2, 1), IFDRational(17, 1), IFDRational(4000, 100))
ZERO = (IFDRational(0, 1), IFDRational(0, 1), IFDRational(0, 1))


@pytest.mark.parametrize(
    "data",
    [
        _encode(Image.new("RGB", (50, 50), GREEN), "JPEG"),
        _jpeg_with_gps(GPSLatitude=GOOD_LATITUDE, GPSLongitude=GOOD_LONGITUDE),
        _jpeg_with_gps(
            GPSLatitudeRef="X",
            GPSLatitude=GOOD_LATITUDE,
            GPSLongitudeRef="E",
            GPSLongitude=GOOD_LONGITUDE,
        ),
        _jpeg_with_gps(
            GPSLatitudeRef="N",
            GPSLatitude=(IFDRational(48, 0), IFDRational(1, 1), IFDRational(1, 1)),
            GPSLongitudeRef="E",
            GPSLongitude=GOOD_LONGITUDE,
        ),
        _jpeg_with_gps(
            GPSLatitudeRef="N",
            GPSLatitude=(IFDRational(148, 1), IFDRational(1, 1), IFDRational(1, 1)),
            GPSLongitudeRef="E",
            GPSLongitude=GOOD_LONGITUDE,
        ),
        _jpeg_with_gps(
            GPSLatitudeRef="N", GPSLatitude=ZERO, GPSLongitudeRef="E", GPSLongitude=ZERO
        ),
        _jpeg_with_gps(
            GPSStatus="V",
            GPSLatitudeRef="N",
            GPSLatitude=GOOD_LATITUDE,
            GPSLongitudeRef="E",
            GPSLongitude=GOOD_LONGITUDE,
        ),
        b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xd9",
        b"not an image",
        b"",
    ],
    ids=[
        "no-exif",
        "no-refs",
        "bad-ref",
        "zero-denominator",
        "out-of-range",
        "null-island",
        "void-fix",
        "broken-exif",
        "text",
        "empty",
    ],
)
def test_missing_or_malformed_gps_gives_no_location(data: bytes) -> None:
    assert read_location(data) is None


# -- less work per photo ----------------------------------------------------------------------


def test_small_jpeg_is_sent_without_reencoding_or_metadata() -> None:
    original = _encode(
        leafy_photo((1200, 900)),
        "JPEG",
        quality=80,
        exif=_gps_exif(*SYDNEY),
        comment=b"taken at home",
        icc_profile=b"\x00" * 200,
    )
    # Some phones append private data after the picture.
    data = original + b"SEFT trailer with private data"

    prepared = prepare_image(data)

    assert prepared.reencoded is False
    assert _scan_data(prepared.jpeg) == _scan_data(original)
    assert b"Exif" not in prepared.jpeg
    assert b"taken at home" not in prepared.jpeg
    assert b"ICC_PROFILE" not in prepared.jpeg
    assert b"SEFT" not in prepared.jpeg
    assert prepared.location == pytest.approx(SYDNEY, abs=1e-4)
    same_pixels = ImageChops.difference(_decode(prepared.jpeg), _decode(original).convert("RGB"))
    assert same_pixels.getbbox() is None


def test_progressive_jpeg_passes_through_intact() -> None:
    data = _encode(Image.effect_noise((600, 400), 40).convert("RGB"), "JPEG", progressive=True)

    prepared = prepare_image(data)

    assert prepared.reencoded is False
    assert prepared.jpeg == b"\xff\xd8" + data[data.index(b"\xff\xdb") :]
    assert _decode(prepared.jpeg).size == (600, 400)


def test_multi_picture_jpeg_sends_only_its_first_picture() -> None:
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (300, 200), RED), Image.new("RGB", (300, 200), BLUE)
    first.save(buffer, format="MPO", save_all=True, append_images=[second])

    prepared = prepare_image(buffer.getvalue())

    assert prepared.jpeg.count(b"\xff\xd8") == 1
    assert _close(_decode(prepared.jpeg), (150, 100), RED)


def test_jpeg_over_the_byte_budget_is_reencoded_smaller() -> None:
    data = _encode(Image.effect_noise((1400, 1000), 60).convert("RGB"), "JPEG", quality=98)

    prepared = prepare_image(data, passthrough_bytes=100_000)

    assert prepared.reencoded is True
    assert len(prepared.jpeg) < len(data)
    assert _decode(prepared.jpeg).size == (1400, 1000)


def test_strip_refuses_what_it_cannot_walk() -> None:
    data = _encode(Image.new("RGB", (50, 50), GREEN), "JPEG")

    assert strip_jpeg_metadata(data[:-2]) is None
    assert strip_jpeg_metadata(b"\x89PNG\r\n\x1a\n") is None
    assert strip_jpeg_metadata(data) is not None


def test_twelve_megapixel_photo_uploads_within_350_kb() -> None:
    data = _encode(leafy_photo((4032, 3024)), "JPEG", quality=92)

    prepared = prepare_image(data)

    assert len(data) > 3_000_000
    assert (prepared.width, prepared.height) == (1500, 1125)
    assert len(prepared.jpeg) <= 350_000


# -- asynchronous use -------------------------------------------------------------------------


async def test_preparer_gives_the_same_result_for_many_photos() -> None:
    preparer = ImagePreparer(1000, max_concurrent=2)
    photos = [_encode(Image.new("RGB", (2000, 1000), colour), "PNG") for colour in (RED, GREEN)]
    photos.append(b"not an image")

    results = await asyncio.gather(*(preparer.prepare(d) for d in photos), return_exceptions=True)

    first, second, third = results
    assert isinstance(first, PreparedImage)
    assert (first.width, first.height) == (1000, 500)
    assert not isinstance(second, BaseException)
    assert _close(_decode(second.jpeg), (500, 250), GREEN)
    assert isinstance(third, UnsupportedImage)


async def test_cancelled_preparation_frees_its_slot() -> None:
    preparer = ImagePreparer(max_concurrent=1)
    big = _encode(Image.new("RGB", (3000, 3000), GREEN), "PNG")
    first = asyncio.create_task(preparer.prepare(big))
    await asyncio.sleep(0)
    first.cancel()

    prepared = await asyncio.wait_for(preparer.prepare(big), timeout=60)

    assert first.cancelled()
    assert (prepared.width, prepared.height) == (1500, 1500)


def test_preparer_rejects_a_zero_bound() -> None:
    with pytest.raises(ValueError, match="positive"):
        ImagePreparer(max_concurrent=0)


async def test_async_function_still_works() -> None:
    data = _encode(Image.new("RGB", (2000, 1000), GREEN), "PNG")

    prepared = await prepare_image_async(data, max_side=1000)

    assert (prepared.width, prepared.height) == (1000, 500)
