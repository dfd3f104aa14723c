"""Draw the sandbox's sample photos: flowers and leaves the Plant.id emulator recognises.

Each sample is drawn with Pillow from a fixed seed (no downloads, no randomness between runs).
The emulator ranks species by flower colour and breaks ties between species of one colour with
the image's digest, so each seed below was chosen once so that the photo, after the bot's
usual preparation, comes back as the species named next to it (checked by
`tests/sandbox_web/test_samples.py`; the browser tests go through the whole stack).
Regenerate the committed JPEGs with `python -m sandbox.web.samples`.
"""

from __future__ import annotations

import io
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = (800, 600)
JPEG_QUALITY = 88
SAMPLES_DIR = Path(__file__).parent / "static" / "samples"

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Sample:
    """One bundled photo: file stem, label, how it is drawn and what the emulator says."""

    name: str
    label: str
    style: str
    petal: RGB
    centre: RGB
    seed: int
    species: str | None

    @property
    def file_name(self) -> str:
        """Return the file name under static/samples/."""
        return f"{self.name}.jpg"

    @property
    def is_plant(self) -> bool:
        """Return whether the emulator should see a plant in it."""
        return self.species is not None


SAMPLES: tuple[Sample, ...] = (
    Sample("sunflower", "Sunflower", "daisy", (250, 205, 25), (90, 55, 20), 0, "Helianthus annuus"),
    Sample("poppy", "Poppy", "cup", (222, 32, 36), (30, 25, 30), 1, "Papaver rhoeas"),
    Sample(
        "cornflower", "Cornflower", "fringed", (70, 110, 230), (60, 50, 120), 0, "Centaurea cyanus"
    ),
    Sample(
        "lavender",
        "Lavender",
        "spikes",
        (140, 90, 210),
        (140, 90, 210),
        12,
        "Lavandula angustifolia",
    ),
    Sample("dog-rose", "Dog rose", "cup", (236, 120, 182), (245, 215, 60), 3, "Rosa canina"),
    Sample(
        "marigold", "Marigold", "daisy", (245, 140, 20), (200, 90, 10), 2, "Calendula officinalis"
    ),
    Sample("daisy", "Daisy", "daisy", (250, 250, 245), (245, 200, 40), 0, "Bellis perennis"),
    Sample(
        "monstera", "Monstera", "leaves", (40, 120, 50), (40, 120, 50), 99, "Monstera deliciosa"
    ),
    Sample("mug", "Coffee mug (not a plant)", "mug", (60, 90, 160), (235, 235, 230), 0, None),
)


def sample_named(name: str) -> Sample:
    """Return the sample with file stem `name` (KeyError if there is none)."""
    for sample in SAMPLES:
        if sample.name == name:
            return sample
    raise KeyError(name)


def _jitter(rng: random.Random, colour: RGB, spread: int) -> RGB:
    red, green, blue = (max(0, min(255, c + rng.randint(-spread, spread))) for c in colour)
    return (red, green, blue)


def _foliage(draw: ImageDraw.ImageDraw, rng: random.Random, count: int) -> None:
    for _ in range(count):
        x, y = rng.randint(-40, SIZE[0]), rng.randint(-40, SIZE[1])
        w, h = rng.randint(40, 160), rng.randint(20, 70)
        draw.ellipse((x, y, x + w, y + h), fill=_jitter(rng, (55, 140, 55), 35))


def _petals(
    draw: ImageDraw.ImageDraw,
    centre: tuple[float, float],
    radius: float,
    count: int,
    width: float,
    colour: RGB,
    rng: random.Random,
) -> None:
    cx, cy = centre
    for index in range(count):
        angle = 2 * math.pi * index / count + rng.uniform(-0.05, 0.05)
        tip_x, tip_y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        side = angle + math.pi / 2
        half = width / 2
        points = [
            (cx + half * 0.3 * math.cos(side), cy + half * 0.3 * math.sin(side)),
            (
                (cx + tip_x) / 2 + half * math.cos(side),
                (cy + tip_y) / 2 + half * math.sin(side),
            ),
            (tip_x, tip_y),
            (
                (cx + tip_x) / 2 - half * math.cos(side),
                (cy + tip_y) / 2 - half * math.sin(side),
            ),
            (cx - half * 0.3 * math.cos(side), cy - half * 0.3 * math.sin(side)),
        ]
        draw.polygon(points, fill=_jitter(rng, colour, 12))


def _flower(
    draw: ImageDraw.ImageDraw, sample: Sample, rng: random.Random, x: float, y: float
) -> None:
    radius = rng.uniform(55, 95)
    if sample.style == "daisy":
        _petals(draw, (x, y), radius, rng.randint(14, 20), radius * 0.35, sample.petal, rng)
        disc = radius * 0.35
    elif sample.style == "fringed":
        _petals(draw, (x, y), radius, rng.randint(9, 12), radius * 0.6, sample.petal, rng)
        disc = radius * 0.2
    else:
        _petals(draw, (x, y), radius, 5, radius * 1.2, sample.petal, rng)
        disc = radius * 0.22
    draw.ellipse((x - disc, y - disc, x + disc, y + disc), fill=_jitter(rng, sample.centre, 10))


def _spike(draw: ImageDraw.ImageDraw, sample: Sample, rng: random.Random, x: float) -> None:
    base = SIZE[1] - rng.randint(0, 60)
    top = rng.randint(60, 220)
    draw.line((x, base, x + rng.randint(-20, 20), top), fill=(70, 120, 60), width=5)
    y: float = top
    while y < top + (base - top) * 0.45:
        for offset in (-9, 9):
            bud = rng.uniform(6, 10)
            draw.ellipse(
                (x + offset - bud, y - bud, x + offset + bud, y + bud),
                fill=_jitter(rng, sample.petal, 18),
            )
        y += rng.uniform(10, 16)


def _monstera_leaf(draw: ImageDraw.ImageDraw, rng: random.Random, x: float, y: float) -> None:
    radius = rng.uniform(110, 170)
    draw.ellipse((x - radius, y - radius * 0.8, x + radius, y + radius * 0.8), fill=(25, 95, 40))
    for index in range(7):
        angle = math.pi * (0.15 + 0.7 * index / 6) + rng.uniform(-0.05, 0.05)
        for side in (1, -1):
            end_x = x + side * radius * 1.05 * math.sin(angle)
            end_y = y - radius * 0.85 * math.cos(angle)
            draw.line((x, y, end_x, end_y), fill=(120, 175, 95), width=9)
    draw.line((x, y - radius * 0.8, x, y + radius * 0.8), fill=(90, 150, 70), width=6)


def _mug(draw: ImageDraw.ImageDraw, sample: Sample, rng: random.Random) -> None:
    wall = _jitter(rng, sample.petal, 6)
    draw.rectangle((0, 0, SIZE[0], SIZE[1]), fill=wall)
    draw.rectangle((0, 430, SIZE[0], SIZE[1]), fill=(150, 150, 155))
    draw.rounded_rectangle((290, 200, 510, 470), radius=24, fill=sample.centre)
    draw.ellipse((470, 260, 590, 400), outline=sample.centre, width=22)
    draw.ellipse((300, 185, 500, 225), fill=(70, 60, 55))


def draw_sample(sample: Sample) -> Image.Image:
    """Return the picture of `sample`, identical for the same sample on every run."""
    rng = random.Random(f"{sample.name}:{sample.seed}")
    image = Image.new("RGB", SIZE, (60, 125, 55))
    draw = ImageDraw.Draw(image)
    if sample.style == "mug":
        _mug(draw, sample, rng)
    elif sample.style == "leaves":
        _foliage(draw, rng, 90)
        for _ in range(4):
            _monstera_leaf(draw, rng, rng.uniform(120, 680), rng.uniform(120, 480))
    elif sample.style == "spikes":
        _foliage(draw, rng, 110)
        for index in range(9):
            _spike(draw, sample, rng, 60 + index * 85 + rng.uniform(-15, 15))
    else:
        _foliage(draw, rng, 110)
        for _ in range(rng.randint(3, 5)):
            _flower(draw, sample, rng, rng.uniform(90, 710), rng.uniform(90, 510))
    return image.filter(ImageFilter.SMOOTH)


def encode(image: Image.Image) -> bytes:
    """Return `image` as the JPEG bytes that are committed."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def sample_bytes(sample: Sample, directory: Path = SAMPLES_DIR) -> bytes:
    """Return the committed JPEG of `sample`."""
    return (directory / sample.file_name).read_bytes()


def write_samples(directory: Path = SAMPLES_DIR, samples: Sequence[Sample] = SAMPLES) -> None:
    """Draw every sample and write it as JPEG into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for sample in samples:
        (directory / sample.file_name).write_bytes(encode(draw_sample(sample)))


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the sample JPEGs next to this module."""
    del argv
    write_samples()
    print(f"wrote {len(SAMPLES)} samples to {SAMPLES_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
