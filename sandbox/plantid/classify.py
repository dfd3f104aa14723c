"""Derive deterministic, plausible identification results from image pixels."""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from sandbox.plantid import assumptions
from sandbox.plantid.catalogue import Taxon
from sandbox.plantid.diseases import Condition

COLOUR_CLASSES = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "dark")
_THUMBNAIL = (48, 48)


class UndecodableImage(ValueError):
    """Raise when image bytes are not a picture Pillow can read."""


@dataclass(frozen=True)
class Features:
    """Summarize the colours of one or more images as fractions of their pixels."""

    shares: dict[str, float]
    brown: float
    texture: float

    def share(self, colour: str) -> float:
        """Return the fraction of pixels in colour class `colour`."""
        return self.shares.get(colour, 0.0)


def _colour_class(hue: float, sat: float, val: float) -> str:
    if val < 0.18:
        return "dark"
    if sat < 0.18:
        return "white" if val > 0.6 else "dark"
    degrees = hue * 360
    if degrees < 15 or degrees >= 345:
        return "red"
    if degrees < 40:
        return "orange"
    if degrees < 65:
        return "yellow"
    if degrees < 170:
        return "green"
    if degrees < 255:
        return "blue"
    if degrees < 300:
        return "purple"
    return "pink"


def image_features(data: bytes) -> Features:
    """Decode `data` with Pillow and measure its colour distribution (CPU-bound)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (_THUMBNAIL[0] * 4, _THUMBNAIL[1] * 4))
            picture = opened.convert("RGB").resize(_THUMBNAIL)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UndecodableImage(str(exc)) from exc
    counts = dict.fromkeys(COLOUR_CLASSES, 0)
    brown = 0
    luminances: list[float] = []
    pixels = list(picture.getdata())
    for red, green, blue in pixels:
        hue, sat, val = colorsys.rgb_to_hsv(red / 255, green / 255, blue / 255)
        colour = _colour_class(hue, sat, val)
        counts[colour] += 1
        if colour in ("red", "orange") and val < 0.6:
            brown += 1
        luminances.append(0.299 * red + 0.587 * green + 0.114 * blue)
    total = len(pixels)
    mean = sum(luminances) / total
    spread = math.sqrt(sum((lum - mean) ** 2 for lum in luminances) / total)
    return Features(
        shares={colour: count / total for colour, count in counts.items()},
        brown=brown / total,
        texture=min(1.0, spread / 50),
    )


def image_format(data: bytes) -> str:
    """Return Pillow's name for the format of `data` ("JPEG", "PNG", ...)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            return str(opened.format or "")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UndecodableImage(str(exc)) from exc


def combine(features: Sequence[Features]) -> Features:
    """Average the features of several images of the same plant."""
    count = len(features)
    return Features(
        shares={c: sum(f.share(c) for f in features) / count for c in COLOUR_CLASSES},
        brown=sum(f.brown for f in features) / count,
        texture=sum(f.texture for f in features) / count,
    )


def digest_images(images: Sequence[bytes]) -> bytes:
    """Return a digest that identifies this exact sequence of images."""
    hasher = hashlib.sha256()
    for data in images:
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.digest()


def unit(digest: bytes, *salt: object) -> float:
    """Return a deterministic number in [0, 1) derived from `digest` and `salt`."""
    mixed = hashlib.sha256(digest + repr(salt).encode()).digest()
    return int.from_bytes(mixed[:8], "big") / 2**64


def is_plant_probability(features: Features) -> float:
    """Estimate how likely the pictures show a plant: green and textured images score high."""
    green = features.share("green")
    colourful = max(features.share(c) for c in COLOUR_CLASSES if c != "green")
    score = 0.03 + 0.94 * min(1.0, green / 0.6)
    if green < 0.6:
        # Flowers photographed close up are colourful and textured rather than green.
        score += 0.5 * features.texture * (1.0 - colourful)
    return round(min(0.999, score), 4)


def _distribute(digest: bytes, scores: Sequence[float], salt: str) -> list[float]:
    """Turn scores into descending probabilities that sum to at most 0.98."""
    weights = [math.exp(3.0 * score) for score in scores]
    mass = 0.55 + 0.43 * unit(digest, salt, "mass")
    total = sum(weights)
    return [math.floor(weight / total * mass * 10_000) / 10_000 for weight in weights]


_ACCENTS = ("red", "orange", "yellow", "blue", "purple", "pink")


def affinity(features: Features, colour: str) -> float:
    """Return how well a taxon of main colour `colour` fits the pictures (0..1)."""
    # A blossom fills only a few per cent of a photo of a plant, so small shares count fully.
    accent = min(1.0, max(features.share(c) for c in _ACCENTS) * 40)
    if colour == "green":
        return min(1.0, features.share("green") * 1.2) * (1.0 - 0.7 * accent)
    return min(1.0, features.share(colour) * 40)


def rank_taxa(
    digest: bytes, features: Features, taxa: Sequence[Taxon]
) -> list[tuple[Taxon, float]]:
    """Rank `taxa` for these pictures: 3-10 suggestions, most probable first."""
    scores = {t.name: 2.0 * affinity(features, t.colour) + unit(digest, t.name) for t in taxa}
    ranked = sorted(taxa, key=lambda taxon: -scores[taxon.name])
    span = assumptions.MAX_SUGGESTIONS - assumptions.MIN_SUGGESTIONS + 1
    count = assumptions.MIN_SUGGESTIONS + int(unit(digest, "count") * span)
    chosen = ranked[:count]
    probabilities = _distribute(digest, [scores[t.name] for t in chosen], "taxa")
    return list(zip(chosen, probabilities, strict=True))


def is_healthy_probability(digest: bytes, features: Features) -> float:
    """Estimate health: brown and yellow areas lower the probability."""
    damage = 1.6 * features.brown + 0.5 * features.share("yellow") + 0.3 * features.share("dark")
    value = 0.92 - damage + 0.1 * (unit(digest, "health") - 0.5)
    return round(min(0.98, max(0.02, value)), 4)


def _symptom_share(features: Features, symptom: str) -> float:
    if symptom == "brown":
        return features.brown
    if symptom == "spots":
        return features.texture * 0.3
    return features.share(symptom)


def rank_conditions(
    digest: bytes, features: Features, conditions: Sequence[Condition]
) -> list[tuple[Condition, float, bool]]:
    """Rank `conditions`, adding generic parent classes flagged as redundant."""
    specific = [c for c in conditions if not c.redundant]
    scored = sorted(
        specific,
        key=lambda c: -(2.0 * _symptom_share(features, c.symptom) + unit(digest, c.name)),
    )
    count = 4 + int(unit(digest, "disease-count") * 4)
    chosen = scored[:count]
    scores = [2.0 * _symptom_share(features, c.symptom) + unit(digest, c.name) for c in chosen]
    probabilities = _distribute(digest, scores, "diseases")
    ranked: list[tuple[Condition, float, bool]] = [
        (condition, probability, False)
        for condition, probability in zip(chosen, probabilities, strict=True)
    ]
    for parent in (c for c in conditions if c.redundant):
        children = [p for c, p, _ in ranked if parent.name in c.classification]
        if children:
            ranked.append((parent, min(0.99, round(sum(children), 4)), True))
    ranked.sort(key=lambda item: -item[1])
    return ranked
