"""The emulator switches on the page: outage, out of credits and a refused key, on and off."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox.plantid import ApiKeyConfig, EmulatorConfig, create_app
from sandbox.web.plantid_panel import PlantIdPanel
from sandbox.web.samples import SAMPLES, sample_bytes

API_KEY = "panel-key"


@pytest.fixture
def panel() -> PlantIdPanel:
    config = EmulatorConfig(api_keys={API_KEY: ApiKeyConfig(total_limit=5)}, delay=None)
    return PlantIdPanel(create_app(config), API_KEY, credits=5)


@pytest.fixture
async def client(panel: PlantIdPanel) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=panel),
        base_url="http://plantid.test/v2",
        headers={"Api-Key": API_KEY},
    ) as client:
        yield client


async def enqueue(client: httpx.AsyncClient) -> httpx.Response:
    image = base64.b64encode(sample_bytes(SAMPLES[0])).decode()
    return await client.post("/enqueue_identification", json={"images": [image]})


async def test_outage_answers_503_in_the_journal_until_switched_off(
    panel: PlantIdPanel, client: httpx.AsyncClient
) -> None:
    panel.set_switches(outage=True)
    assert (await enqueue(client)).status_code == 503
    assert panel.view()["journal"][0]["status"] == 503
    assert panel.view()["journal"][0]["endpoint"] == "enqueue_identification"
    panel.set_switches(outage=False)
    assert (await enqueue(client)).status_code == 200


async def test_held_identification_is_pending_until_finished_and_costs_a_credit(
    panel: PlantIdPanel, client: httpx.AsyncClient
) -> None:
    ident_id = (await enqueue(client)).json()["id"]
    assert [item["id"] for item in panel.view()["pending"]] == [ident_id]
    assert panel.view()["pending"][0]["due_in"] is None
    panel.finish(ident_id)
    assert panel.view()["pending"] == []
    assert panel.view()["credits_left"] == 4


async def test_out_of_credits_and_refused_key_are_plant_ids_own_answers(
    panel: PlantIdPanel, client: httpx.AsyncClient
) -> None:
    panel.set_switches(out_of_credits=True)
    assert panel.view()["credits_left"] == 0
    assert (await enqueue(client)).status_code == 429
    panel.set_switches(out_of_credits=False, key_refused=True)
    assert (await enqueue(client)).status_code == 401
    panel.set_switches(key_refused=False)
    assert (await enqueue(client)).status_code == 200
    assert panel.view()["credits_left"] == 5


async def test_journal_shows_requests_without_image_data_or_keys(
    panel: PlantIdPanel, client: httpx.AsyncClient
) -> None:
    image = base64.b64encode(sample_bytes(SAMPLES[0])).decode()
    await client.post(
        "/enqueue_identification",
        json={"images": [image], "latitude": 52.51, "api_key": API_KEY},
    )
    line = panel.view()["journal"][0]
    assert line["details"] == {"images": "1 image(s)", "latitude": 52.51}
    assert API_KEY not in repr(panel.view())


def test_delay_and_switch_names_are_checked(panel: PlantIdPanel) -> None:
    panel.set_delay(0)
    assert panel.view()["delay"] == 0
    with pytest.raises(ValueError, match="zero or more"):
        panel.set_delay(-1)
    with pytest.raises(ValueError, match="unknown switch"):
        panel.set_switches(meteor=True)
