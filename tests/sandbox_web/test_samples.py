"""The bundled sample photos: drawn reproducibly, and recognised by the emulator as promised."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image, ImageChops, ImageStat

from bot.settings import Settings
from plantid.images import prepare_image
from sandbox.plantid import ApiKeyConfig, EmulatorConfig, create_app
from sandbox.web.samples import SAMPLES, Sample, draw_sample, sample_bytes

API_KEY = "samples-key"


def test_there_are_eight_plants_and_one_thing_that_is_not() -> None:
    plants = [sample for sample in SAMPLES if sample.is_plant]
    assert len(plants) >= 8
    assert len({sample.species for sample in plants}) == len(plants)
    assert any(not sample.is_plant for sample in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_committed_sample_is_what_the_generator_draws(sample: Sample) -> None:
    committed = Image.open(io.BytesIO(sample_bytes(sample))).convert("RGB")
    drawn = draw_sample(sample)
    assert committed.size == drawn.size
    # JPEG is lossy, so compare the mean difference per channel, not the bytes.
    difference = ImageStat.Stat(ImageChops.difference(committed, drawn)).mean
    assert max(difference) < 3


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
async def test_emulator_identifies_sample_as_its_species(sample: Sample) -> None:
    # The bot uploads the photo prepared like this, so this is what Plant.id sees.
    prepared = prepare_image(
        sample_bytes(sample), max_side=Settings.model_fields["max_image_side"].default
    )
    app = create_app(EmulatorConfig(api_keys={API_KEY: ApiKeyConfig()}, delay=0))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://plantid.test"
    ) as client:
        response = await client.post(
            "/v2/identify",
            headers={"Api-Key": API_KEY},
            json={"images": [base64.b64encode(prepared.jpeg).decode()]},
        )
    response.raise_for_status()
    result = response.json()
    top = result["suggestions"][0]
    if sample.is_plant:
        assert top["plant_name"] == sample.species
        assert result["is_plant_probability"] >= 0.5
        # Above the bot's low-confidence threshold, so the result reads as a sure answer.
        assert top["probability"] >= Settings.model_fields["low_confidence_threshold"].default
    else:
        assert result["is_plant_probability"] < Settings.model_fields["not_plant_threshold"].default
