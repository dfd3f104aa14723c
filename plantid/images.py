"""Turn photo bytes in any accepted format into a small JPEG for the Plant.id API."""

from __future__ import annotations

import asyncio
import base64
import enum
import functools
import io
import math
from dataclasses import dataclass
from typing import Any

from PIL import ExifTags, Image, ImageFile

# Checked from the header before decoding. Above any phone camera's default output (48 Mpx), and
# below Pillow's own bomb threshold (~89 Mpx), which we bypass so that the limit is ours alone.
MAX_PIXELS = 80_000_000
MAX_SIDE = 1500
# Plant.id downscales every upload itself (its FAQ suggests ~800 px for speed), so a 1500 px JPEG
# at quality 65 still holds more detail than it uses. A 12 MP, 4 MB photo that became ~500 KB at
# quality 85 now uploads at ~310 KB (under 350 KB): quicker on slow links, Base64 adds a third.
JPEG_QUALITY = 65
# A JPEG this small and already within MAX_SIDE is sent as it is, minus its metadata.
PASSTHROUGH_BYTES = 350_000
# What people are told they may send; the order is the order of the hint.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WebP", "HEIC", "GIF", "TIFF")

Location = tuple[float, float]


class ImageFormat(enum.StrEnum):
    """An accepted image format, named as Pillow names it."""

    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"
    HEIF = "HEIF"
    GIF = "GIF"
    TIFF = "TIFF"


_FORMAT_NAMES = dict(zip(ImageFormat, ACCEPTED_FORMATS, strict=True))


class ImageErrorReason(enum.StrEnum):
    """Why a photo could not be used."""

    EMPTY = "empty"
    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TRUNCATED = "truncated"
    TOO_LARGE = "too_large"


class ImageError(Exception):
    """A photo cannot be used; the subclass and `reason` say why, `message` says it in English."""

    def __init__(self, reason: ImageErrorReason, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


class UnsupportedImage(ImageError):
    """The bytes are not an image in an accepted format: tell the person what to send instead."""

    def __init__(self, detected: str | None, *, empty: bool = False) -> None:
        self.detected = detected
        self.accepted = ACCEPTED_FORMATS
        accepted = ", ".join(ACCEPTED_FORMATS[:-1]) + f" or {ACCEPTED_FORMATS[-1]}"
        if empty:
            reason, message = ImageErrorReason.EMPTY, "the file is empty"
        elif detected in _OTHER_IMAGE_FORMATS:
            reason = ImageErrorReason.UNSUPPORTED_FORMAT
            message = f"{detected} images are not supported; send {accepted}"
        else:
            reason = ImageErrorReason.NOT_AN_IMAGE
            what = f" (it is a {detected} file)" if detected else ""
            message = f"the file is not an image{what}; send {accepted}"
        super().__init__(reason, message)


class UnreadableImage(ImageError):
    """The bytes start like an accepted image but cannot be decoded: damaged or truncated."""

    def __init__(self, image_format: ImageFormat) -> None:
        self.image_format = image_format
        name = _FORMAT_NAMES[image_format]
        super().__init__(ImageErrorReason.TRUNCATED, f"the {name} image is damaged or incomplete")


class ImageTooLarge(ImageError):
    """The image has more pixels than we decode: ask for a smaller one, whatever its format."""

    def __init__(self, width: int, height: int, max_pixels: int) -> None:
        self.width = width
        self.height = height
        self.max_pixels = max_pixels
        super().__init__(
            ImageErrorReason.TOO_LARGE,
            f"the image is too large ({width}x{height}, {self.megapixels:g} MP;"
            f" at most {self.max_megapixels:g} MP)",
        )

    @property
    def megapixels(self) -> float:
        """Return the image's size in megapixels, rounded to one decimal."""
        return round(self.width * self.height / 1_000_000, 1)

    @property
    def max_megapixels(self) -> float:
        """Return the limit in megapixels, rounded to one decimal."""
        return round(self.max_pixels / 1_000_000, 1)


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """A photo as an upright RGB JPEG without metadata, ready to send."""

    jpeg: bytes
    width: int
    height: int
    # Where the photo was taken according to its EXIF GPS tags; never part of `jpeg`.
    location: Location | None = None
    # False when the original JPEG was small enough to send without re-encoding.
    reencoded: bool = True

    @property
    def base64(self) -> str:
        """Return the JPEG as plain Base64 without newlines, as the API expects."""
        return base64.b64encode(self.jpeg).decode("ascii")

    def __repr__(self) -> str:
        return f"PreparedImage({self.width}x{self.height}, {len(self.jpeg)} bytes)"


# Formats we can name in the hint even though we do not take them.
_OTHER_IMAGE_FORMATS = frozenset({"AVIF", "BMP", "ICO", "JPEG 2000", "JPEG XL", "PSD", "SVG"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"heif"})
_HEIF_GENERIC_BRANDS = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"BM", "BMP"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"\xff\x0a", "JPEG XL"),
    (b"<svg", "SVG"),
    (b"<?xml", "XML"),
)


def detect_format(data: bytes) -> ImageFormat:
    """Return the accepted format the bytes are in, judged by their content alone."""
    if not data:
        raise UnsupportedImage(None, empty=True)
    if data.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageFormat.PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ImageFormat.GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageFormat.WEBP
    if data.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return ImageFormat.TIFF
    if data[4:8] == b"ftyp":
        return _heif_or_raise(data)
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            raise UnsupportedImage(name)
    raise UnsupportedImage(None)


def _heif_or_raise(data: bytes) -> ImageFormat:
    """Tell HEIC/HEIF apart from AVIF and video files, which share the ISO box layout."""
    box_size = int.from_bytes(data[:4], "big")
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, min(box_size, len(data), 256), 4)}
    if major in _HEIF_BRANDS:
        return ImageFormat.HEIF
    if major in _HEIF_GENERIC_BRANDS:
        if compatible & _AVIF_BRANDS and not compatible & _HEIF_BRANDS:
            raise UnsupportedImage("AVIF")
        return ImageFormat.HEIF
    if major in _AVIF_BRANDS:
        raise UnsupportedImage("AVIF")
    raise UnsupportedImage("video" if major in {b"isom", b"mp41", b"mp42", b"qt  "} else None)


@functools.cache
def _register_plugins() -> None:
    """Load Pillow's format plugins and teach it HEIC/HEIF (iPhone photos), once per process."""
    import pillow_heif

    Image.init()
    pillow_heif.register_heif_opener()


def _open(data: bytes, image_format: ImageFormat, max_pixels: int) -> ImageFile.ImageFile:
    """Read only the header, with the plugin of the sniffed format, and enforce `max_pixels`."""
    _register_plugins()
    # Image.open would refuse huge images with Pillow's global bomb limit before we could tell
    # the person the size and our own limit; the format plugin reads just the header.
    factory = Image.OPEN[image_format.value][0]
    try:
        image = factory(io.BytesIO(data), "")
    except (SyntaxError, OSError, ValueError, EOFError, IndexError, KeyError) as error:
        raise UnreadableImage(image_format) from error
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise UnreadableImage(image_format)
    if width * height > max_pixels:
        image.close()
        raise ImageTooLarge(width, height, max_pixels)
    return image


def _fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Return the size that fits `max_side` on the longer side, never enlarging."""
    scale = max_side / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _exif(image: Image.Image) -> Image.Exif:
    """Return the image's EXIF, or none at all when it is too broken to parse."""
    try:
        return image.getexif()
    except Exception:
        # Phones and editors write broken EXIF; the picture itself is still worth identifying.
        return Image.Exif()


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def prepare_image(
    data: bytes,
    *,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
    passthrough_bytes: int = PASSTHROUGH_BYTES,
) -> PreparedImage:
    """Make the photo an upright RGB JPEG within `max_side`, without metadata; CPU-bound."""
    if max_side < 1 or max_pixels < 1:
        raise ValueError("max_side and max_pixels must be positive")
    image_format = detect_format(data)
    image = _open(data, image_format, max_pixels)
    try:
        if image_format is ImageFormat.JPEG:
            as_is = _passthrough(image, data, max_side, passthrough_bytes)
            if as_is is not None:
                return as_is
        return _reencode(image, image_format, max_side)
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        raise UnreadableImage(image_format) from error
    finally:
        image.close()


def _passthrough(
    image: ImageFile.ImageFile, data: bytes, max_side: int, limit: int
) -> PreparedImage | None:
    """Return the JPEG itself, stripped of metadata, when it needs no other change."""
    if max(image.size) > max_side or image.mode != "RGB":
        return None
    exif = _exif(image)
    if _orientation(exif) != 1:
        return None
    stripped = strip_jpeg_metadata(data)
    if stripped is None or len(stripped) > limit:
        return None
    width, height = image.size
    return PreparedImage(stripped, width, height, _location(exif), reencoded=False)


def _reencode(
    image: ImageFile.ImageFile, image_format: ImageFormat, max_side: int
) -> PreparedImage:
    """Decode at the smallest scale the format allows, resize once and encode once."""
    target = _fit(*image.size, max_side)
    # JPEG decodes straight at 1/2, 1/4 or 1/8 scale: less memory and about that much less CPU.
    image.draft("RGB", target)
    image.load()
    exif = _exif(image)
    # libheif has already turned HEIF images upright and reset the tag.
    orientation = 1 if image_format is ImageFormat.HEIF else _orientation(exif)
    location = _location(exif)
    # Average whole blocks first (cheap), leaving Lanczos at most twice the target to filter.
    factor = int(min(image.width / target[0], image.height / target[1]) / 2)
    if factor >= 2 or _needs_conversion(image):
        work = _reduce_in_bands(image, max(1, factor))
    else:
        work = image
    if work is not image:
        image.close()  # frees the full-size pixels before anything else is allocated
    small = work.resize(target, Image.Resampling.LANCZOS) if work.size != target else work
    del work
    if orientation in _TRANSPOSE:
        small = small.transpose(_TRANSPOSE[orientation])
    rgb = _to_rgb(small)
    output = io.BytesIO()
    # No `optimize`: a second Huffman pass costs a fifth of the CPU for a few percent of bytes.
    # Metadata is deliberately not copied: EXIF may hold the sender's GPS position.
    rgb.save(output, format="JPEG", quality=JPEG_QUALITY)
    return PreparedImage(output.getvalue(), rgb.width, rgb.height, location)


# Rows of output per band when reducing: a few MB at a time whatever the image's size.
_BAND_ROWS = 64


def _reduce_in_bands(image: Image.Image, factor: int) -> Image.Image:
    """Box-reduce by `factor` one band of rows at a time, so no second full-size copy exists."""
    # Pillow's own reduce and resize convert the whole image first (palette to RGB, RGBA to
    # premultiplied), which doubled the memory of a large PNG. Blocks never straddle bands, so
    # the pixels are the same as one reduce of the whole image.
    width, height = image.size
    band_height = _BAND_ROWS * factor
    reduced: Image.Image | None = None
    for top in range(0, height, band_height):
        band = _resamplable(image.crop((0, top, width, min(height, top + band_height))))
        part = band.reduce(factor)
        if reduced is None:
            reduced = Image.new(part.mode, (-(-width // factor), -(-height // factor)))
        reduced.paste(part, (0, top // factor))
    assert reduced is not None
    return reduced


def _needs_conversion(image: Image.Image) -> bool:
    """Tell whether Pillow cannot resample the image's mode (palettes and odd bit depths)."""
    return image.mode in ("P", "PA", "1") or image.mode.startswith(("I", "F"))


def _resamplable(image: Image.Image) -> Image.Image:
    """Return the image in a mode Pillow can resample."""
    if _needs_conversion(image):
        return image.convert("RGBA" if _has_alpha(image) else "RGB")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert to RGB, putting transparent areas on white rather than black."""
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


# -- lossless JPEG metadata removal ---------------------------------------------------------------

_SOF_HUFFMAN = frozenset({0xC0, 0xC1, 0xC2})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def strip_jpeg_metadata(data: bytes) -> bytes | None:
    """Return the JPEG without APPn/COM segments or trailing data; None if it is not simple."""
    if not data.startswith(b"\xff\xd8"):
        return None
    parts = [b"\xff\xd8"]
    pos, size = 2, len(data)
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end > size or end < pos + 4:
            return None
        if marker == 0xDA:
            scans_end = _end_of_scans(data, end)
            if scans_end is None:
                return None
            parts.append(data[pos:scans_end])
            return b"".join(parts)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            # Arithmetic, lossless, hierarchical and 12-bit JPEGs are rare; re-encode rather than
            # risk sending something Plant.id's decoder rejects.
            if marker not in _SOF_HUFFMAN or data[pos + 4] != 8:
                return None
            parts.append(data[pos:end])
        elif marker == 0xEE and data[pos + 4 : pos + 9] == b"Adobe":
            # The Adobe segment says how to read the colour channels; it holds nothing personal.
            parts.append(data[pos:end])
        elif not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            parts.append(data[pos:end])
        pos = end
    return None


def _end_of_scans(data: bytes, pos: int) -> int | None:
    """Return the offset just past EOI, stepping over scan data and the segments between scans."""
    size = len(data)
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= size:
            return None
        marker = data[pos + 1]
        if marker == 0x00 or marker == 0xFF or marker in _STANDALONE:
            pos += 1
        elif marker == 0xD9:
            return pos + 2
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:
            return None
        else:
            if pos + 4 > size:
                return None
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")


# -- EXIF GPS -------------------------------------------------------------------------------------


def read_location(data: bytes) -> Location | None:
    """Return (latitude, longitude) from the image's EXIF GPS tags, or None; never raises."""
    try:
        image_format = detect_format(data)
        _register_plugins()
        with Image.OPEN[image_format.value][0](io.BytesIO(data), "") as image:
            # A PNG's eXIf chunk may follow the pixels; finding it would mean decoding them all.
            if image_format is ImageFormat.PNG and "exif" not in image.info:
                return None
            return _location(_exif(image))
    except Exception:
        # Garbage in, no location out: a photo's metadata must never fail the identification.
        return None


def _location(exif: Image.Exif) -> Location | None:
    """Return the GPS position in decimal degrees if the tags are present and sane."""
    try:
        gps: dict[int, Any] = exif.get_ifd(ExifTags.IFD.GPSInfo)
        if not gps or _text(gps.get(ExifTags.GPS.GPSStatus)) == "V":
            return None
        latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), 90)
        longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), 180)
        lat_ref = _text(gps.get(ExifTags.GPS.GPSLatitudeRef))
        lon_ref = _text(gps.get(ExifTags.GPS.GPSLongitudeRef))
    except Exception:
        # Pillow's EXIF parsing raises many kinds of errors on broken data; none may escape.
        return None
    if latitude is None or longitude is None:
        return None
    if lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return None
    if latitude == 0 and longitude == 0:
        # Cameras without a fix write zeros; nobody photographs plants at 0°, 0° in the ocean.
        return None
    return (-latitude if lat_ref == "S" else latitude, -longitude if lon_ref == "W" else longitude)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ").upper() if isinstance(value, str) else ""


def _degrees(value: object, limit: float) -> float | None:
    """Turn (degrees, minutes, seconds) rationals into decimal degrees within ±`limit`."""
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None
    parts = [float(part) for part in value]
    if not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    if any(part >= 60 for part in parts[1:]):
        return None
    total = sum(part / 60**index for index, part in enumerate(parts))
    return total if total <= limit else None


# -- bounded asynchronous preparation -------------------------------------------------------------


class ImagePreparer:
    """Prepare photos in worker threads, at most `max_concurrent` at a time to bound memory."""

    def __init__(
        self,
        max_side: int = MAX_SIDE,
        *,
        max_concurrent: int = 2,
        max_pixels: int = MAX_PIXELS,
        passthrough_bytes: int = PASSTHROUGH_BYTES,
    ) -> None:
        if max_side < 1 or max_concurrent < 1 or max_pixels < 1:
            raise ValueError("max_side, max_concurrent and max_pixels must be positive")
        self.max_side = max_side
        self.max_concurrent = max_concurrent
        self.max_pixels = max_pixels
        self.passthrough_bytes = passthrough_bytes
        self._slots = asyncio.Semaphore(max_concurrent)

    async def prepare(self, data: bytes) -> PreparedImage:
        """Prepare one photo in a thread once a slot is free; see `prepare_image`."""
        await self._slots.acquire()
        try:
            work = asyncio.ensure_future(
                asyncio.to_thread(
                    prepare_image,
                    data,
                    max_side=self.max_side,
                    max_pixels=self.max_pixels,
                    passthrough_bytes=self.passthrough_bytes,
                )
            )
        except BaseException:
            self._slots.release()
            raise
        # A cancelled caller cannot stop the thread, so its slot is freed only when the thread is
        # done: otherwise cancellations would let more decodes than allowed run at once.
        work.add_done_callback(self._release)
        return await asyncio.shield(work)

    def _release(self, work: asyncio.Future[PreparedImage]) -> None:
        self._slots.release()
        if not work.cancelled():
            work.exception()  # retrieved here so an abandoned failure is not logged as lost


async def prepare_image_async(data: bytes, *, max_side: int = MAX_SIDE) -> PreparedImage:
    """Prepare the image in a worker thread, unbounded; prefer one shared `ImagePreparer`."""
    return await asyncio.to_thread(prepare_image, data, max_side=max_side)
