"""Check the emulator's data files, control API, standing switches, random faults and scale."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.plantid import (
    ApiKeyConfig,
    EmulatorConfig,
    ScriptedOutcome,
    create_app,
    emulator_of,
    endpoint_name,
    load_catalogue,
)
from sandbox.plantid.catalogue import Catalogue, parse_taxa
from sandbox.plantid.classify import Features
from sandbox.plantid.emulator import NewIdentification
from sandbox.server import serve_on_loopback
from tests.sandbox.conftest import API_BASE, API_KEY, Picture

NO_CREDITS = "The specified api key does not have sufficient number of available credits."


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=API_BASE, headers={"Api-Key": API_KEY}
    )


# --- Data files ----------------------------------------------------------------------------------


def test_every_species_has_gbif_id_and_watering_on_the_documented_scale() -> None:
    catalogue = load_catalogue()

    species = [taxon for taxon in catalogue.taxa if taxon.rank == "species"]
    assert species
    for taxon in species:
        assert isinstance(taxon.gbif_id, int), taxon.name
        if taxon.watering is not None:
            low, high = taxon.watering
            assert 1 <= low <= high <= 3, taxon.name
    assert catalogue.taxon("bellis PERENNIS").name == "Bellis perennis"
    assert catalogue.condition("Powdery mildew").name == "powdery mildew"


def test_malformed_taxa_data_is_rejected() -> None:
    good: dict[str, Any] = {
        "wiki_license": {"name": "CC BY-SA 3.0", "url": "https://creativecommons.org/"},
        "taxa": [
            {
                "name": "Bellis perennis",
                "authority": "Bellis perennis L.",
                "rank": "species",
                "taxonomy": {
                    "kingdom": "Plantae",
                    "phylum": "Tracheophyta",
                    "class": "Magnoliopsida",
                    "order": "Asterales",
                    "family": "Asteraceae",
                    "genus": "Bellis",
                },
                "common_names": {"en": ["daisy"]},
                "wiki_title": "Bellis_perennis",
                "description": "A daisy.",
                "colour": "white",
                "watering": {"min": 2, "max": 2},
                "gbif_id": 3117424,
            }
        ],
    }
    assert parse_taxa(good)[0].watering == (2, 2)

    def broken(**changes: Any) -> dict[str, Any]:
        return {**good, "taxa": [{**good["taxa"][0], **changes}]}

    for bad in (
        broken(watering={"min": 2, "max": 4}),
        broken(gbif_id=None),
        broken(common_names={"de": ["Gänseblümchen"]}),
        broken(colour="teal"),
        broken(surprise=True),
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - pydantic's error is a ValueError
            parse_taxa(bad)


async def test_an_emulator_suggests_only_from_its_own_catalogue(leafy: Picture) -> None:
    full = load_catalogue()
    only_daisy = Catalogue((full.taxon("Bellis perennis"),), full.conditions)
    app = create_app(EmulatorConfig(delay=0, catalogue=only_daisy))

    async with _client(app) as http:
        body = (await http.post("/identify", json={"images": [leafy()]})).json()

    assert {s["plant_name"] for s in body["suggestions"]} == {"Bellis perennis"}


def test_endpoint_names_are_the_route_names() -> None:
    assert endpoint_name("/v2/identify") == "identify"
    assert endpoint_name("/v2/get_identification_result/12") == "get_identification_result"
    assert endpoint_name("/v2/get_identification_result/multiple") == (
        "get_identification_result_multiple"
    )
    assert endpoint_name("/v2/delete_identification/custom_id/3") == (
        "delete_identification_by_custom_id"
    )
    assert endpoint_name("/media/similar/x.jpg") == "media"
    assert endpoint_name("/v2/get_identification_result/twelve") == "unknown"
    assert endpoint_name("/v3/identification") == "unknown"


# --- Pending identifications and the delay -------------------------------------------------------


async def test_pending_lists_unfinished_and_complete_finishes_the_chosen_one(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    app = make_app(delay=None)
    emulator = emulator_of(app)
    async with _client(app) as http:
        first = (await http.post("/enqueue_identification", json={"images": [leafy(1)]})).json()
        second = (
            await http.post(
                "/enqueue_identification",
                json={"images": [leafy(2)], "custom_id": 9, "callback_url": "http://hook.test/"},
            )
        ).json()
        listed = emulator.pending()
        emulator.complete(first["id"])
        after = emulator.pending()
        first_now = (await http.get(f"/get_identification_result/{first['id']}")).json()

    assert [(p.id, p.custom_id, p.finishes_in, p.has_callback) for p in listed] == [
        (first["id"], None, None, False),
        (second["id"], 9, None, True),
    ]
    assert [p.id for p in after] == [second["id"]]
    assert first_now["suggestions"]
    await emulator.aclose()


async def test_set_delay_applies_to_identifications_already_pending(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    app = make_app(delay=None)
    emulator = emulator_of(app)
    async with _client(app) as http:
        created = (await http.post("/enqueue_identification", json={"images": [leafy()]})).json()
        emulator.set_delay(0)
        result = (await http.get(f"/get_identification_result/{created['id']}")).json()

    assert emulator.delay == 0
    assert result["suggestions"]
    assert emulator.pending() == []
    with pytest.raises(ValueError):  # noqa: PT011
        emulator.set_delay(-1)


async def test_multiple_takes_view_parameters_like_the_other_getters(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    created = (await client.post("/identify", json={"images": [leafy()], "custom_id": 4})).json()

    response = await client.post(
        "/get_identification_result/multiple",
        json={
            "custom_ids": [4],
            "plant_details": ["common_names", "gbif_id", "taxonomy"],
            "plant_language": "de",
        },
    )

    (body,) = response.json()
    details = body["suggestions"][0]["plant_details"]
    assert body["id"] == created["id"]
    assert set(details) >= {"common_names", "gbif_id", "taxonomy", "scientific_name"}
    assert details["taxonomy"]["kingdom"] == "Plantae"


# --- Standing switches ---------------------------------------------------------------------------


async def test_outage_answers_503_everywhere_until_turned_off(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    emulator = emulator_of(app)
    created = (
        await client.post("/identify", json={"images": [leafy()], "modifiers": ["similar_images"]})
    ).json()
    picture = created["suggestions"][0]["similar_images"][0]["url"]
    emulator.set_outage()

    during = [
        await client.post("/identify", json={"images": [leafy()]}),
        await client.get("/usage_info"),
        await client.get(picture),
    ]
    emulator.set_outage(False)
    after = await client.get("/usage_info")

    assert [r.status_code for r in during] == [503, 503, 503]
    assert emulator.journal[-2].fault == "outage"
    assert after.status_code == 200
    assert emulator.switches.outage is False


async def test_key_refused_answers_401_until_turned_off(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    emulator_of(app).set_key_refused()
    refused = await client.get("/usage_info")
    emulator_of(app).set_key_refused(False)
    accepted = await client.get("/usage_info")

    assert (refused.status_code, refused.text) == (401, "The specified api key is not active.")
    assert accepted.status_code == 200


async def test_out_of_credits_refuses_paid_calls_and_reports_zero_left(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    emulator = emulator_of(app)
    emulator.set_out_of_credits()
    refused = await client.post("/identify", json={"images": [leafy()]})
    usage = (await client.get("/usage_info")).json()
    left_during = emulator.credits_left(API_KEY)
    emulator.set_out_of_credits(False)
    accepted = await client.post("/identify", json={"images": [leafy()]})

    assert (refused.status_code, refused.text) == (429, NO_CREDITS)
    assert usage["remaining_total"] == 0
    assert left_during == 0
    assert accepted.status_code == 200
    assert emulator.credits_left(API_KEY) is None


async def test_credits_left_follows_the_tightest_limit(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    app = make_app(api_keys={API_KEY: ApiKeyConfig(weekly_limit=5, total_limit=100)})
    async with _client(app) as http:
        await http.post("/identify", json={"images": [leafy()], "modifiers": ["health_all"]})

    assert emulator_of(app).credits_left(API_KEY) == 3


async def test_slow_switch_holds_answers_until_turned_off(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    emulator = emulator_of(app)
    emulator.set_slow(0.05)
    slow = await client.get("/usage_info")
    emulator.set_slow(None)
    normal = await client.get("/usage_info")

    assert slow.status_code == normal.status_code == 200
    assert [entry.fault for entry in emulator.requests_to("usage_info")] == ["slow", None]


def test_switches_set_from_another_thread_apply_to_a_served_emulator(
    make_app: Callable[..., Starlette],
) -> None:
    app = make_app()
    emulator = emulator_of(app)
    with (
        serve_on_loopback(app) as base_url,
        httpx.Client(base_url=f"{base_url}/v2", headers={"Api-Key": API_KEY}) as http,
    ):
        emulator.set_outage()
        down = http.get("/usage_info")
        emulator.set_outage(False)
        up = http.get("/usage_info")

    assert (down.status_code, up.status_code) == (503, 200)


# --- Random faults -------------------------------------------------------------------------------


async def _outcomes(app: Starlette, count: int) -> list[str]:
    outcomes = []
    async with _client(app) as http:
        for _ in range(count):
            try:
                response = await http.get("/usage_info")
                outcomes.append(str(response.status_code))
            except httpx.HTTPError as exc:
                outcomes.append(type(exc).__name__)
    return outcomes


async def test_random_faults_fail_about_that_fraction_and_replay_with_the_seed(
    app: Starlette,
) -> None:
    emulator = emulator_of(app)
    emulator.fail_randomly(0.3, seed=42)
    first = await _outcomes(app, 100)
    emulator.fail_randomly(0.3, seed=42)
    replay = await _outcomes(app, 100)
    emulator.fail_randomly(0)
    healthy = await _outcomes(app, 10)

    failures = [outcome for outcome in first if outcome != "200"]
    assert first == replay
    assert 15 <= len(failures) <= 45
    assert set(failures) <= {"500", "502", "503", "504", "ReadTimeout", "RemoteProtocolError"}
    assert {"ReadTimeout", "RemoteProtocolError"} <= set(failures)
    assert any(outcome.startswith("5") for outcome in failures)
    assert healthy == ["200"] * 10
    assert emulator.random_faults is None


async def test_random_lost_answers_still_create_the_identification(
    app: Starlette, leafy: Picture
) -> None:
    emulator = emulator_of(app)
    emulator.fail_randomly(1.0, kinds=("lose_answer",), seed=1)

    async with _client(app) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/identify", json={"images": [leafy()], "custom_id": 77})
        emulator.fail_randomly(0)
        recovered = await http.get("/get_identification_result/custom_id/77")

    assert recovered.status_code == 200
    assert emulator.requests_to("identify")[0].fault == "random lose_answer"


async def test_random_faults_spare_image_downloads(app: Starlette, leafy: Picture) -> None:
    emulator = emulator_of(app)
    async with _client(app) as http:
        body = (
            await http.post(
                "/identify", json={"images": [leafy()], "modifiers": ["similar_images"]}
            )
        ).json()
        emulator.fail_randomly(1.0, kinds=("5xx",))
        picture = await http.get(body["suggestions"][0]["similar_images"][0]["url"])
        api = await http.get("/usage_info")

    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/jpeg"
    assert api.status_code >= 500


def test_random_fault_arguments_are_checked(app: Starlette) -> None:
    emulator = emulator_of(app)
    with pytest.raises(ValueError):  # noqa: PT011
        emulator.fail_randomly(1.5)
    with pytest.raises(ValueError):  # noqa: PT011
        emulator.fail_randomly(0.5, kinds=("meteor",))  # type: ignore[arg-type]


def test_timeout_fault_over_loopback_times_the_client_out(
    make_app: Callable[..., Starlette],
) -> None:
    app = make_app()
    emulator_of(app).inject_fault("usage_info", "timeout", seconds=0.5)
    with (
        serve_on_loopback(app) as base_url,
        httpx.Client(base_url=f"{base_url}/v2", headers={"Api-Key": API_KEY}) as http,
    ):
        with pytest.raises(httpx.ReadTimeout):
            http.get("/usage_info", timeout=0.1)
        recovered = http.get("/usage_info")

    assert recovered.status_code == 200


# --- Scale ---------------------------------------------------------------------------------------


async def test_ten_thousand_pending_are_found_by_id_custom_id_and_multiple(
    make_app: Callable[..., Starlette],
) -> None:
    app = make_app(delay=None)
    emulator = emulator_of(app)
    count = 10_000
    emulator.script_next(
        *[ScriptedOutcome(suggestions=[("Bellis perennis", 0.9)], diseases=[])] * count
    )
    request = NewIdentification(
        endpoint="enqueue_identification",
        api_key=API_KEY,
        images=[b"\xff\xd8 tiny"],
        media_types=["image/jpeg"],
        features=Features(shares={"green": 1.0}, brown=0.0, texture=0.5),
        custom_id=None,
        latitude=None,
        longitude=None,
        datetime_sent=False,
        datetime=None,
        modifiers=[],
        callback_url=None,
        base_url="http://plantid.test",
    )
    ids = [
        emulator.create(dataclasses.replace(request, custom_id=index)).id for index in range(count)
    ]
    emulator.complete(ids[1234])

    async with _client(app) as http:
        every = await http.post("/get_identification_result/multiple", json={"ids": ids})
        by_custom = await http.get("/get_identification_result/custom_id/1234")
        by_id = await http.get(f"/get_identification_result/{ids[-1]}")

    bodies = every.json()
    assert [body["id"] for body in bodies] == ids
    assert sum(body["suggestions"] is not None for body in bodies) == 1
    assert by_custom.json()["suggestions"][0]["plant_name"] == "Bellis perennis"
    assert by_id.json()["suggestions"] is None
    assert len(emulator.pending()) == count - 1
