"""Realistic Plant.id v2 response bodies and photo-like images, written for these tests."""

from __future__ import annotations

import random
from typing import Any

from PIL import Image, ImageChops, ImageDraw

DANDELION_DETAILS: dict[str, Any] = {
    "common_names": ["common dandelion", "dandelion"],
    "url": "https://en.wikipedia.org/wiki/Taraxacum_officinale",
    "wiki_description": {
        "value": "Taraxacum officinale is a flowering herbaceous perennial of the daisy family.",
        "citation": "https://en.wikipedia.org/wiki/Taraxacum_officinale",
        "license_name": "CC BY-SA 3.0",
        "license_url": "https://creativecommons.org/licenses/by-sa/3.0/",
    },
    "name_authority": "Taraxacum officinale F.H.Wigg.",
    "taxonomy": {
        "kingdom": "Plantae",
        "phylum": "Tracheophyta",
        "class": "Magnoliopsida",
        "order": "Asterales",
        "family": "Asteraceae",
        "genus": "Taraxacum",
    },
    "synonyms": ["Leontodon taraxacum"],
    "edible_parts": ["flowers", "leaves", "roots"],
    "propagation_methods": ["seeds"],
    "watering": {"min": 2, "max": 2},
    "gbif_id": 5394567,
    "rank": "species",
    "scientific_name": "Taraxacum officinale",
    "structured_name": {"genus": "taraxacum", "species": "officinale"},
}


def suggestion(
    suggestion_id: int,
    name: str,
    probability: float,
    details: dict[str, Any] | None,
    *,
    similar: bool = False,
) -> dict[str, Any]:
    """Return one plant suggestion, with two similar images when asked."""
    body: dict[str, Any] = {
        "id": suggestion_id,
        "plant_name": name,
        "plant_details": details,
        "probability": probability,
        "confirmed": False,
    }
    if similar:
        body["similar_images"] = [
            {
                "id": "4be03de02e22a9a9c834052eb0eb39bb",
                "similarity": 0.67,
                "url": "https://plant.id/media/similar/4be03de0.jpg",
                "url_small": "https://plant.id/media/similar/4be03de0.small.jpg",
                "citation": "Ueli Schmid",
                "license_name": "CC BY-SA 4.0",
                "license_url": "https://creativecommons.org/licenses/by-sa/4.0/",
            },
            {
                "id": "0c2f9d2d7c1e4f4d8f1f4a2b3c4d5e6f",
                "similarity": 0.51,
                "url": "https://plant.id/media/similar/0c2f9d2d.jpg",
                "url_small": "https://plant.id/media/similar/0c2f9d2d.small.jpg",
            },
        ]
    return body


def identification(
    identification_id: int = 22062232,
    *,
    custom_id: int | None = None,
    suggestions: list[dict[str, Any]] | None = None,
    pending: bool = False,
) -> dict[str, Any]:
    """Return an identification object as /identify or a result getter sends it."""
    if suggestions is None and not pending:
        suggestions = [
            suggestion(148452111, "Taraxacum officinale", 0.8094, DANDELION_DETAILS),
            suggestion(
                148452112,
                "Taraxacum",
                0.1102,
                {"scientific_name": "Taraxacum", "structured_name": {"genus": "taraxacum"}},
            ),
            suggestion(148452113, "Crepis capillaris", 0.0312, None),
        ]
    return {
        "id": identification_id,
        "custom_id": custom_id,
        "meta_data": {
            "latitude": 49.2,
            "longitude": 16.6,
            "date": "2021-06-28",
            "datetime": "2021-06-28",
        },
        "uploaded_datetime": 1624881923.496076,
        "finished_datetime": None if pending else 1624881924.131442,
        "images": [
            {
                "file_name": "757562b36f1948e9b8e0e0e0a0b0c0d0.jpg",
                "url": "https://plant.id/media/images/757562b36f1948e9b8e0e0e0a0b0c0d0.jpg",
            }
        ],
        "suggestions": None if pending else suggestions,
        "modifiers": ["crops_fast"],
        "secret": "pcxYRpQNUvMET1F",
        "fail_cause": None,
        "countable": True,
        "feedback": None,
        "is_plant_probability": None if pending else 0.9977,
        "is_plant": None if pending else True,
    }


def health_assessment_result(identification_id: int = 22070001) -> dict[str, Any]:
    """Return a /health_assessment answer: no `suggestions` key, diseases with details."""
    body = identification(identification_id)
    del body["suggestions"]
    body["modifiers"] = ["disease_similar_images", "health_only"]
    body["health_assessment"] = {
        "is_healthy_probability": 0.1125,
        "is_healthy": False,
        "diseases": [
            {
                "entity_id": 456,
                "name": "abiotic",
                "probability": 0.8813,
                "redundant": True,
                "disease_details": {
                    "cause": None,
                    "classification": [],
                    "common_names": ["abiotic disorder", "physiological plant disorder"],
                    "description": "Damage caused by the environment rather than a pathogen.",
                    "treatment": {"prevention": ["Water regularly but avoid waterlogging."]},
                    "url": "https://en.wikipedia.org/wiki/Physiological_plant_disorder",
                    "local_name": "abiotic",
                    "language": "en",
                },
            },
            {
                "entity_id": 31,
                "name": "Thysanoptera",
                "probability": 0.2104,
                "disease_details": {
                    "cause": "Thysanoptera",
                    "classification": ["Animalia", "Insecta"],
                    "common_names": ["thrips"],
                    "description": "Tiny insects that suck the contents of plant cells.",
                    "treatment": {
                        "biological": ["Release predatory mites."],
                        "chemical": ["Spray with spinosad."],
                        "prevention": ["Inspect new plants before bringing them in."],
                    },
                    "url": "https://en.wikipedia.org/wiki/Thrips",
                    "local_name": "thrips",
                    "language": "en",
                },
            },
        ],
    }
    return body


USAGE_INFO: dict[str, Any] = {
    "active": True,
    "daily_limit": None,
    "weekly_limit": 200,
    "monthly_limit": None,
    "total_limit": None,
    "is_closed": False,
    "used_day": 5,
    "used_week": 5,
    "used_month": 11,
    "used_total": 11,
    "remaining_day": None,
    "remaining_week": 195,
    "remaining_month": None,
    "remaining_total": None,
}


def leafy_photo(size: tuple[int, int] = (4032, 3024), *, seed: int = 1) -> Image.Image:
    """Return an RGB picture with the detail of a phone photo of foliage."""
    # At 12 MP and JPEG quality 92 it is about 4 MB, and shrunk to 1500 px at quality 85 with
    # `optimize` about 500 KB: what a real 12 MP plant photo measured in issue 13.
    rng = random.Random(seed)
    width, height = size
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGB",
        (
            ramp.point(lambda value: 40 + value // 4),
            ramp.point(lambda value: 90 + value // 3),
            ramp.point(lambda value: 30 + value // 6),
        ),
    )
    draw = ImageDraw.Draw(image)
    leaves = width * height // 4900
    for _ in range(leaves):
        x, y = rng.randrange(width), rng.randrange(height)
        long_side = rng.randint(20, max(21, width // 16))
        short_side = rng.randint(10, max(11, width // 34))
        green = (rng.randint(20, 110), rng.randint(90, 230), rng.randint(10, 90))
        edge = (green[0] // 2, green[1] // 2, green[2] // 2)
        draw.ellipse((x, y, x + long_side, y + short_side), fill=green, outline=edge, width=3)
    # Sensor noise and fine texture, coarser than one pixel as in a demosaiced photo.
    grain = Image.effect_noise((max(1, width // 3), max(1, height // 3)), 7).resize(size)
    return Image.merge(
        "RGB", [ImageChops.add(channel, grain, 1, -128) for channel in image.split()]
    )
