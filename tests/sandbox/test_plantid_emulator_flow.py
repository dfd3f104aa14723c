"""Check the emulator's async flow, health, confirmation, credits, callbacks, faults and CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.plantid import ApiKeyConfig, ScriptedOutcome, emulator_of
from sandbox.server import free_port, serve_on_loopback
from tests.sandbox.conftest import API_BASE, API_KEY, Picture


def _client(app: Starlette, key: str = API_KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=API_BASE, headers={"Api-Key": key}
    )


async def _usage(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/usage_info")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# --- Asynchronous processing ---------------------------------------------------------------------


async def test_enqueue_returns_the_pending_identification(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    async with _client(make_app(delay=None)) as http:
        response = await http.post(
            "/enqueue_identification", json={"images": [leafy()], "custom_id": 12}
        )

    body = response.json()
    assert response.status_code == 200
    assert body["suggestions"] is None
    assert body["finished_datetime"] is None
    assert body["is_plant"] is None
    assert body["is_plant_probability"] is None
    assert body["custom_id"] == 12


def test_official_async_flow_over_http_polls_until_suggestions(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    with (
        serve_on_loopback(make_app(delay=0.3)) as base_url,
        httpx.Client(base_url=f"{base_url}/v2", headers={"Api-Key": API_KEY}) as http,
    ):
        created = http.post("/enqueue_identification", json={"images": [leafy()]}).json()
        deadline = time.monotonic() + 10
        result: dict[str, Any] = {"suggestions": None}
        while result["suggestions"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
            result = http.post(
                f"/get_identification_result/{created['id']}",
                json={"plant_details": ["common_names"]},
            ).json()

    assert created["suggestions"] is None
    assert result["suggestions"], "the identification never completed"
    assert "common_names" in result["suggestions"][0]["plant_details"]
    assert result["finished_datetime"] is not None


async def test_identify_times_out_to_the_pending_object(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    async with _client(make_app(delay=None)) as http:
        response = await http.post(
            "/identify", json={"images": [leafy()], "identification_timeout": 1}
        )

    assert response.status_code == 200
    assert response.json()["suggestions"] is None


async def test_identify_answers_as_soon_as_the_test_completes_it(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    app = make_app(delay=None)
    emulator = emulator_of(app)
    async with _client(app) as http:
        pending = asyncio.create_task(http.post("/identify", json={"images": [leafy()]}))
        for _ in range(500):
            if emulator.identifications:
                break
            await asyncio.sleep(0.01)
        emulator.complete_all()
        response = await asyncio.wait_for(pending, 5)

    assert response.json()["suggestions"]


async def test_complete_finishes_only_the_chosen_identification(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    app = make_app(delay=None)
    async with _client(app) as http:
        first = (await http.post("/enqueue_identification", json={"images": [leafy(1)]})).json()
        second = (await http.post("/enqueue_identification", json={"images": [leafy(2)]})).json()
        emulator_of(app).complete(first["id"])
        done = (await http.get(f"/get_identification_result/{first['id']}")).json()
        waiting = (await http.get(f"/get_identification_result/{second['id']}")).json()

    assert done["suggestions"]
    assert waiting["suggestions"] is None


async def test_multiple_returns_request_order_and_skips_unknown(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    one = (await client.post("/identify", json={"images": [leafy(1)], "custom_id": 1})).json()
    two = (await client.post("/identify", json={"images": [leafy(2)], "custom_id": 2})).json()

    response = await client.post(
        "/get_identification_result/multiple",
        json={"ids": [two["id"], 424242], "custom_ids": [1], "plant_details": ["rank"]},
    )
    empty = await client.post("/get_identification_result/multiple", json={})

    assert [body["id"] for body in response.json()] == [two["id"], one["id"]]
    assert response.json()[0]["suggestions"][0]["plant_details"]["rank"] in ("species", "genus")
    assert empty.status_code == 400


async def test_reused_custom_id_addresses_the_latest(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    await client.post("/identify", json={"images": [leafy(1)], "custom_id": 5})
    latest = (await client.post("/identify", json={"images": [leafy(2)], "custom_id": 5})).json()

    found = (await client.get("/get_identification_result/custom_id/5")).json()

    assert found["id"] == latest["id"]


# --- Confirm, unconfirm, delete ------------------------------------------------------------------


async def test_confirm_marks_one_suggestion_and_unconfirm_undoes(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    body = (await client.post("/identify", json={"images": [leafy()]})).json()
    first, second = body["suggestions"][0]["id"], body["suggestions"][1]["id"]

    await client.post(f"/confirm_suggestion/{first}")
    switched = (await client.post(f"/confirm_suggestion/{second}")).json()
    undone = (await client.post(f"/unconfirm_suggestion/{second}")).json()
    unknown = await client.post("/confirm_suggestion/1")

    assert [s["confirmed"] for s in switched["suggestions"]][:2] == [False, True]
    assert sum(s["confirmed"] for s in switched["suggestions"]) == 1
    assert not any(s["confirmed"] for s in undone["suggestions"])
    assert (unknown.status_code, unknown.text) == (404, "The requested suggestion does not exist.")


async def test_delete_removes_by_id_and_by_custom_id(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    by_id = (await client.post("/identify", json={"images": [leafy(1)]})).json()
    await client.post("/identify", json={"images": [leafy(2)], "custom_id": 9})

    deleted = await client.delete(f"/delete_identification/{by_id['id']}")
    deleted_custom = await client.delete("/delete_identification/custom_id/9")
    again = await client.delete(f"/delete_identification/{by_id['id']}")

    assert (deleted.status_code, deleted.json()) == (200, True)
    assert deleted_custom.status_code == 200
    assert again.status_code == 404
    assert (await client.get(f"/get_identification_result/{by_id['id']}")).status_code == 404
    assert (await client.get("/get_identification_result/custom_id/9")).status_code == 404


# --- Health --------------------------------------------------------------------------------------


async def test_health_assessment_endpoint_shape(client: httpx.AsyncClient, leafy: Picture) -> None:
    response = await client.post(
        "/health_assessment",
        json={
            "images": [leafy()],
            "modifiers": ["crops_fast", "similar_images"],
            "disease_details": ["cause", "classification", "common_names", "treatment", "url"],
            "language": "de",
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert "suggestions" not in body
    assert body["modifiers"] == ["crops_fast", "disease_similar_images", "health_only"]
    health = body["health_assessment"]
    assert list(health) == ["is_healthy_probability", "is_healthy", "diseases"]
    probabilities = [d["probability"] for d in health["diseases"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert any(d.get("redundant") for d in health["diseases"])
    disease = next(d for d in health["diseases"] if not d.get("redundant"))
    assert set(disease["disease_details"]) >= {"cause", "treatment", "local_name", "language"}
    assert disease["disease_details"]["language"] == "de"
    assert "prevention" in disease["disease_details"]["treatment"]
    assert len(disease["similar_images"]) == 2
    image = await client.get(disease["similar_images"][0]["url"])
    assert image.headers["content-type"] == "image/jpeg"


async def test_health_languages_turn_local_names_into_dicts(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    emulator_of(app).script_next(ScriptedOutcome(diseases=[("powdery mildew", 0.7)]))
    body = (
        await client.post(
            "/health_assessment",
            json={"images": [leafy()], "disease_details": ["cause"], "languages": ["en", "cs"]},
        )
    ).json()

    (disease,) = body["health_assessment"]["diseases"]
    assert disease["name"] == "powdery mildew"
    assert disease["disease_details"]["local_name"] == {"en": "powdery mildew", "cs": "padlí"}
    assert disease["disease_details"]["cause"] == "Erysiphaceae"


@pytest.mark.parametrize(
    ("modifier", "healthy", "has_health", "has_diseases", "credits"),
    [
        ("health_all", 0.9, True, True, 2),
        ("health_auto", 0.9, False, False, 1),
        ("health_auto", 0.1, True, True, 2),
        ("health_probability", 0.1, True, False, 2),
    ],
)
async def test_health_modifiers_on_identify(
    app: Starlette,
    client: httpx.AsyncClient,
    leafy: Picture,
    modifier: str,
    healthy: float,
    has_health: bool,
    has_diseases: bool,
    credits: int,
) -> None:
    emulator_of(app).script_next(ScriptedOutcome(is_healthy_probability=healthy))
    body = (
        await client.post("/identify", json={"images": [leafy()], "modifiers": [modifier]})
    ).json()

    assert body["suggestions"]
    assert ("health_assessment" in body) is has_health
    if has_health:
        assert body["health_assessment"]["is_healthy"] is (healthy >= 0.5)
        assert ("diseases" in body["health_assessment"]) is has_diseases
    assert (await _usage(client))["used_total"] == credits


# --- Scripted outcomes ---------------------------------------------------------------------------


async def test_scripted_outcomes_apply_in_order(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    emulator_of(app).script_next(
        ScriptedOutcome(suggestions=[("Rosa", 0.12), ("Bellis perennis", 0.2)]),
        ScriptedOutcome(is_plant_probability=0.05),
        ScriptedOutcome(fail_cause="image_not_readable"),
    )
    low = (await client.post("/identify", json={"images": [leafy()]})).json()
    not_plant = (await client.post("/identify", json={"images": [leafy()]})).json()
    failed = (await client.post("/identify", json={"images": [leafy()]})).json()
    normal = (await client.post("/identify", json={"images": [leafy()]})).json()

    assert [(s["plant_name"], s["probability"]) for s in low["suggestions"]] == [
        ("Bellis perennis", 0.2),
        ("Rosa", 0.12),
    ]
    assert (not_plant["is_plant"], not_plant["is_plant_probability"]) == (False, 0.05)
    assert failed["fail_cause"] == "image_not_readable"
    assert failed["suggestions"] == []
    assert failed["countable"] is False
    assert normal["fail_cause"] is None
    assert (await _usage(client))["used_total"] == 3


def test_scripting_an_unknown_species_fails_at_once(app: Starlette) -> None:
    with pytest.raises(KeyError):
        emulator_of(app).script_next(ScriptedOutcome(suggestions=[("Plantus imaginarius", 1.0)]))


# --- Credits -------------------------------------------------------------------------------------


async def test_usage_info_counts_completed_identifications(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    app = make_app(delay=None, api_keys={API_KEY: ApiKeyConfig(weekly_limit=200)})
    async with _client(app) as http:
        created = (await http.post("/enqueue_identification", json={"images": [leafy()]})).json()
        before = await _usage(http)
        emulator_of(app).complete(created["id"])
        after = await _usage(http)
        await http.post(
            "/health_assessment", json={"images": [leafy()], "identification_timeout": 0}
        )
        emulator_of(app).complete_all()
        final = await _usage(http)

    assert before["used_week"] == 0
    assert after == {
        "active": True,
        "daily_limit": None,
        "weekly_limit": 200,
        "monthly_limit": None,
        "total_limit": None,
        "is_closed": False,
        "used_day": 1,
        "used_week": 1,
        "used_month": 1,
        "used_total": 1,
        "remaining_day": None,
        "remaining_week": 199,
        "remaining_month": None,
        "remaining_total": None,
    }
    assert final["used_total"] == 2


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (ApiKeyConfig(daily_limit=1), "The specified api key reached its day credit limit (1)."),
        (ApiKeyConfig(weekly_limit=1), "The specified api key reached its week credit limit (1)."),
        (
            ApiKeyConfig(monthly_limit=1),
            "The specified api key reached its month credit limit (1).",
        ),
        (
            ApiKeyConfig(total_limit=1),
            "The specified api key does not have sufficient number of available credits.",
        ),
        (
            ApiKeyConfig(daily_limit=1, weekly_limit=1),
            "The specified api key reached its day credit limit (1).",
        ),
    ],
)
async def test_reached_limits_get_429(
    make_app: Callable[..., Starlette], leafy: Picture, key: ApiKeyConfig, text: str
) -> None:
    app = make_app(api_keys={API_KEY: key})
    async with _client(app) as http:
        first = await http.post("/identify", json={"images": [leafy()]})
        refused = await http.post("/enqueue_identification", json={"images": [leafy()]})
        refused_health = await http.post("/health_assessment", json={"images": [leafy()]})
        still_free = await http.get(f"/get_identification_result/{first.json()['id']}")

    assert first.status_code == 200
    assert (refused.status_code, refused.text) == (429, text)
    assert refused_health.status_code == 429
    assert still_free.status_code == 200


# --- Callbacks -----------------------------------------------------------------------------------


class Receiver:
    """Collect callback POSTs in a tiny ASGI app and signal each arrival."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        self.bodies.append(await request.json())
        self.arrived.set()
        return Response(status_code=204)


async def test_callback_is_posted_when_the_test_completes_it(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    receiver = Receiver()
    app = make_app(delay=None, callback_transport=httpx.ASGITransport(app=receiver.app))
    emulator = emulator_of(app)
    async with _client(app) as http:
        created = (
            await http.post(
                "/enqueue_identification",
                json={"images": [leafy()], "callback_url": "http://receiver.test/hook"},
            )
        ).json()
        assert not receiver.bodies
        emulator.complete(created["id"])
        await asyncio.wait_for(receiver.arrived.wait(), 5)
    await emulator.aclose()

    (body,) = receiver.bodies
    assert body["id"] == created["id"]
    assert body["suggestions"]
    assert emulator.callbacks[0].status == 204
    assert emulator.callbacks[0].url == "http://receiver.test/hook"


async def test_callback_fires_after_the_delay_without_polling(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    receiver = Receiver()
    app = make_app(delay=0.05, callback_transport=httpx.ASGITransport(app=receiver.app))
    async with _client(app) as http:
        await http.post(
            "/enqueue_identification",
            json={"images": [leafy()], "callback_url": "http://receiver.test/hook"},
        )
        await asyncio.wait_for(receiver.arrived.wait(), 5)
    await emulator_of(app).aclose()

    assert receiver.bodies[0]["finished_datetime"] is not None


def test_callback_over_loopback_and_failed_delivery_is_recorded(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    receiver = Receiver()
    app = make_app(delay=0)
    emulator = emulator_of(app)
    with (
        serve_on_loopback(receiver.app) as hook_base,
        serve_on_loopback(app) as base_url,
        httpx.Client(base_url=f"{base_url}/v2", headers={"Api-Key": API_KEY}) as http,
    ):
        for url in (f"{hook_base}/hook", f"http://127.0.0.1:{free_port()}/hook"):
            http.post("/enqueue_identification", json={"images": [leafy()], "callback_url": url})
        deadline = time.monotonic() + 10
        while len(emulator.callbacks) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)

    delivered = {delivery.url: delivery for delivery in emulator.callbacks}
    assert delivered[f"{hook_base}/hook"].status == 204
    assert len(receiver.bodies) == 1
    failed = next(d for d in emulator.callbacks if d.url != f"{hook_base}/hook")
    assert failed.status is None
    assert failed.error is not None


# --- Faults and reset ----------------------------------------------------------------------------


async def test_error_fault_answers_5xx_then_recovers(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    emulator_of(app).inject_fault("identify", "error", count=2, status=502)

    answers = [await client.post("/identify", json={"images": [leafy()]}) for _ in range(3)]
    usage = await client.get("/usage_info")

    assert [a.status_code for a in answers] == [502, 502, 200]
    assert usage.status_code == 200
    assert [e.status for e in emulator_of(app).requests_to("identify")] == [502, 502, 200]


async def test_drop_fault_in_process_is_a_transport_error(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    emulator_of(app).inject_fault("*", "drop")

    with pytest.raises(httpx.TransportError):
        await client.get("/usage_info")
    assert (await client.get("/usage_info")).status_code == 200


async def test_slow_fault_delays_the_answer(app: Starlette, client: httpx.AsyncClient) -> None:
    emulator_of(app).inject_fault("usage_info", "slow", seconds=0.2)

    started = time.monotonic()
    response = await client.get("/usage_info")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_faults_over_loopback_drop_and_time_out(make_app: Callable[..., Starlette]) -> None:
    app = make_app()
    emulator = emulator_of(app)
    emulator.inject_fault("usage_info", "drop")
    emulator.inject_fault("get_identification_result", "slow", seconds=1.0)
    with (
        serve_on_loopback(app) as base_url,
        httpx.Client(base_url=f"{base_url}/v2", headers={"Api-Key": API_KEY}) as http,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/usage_info")
        with pytest.raises(httpx.ReadTimeout):
            http.get("/get_identification_result/1", timeout=0.2)
        recovered = http.get("/usage_info")

    assert recovered.status_code == 200


async def test_reset_forgets_everything(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    created = (await client.post("/identify", json={"images": [leafy()]})).json()
    emulator = emulator_of(app)
    emulator.inject_fault("usage_info", "error")
    emulator.script_next(ScriptedOutcome(is_plant_probability=0.01))

    emulator.reset()

    assert emulator.journal == []
    assert (await client.get(f"/get_identification_result/{created['id']}")).status_code == 404
    assert (await _usage(client))["used_total"] == 0
    after = (await client.post("/identify", json={"images": [leafy()]})).json()
    assert after["is_plant_probability"] > 0.5


# --- Command line --------------------------------------------------------------------------------


@pytest.fixture
def emulator_process() -> Iterator[tuple[str, str]]:
    """Start `python -m sandbox.plantid` on a free port; yield its base URL and banner."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.plantid",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--api-key",
            "cli-key",
            "--delay",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        yield f"http://127.0.0.1:{port}", banner
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_command_line_server_answers(emulator_process: tuple[str, str], leafy: Picture) -> None:
    base_url, banner = emulator_process
    deadline = time.monotonic() + 15
    usage: httpx.Response | None = None
    with httpx.Client(base_url=f"{base_url}/v2", headers={"Api-Key": "cli-key"}) as http:
        while usage is None and time.monotonic() < deadline:
            try:
                usage = http.get("/usage_info")
            except httpx.ConnectError:
                time.sleep(0.05)
        identified = http.post("/identify", json={"images": [leafy()]})

    assert f"{base_url}/v2" in banner
    assert "cli-key" not in banner
    assert usage is not None
    assert usage.status_code == 200
    assert identified.json()["suggestions"]
