"""PlantIdClient against respx: request shapes, error mapping, and which failures are retried."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from plantid import (
    DISEASE_DETAILS,
    PLANT_DETAILS,
    BadCredentials,
    InvalidRequest,
    NotFound,
    OutOfCredits,
    PlantIdClient,
    PlantIdRefused,
    PlantIdUnavailable,
    ResultView,
    lacks_details,
    open_plantid,
)
from tests.plantid import samples

BASE = "https://api.plant.id/v2"
KEY = "test-key-5f1d9c0e7a"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False, assert_all_mocked=True) as router:
        yield router


async def _client(**options: Any) -> AsyncIterator[PlantIdClient]:
    async with httpx.AsyncClient() as http:
        settings: dict[str, Any] = {
            "retry_deadline": 30.0,
            "backoff_initial": 0.001,
            "backoff_max": 0.002,
        }
        settings.update(options)
        yield PlantIdClient(http, SecretStr(KEY), BASE + "/", **settings)


@pytest.fixture
async def client() -> AsyncIterator[PlantIdClient]:
    async for made in _client():
        yield made


def _sent(route: respx.Route) -> httpx.Request:
    request: httpx.Request = route.calls.last.request
    assert request.headers["Api-Key"] == KEY
    return request


def _json(request: httpx.Request) -> Any:
    return json.loads(request.content)


# Request shapes, one endpoint at a time.


async def test_identify_posts_json_with_only_given_parameters(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/identify").respond(200, json=samples.identification(custom_id=42))

    result = await client.identify(
        ["aW1hZ2U="],
        latitude=49.2,
        custom_id=42,
        modifiers=["crops_fast", "similar_images"],
        view=ResultView(plant_details=("common_names", "url"), language="de"),
        identification_timeout=20,
    )

    request = _sent(route)
    assert request.url == f"{BASE}/identify"
    assert request.headers["Content-Type"] == "application/json"
    assert _json(request) == {
        "images": ["aW1hZ2U="],
        "latitude": 49.2,
        "custom_id": 42,
        "modifiers": ["crops_fast", "similar_images"],
        "plant_details": ["common_names", "url"],
        "plant_language": "de",
        "identification_timeout": 20,
    }
    assert result.custom_id == 42
    assert result.suggestions is not None


async def test_identify_sends_languages_list_and_disease_details(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/identify").respond(200, json=samples.identification())

    await client.identify(
        ("data:image/jpeg;base64,aW1n",),
        longitude=16.6,
        datetime=1624881923,
        health="auto",
        view=ResultView(languages=("en", "cs"), disease_details=("cause", "treatment")),
    )

    assert _json(_sent(route)) == {
        "images": ["data:image/jpeg;base64,aW1n"],
        "longitude": 16.6,
        "datetime": 1624881923,
        "modifiers": ["health_auto"],
        "plant_languages": ["en", "cs"],
        "disease_details": ["cause", "treatment"],
    }


async def test_enqueue_identification_returns_pending_object(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/enqueue_identification").respond(
        200, json=samples.identification(5, custom_id=9, pending=True)
    )

    result = await client.enqueue_identification(
        ["aW1n"], custom_id=9, callback_url="https://bot.example/plantid"
    )

    assert _json(_sent(route)) == {
        "images": ["aW1n"],
        "custom_id": 9,
        "modifiers": ["similar_images"],
        "callback_url": "https://bot.example/plantid",
    }
    assert result.id == 5
    assert result.is_pending


@pytest.mark.parametrize(
    ("options", "modifiers"),
    [
        ({"similar_images": False}, None),
        ({"health": "auto"}, ["similar_images", "health_auto"]),
        ({"similar_images": False, "health": "all"}, ["health_all"]),
        ({"modifiers": ["crops_medium", "similar_images"]}, ["crops_medium", "similar_images"]),
    ],
)
async def test_enqueue_switches_become_modifiers_once_each(
    api: respx.MockRouter,
    client: PlantIdClient,
    options: dict[str, Any],
    modifiers: list[str] | None,
) -> None:
    route = api.post("/enqueue_identification").respond(
        200, json=samples.identification(5, pending=True)
    )

    await client.enqueue_identification(["aW1n"], **options)

    assert _json(_sent(route)).get("modifiers") == modifiers


async def test_health_assessment_uses_language_not_plant_language(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/health_assessment").respond(200, json=samples.health_assessment_result())

    result = await client.health_assessment(
        ["aW1n"],
        view=ResultView(language="de", disease_details=("cause",), plant_details=PLANT_DETAILS),
        modifiers=["disease_similar_images"],
    )

    assert _json(_sent(route)) == {
        "images": ["aW1n"],
        "language": "de",
        "disease_details": ["cause"],
        "modifiers": ["disease_similar_images"],
    }
    assert result.health_assessment is not None
    assert not result.is_pending


async def test_get_result_by_id_posts_view_parameters(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/get_identification_result/77").respond(200, json=samples.identification(77))

    result = await client.get_identification_result(
        77, view=ResultView(plant_details=("common_names",), languages=("en", "de"))
    )

    assert _json(_sent(route)) == {
        "plant_details": ["common_names"],
        "plant_languages": ["en", "de"],
    }
    assert result.id == 77


async def test_get_result_without_views_sends_empty_object(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/get_identification_result/77").respond(200, json=samples.identification(77))

    await client.get_identification_result(77)

    assert _json(_sent(route)) == {}


async def test_get_result_still_takes_the_old_keywords(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/get_identification_result/77").respond(200, json=samples.identification(77))

    await client.get_identification_result(77, plant_details=["url"], plant_language="de")

    assert _json(_sent(route)) == {"plant_details": ["url"], "plant_language": "de"}
    with pytest.raises(TypeError, match="not both"):
        await client.get_identification_result(77, view=ResultView(), plant_language="de")


async def test_get_result_by_custom_id(api: respx.MockRouter, client: PlantIdClient) -> None:
    route = api.post("/get_identification_result/custom_id/123").respond(
        200, json=samples.identification(8, custom_id=123)
    )

    result = await client.get_identification_result_by_custom_id(
        123, view=ResultView(language="cs", disease_details=("treatment",))
    )

    assert _json(_sent(route)) == {"plant_language": "cs", "disease_details": ["treatment"]}
    assert result.custom_id == 123


async def test_get_multiple_results(api: respx.MockRouter, client: PlantIdClient) -> None:
    route = api.post("/get_identification_result/multiple").respond(
        200, json=[samples.identification(1), samples.identification(2, custom_id=20)]
    )

    results = await client.get_identification_results(
        [1], custom_ids=[20], view=ResultView(plant_details=("url",), language="de")
    )

    assert _json(_sent(route)) == {
        "ids": [1],
        "custom_ids": [20],
        "plant_details": ["url"],
        "plant_language": "de",
    }
    assert [result.id for result in results] == [1, 2]


async def test_get_multiple_needs_some_id(client: PlantIdClient) -> None:
    with pytest.raises(ValueError, match="ids"):
        await client.get_identification_results()


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", "/confirm_suggestion/148452111", "confirm_suggestion"),
        ("POST", "/unconfirm_suggestion/148452111", "unconfirm_suggestion"),
        ("DELETE", "/delete_identification/148452111", "delete_identification"),
        (
            "DELETE",
            "/delete_identification/custom_id/148452111",
            "delete_identification_by_custom_id",
        ),
    ],
)
async def test_bodiless_calls_use_documented_method_and_path(
    api: respx.MockRouter, client: PlantIdClient, method: str, path: str, call: str
) -> None:
    route = api.request(method, path).respond(200, json=True)

    assert await getattr(client, call)(148452111) is None

    request = _sent(route)
    assert request.method == method
    assert request.content == b""


async def test_usage_info(api: respx.MockRouter, client: PlantIdClient) -> None:
    route = api.get("/usage_info").respond(200, json=samples.USAGE_INFO)

    usage = await client.usage_info()

    _sent(route)
    assert usage.remaining_week == 195
    assert usage.weekly_limit == 200


# Error mapping.


@pytest.mark.parametrize(
    ("status", "text", "error_class"),
    [
        (400, "Invalid base64 image data", InvalidRequest),
        (401, "The specified api key not found.", BadCredentials),
        (404, "The requested identification does not exist.", NotFound),
        (
            429,
            "The specified api key reached its week credit limit (200).",
            OutOfCredits,
        ),
        (405, "Method Not Allowed", PlantIdRefused),
        (418, "I'm a teapot", PlantIdRefused),
        (500, "Internal Server Error", PlantIdUnavailable),
        (503, "Service Unavailable", PlantIdUnavailable),
    ],
)
async def test_status_codes_map_to_error_classes_with_the_api_text(
    api: respx.MockRouter,
    status: int,
    text: str,
    error_class: type[Exception],
) -> None:
    api.post("/identify").respond(status, text=text)

    async for client in _client(retry_deadline=0):
        with pytest.raises(error_class) as caught:
            await client.identify(["aW1n"])

    assert type(caught.value) is error_class
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert caught.value.detail == text  # type: ignore[attr-defined]
    assert text in str(caught.value)


async def test_long_error_text_is_truncated(api: respx.MockRouter, client: PlantIdClient) -> None:
    api.post("/identify").respond(400, text="Invalid JSON value error: " + "x" * 5000)

    with pytest.raises(InvalidRequest) as caught:
        await client.identify(["aW1n"])

    assert caught.value.detail.startswith("Invalid JSON value error: xxx")
    assert len(caught.value.detail) <= 300


async def test_key_never_appears_in_errors_repr_or_logs(
    api: respx.MockRouter, client: PlantIdClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.post("/identify").respond(401, text=f"The specified api key not found: {KEY}")
    attempts: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ConnectError(f"boom {KEY}")
        return httpx.Response(500)

    api.get("/usage_info").mock(side_effect=flaky)

    with pytest.raises(BadCredentials) as refused:
        await client.identify(["aW1n"])
    async for quick in _client(retry_deadline=0.2):
        with pytest.raises(PlantIdUnavailable) as unavailable:
            await quick.usage_info()

    for error in (refused.value, unavailable.value):
        assert KEY not in str(error)
        assert KEY not in repr(error)
    assert KEY not in repr(client)
    assert BASE in repr(client)
    assert "retry" in caplog.text
    assert KEY not in caplog.text


async def test_malformed_success_body_is_unavailable_not_a_crash(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    api.post("/identify").respond(200, text="<html>gateway</html>")
    api.post("/get_identification_result/1").respond(200, json={"suggestions": "nope"})

    with pytest.raises(PlantIdUnavailable, match="not JSON"):
        await client.identify(["aW1n"])
    with pytest.raises(PlantIdUnavailable, match="unexpected response"):
        await client.get_identification_result(1)


# Retries.


async def test_free_call_retries_server_errors_and_timeouts(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/get_identification_result/5").mock(
        side_effect=[
            httpx.Response(503, text="Service Unavailable"),
            httpx.ReadTimeout("read timed out"),
            httpx.RemoteProtocolError("server disconnected"),
            httpx.Response(200, json=samples.identification(5)),
        ]
    )

    result = await client.get_identification_result(5)

    assert result.id == 5
    assert route.call_count == 4


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(400, InvalidRequest), (401, BadCredentials), (404, NotFound), (429, OutOfCredits)],
)
async def test_free_call_does_not_retry_refusals(
    api: respx.MockRouter, client: PlantIdClient, status: int, error_class: type[Exception]
) -> None:
    route = api.get("/usage_info").respond(status, text="no")

    with pytest.raises(error_class):
        await client.usage_info()

    assert route.call_count == 1


async def test_paid_call_is_not_retried_after_read_timeout(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/identify").mock(
        side_effect=[httpx.ReadTimeout("read timed out"), httpx.Response(200, json={})]
    )

    with pytest.raises(PlantIdUnavailable, match="ReadTimeout"):
        await client.identify(["aW1n"], custom_id=3)

    assert route.call_count == 1


@pytest.mark.parametrize("path", ["/identify", "/enqueue_identification", "/health_assessment"])
async def test_paid_call_is_not_retried_after_server_error(
    api: respx.MockRouter, client: PlantIdClient, path: str
) -> None:
    route = api.post(path).respond(502, text="Bad Gateway")
    call = getattr(client, path.strip("/"))

    with pytest.raises(PlantIdUnavailable):
        await call(["aW1n"])

    assert route.call_count == 1


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out")]
)
async def test_paid_call_is_retried_when_request_never_left(
    api: respx.MockRouter, client: PlantIdClient, failure: Exception
) -> None:
    route = api.post("/enqueue_identification").mock(
        side_effect=[failure, httpx.Response(200, json=samples.identification(6, pending=True))]
    )

    result = await client.enqueue_identification(["aW1n"])

    assert result.id == 6
    assert route.call_count == 2


async def test_zero_deadline_means_a_single_attempt(api: respx.MockRouter) -> None:
    route = api.get("/usage_info").respond(503, text="Service Unavailable")

    async for client in _client(retry_deadline=0):
        with pytest.raises(PlantIdUnavailable):
            await client.usage_info()

    assert route.call_count == 1


async def test_retries_stop_at_the_deadline(api: respx.MockRouter) -> None:
    route = api.get("/usage_info").respond(503, text="Service Unavailable")

    # The service never recovers: the call must give up on its own once the deadline is near.
    async for client in _client(retry_deadline=0.2, backoff_initial=0.01, backoff_max=0.05):
        with pytest.raises(PlantIdUnavailable, match="Service Unavailable"):
            await client.usage_info()

    assert route.call_count >= 1


# Overall deadlines and turning retries off.


class _NeverEnding(httpx.AsyncByteStream):
    """A body that sends its first bytes and then nothing, without ever closing."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"id": 1, '
        await asyncio.Event().wait()


async def test_a_trickled_body_is_cut_off_by_the_request_deadline(api: respx.MockRouter) -> None:
    route = api.post("/get_identification_result/1").mock(
        side_effect=[
            httpx.Response(200, stream=_NeverEnding()),
            httpx.Response(200, json=samples.identification(1)),
        ]
    )

    async for client in _client(request_timeout=0.2):
        result = await client.get_identification_result(1)
    async for client in _client(request_timeout=0.2, retry_deadline=0):
        route.side_effect = [httpx.Response(200, stream=_NeverEnding())]
        with pytest.raises(PlantIdUnavailable, match=r"no complete answer within 0\.2 s"):
            await client.get_identification_result(1)

    assert result.id == 1, "the free call was retried after the deadline cut the first answer"


async def test_a_paid_call_cut_off_by_the_deadline_is_not_sent_again(
    api: respx.MockRouter,
) -> None:
    route = api.post("/enqueue_identification").mock(
        side_effect=[
            httpx.Response(200, stream=_NeverEnding()),
            httpx.Response(200, json=samples.identification(2, pending=True)),
        ]
    )

    async for client in _client(request_timeout=0.2):
        with pytest.raises(PlantIdUnavailable, match="no complete answer"):
            await client.enqueue_identification(["aW1n"], custom_id=4)

    assert route.call_count == 1


async def test_without_retries_gives_up_after_one_attempt(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    route = api.post("/get_identification_result/9").mock(
        side_effect=[
            httpx.Response(503, text="Service Unavailable"),
            httpx.Response(200, json=samples.identification(9)),
        ]
    )

    with pytest.raises(PlantIdUnavailable, match="Service Unavailable"):
        await client.without_retries().get_identification_result(9)
    retried = await client.get_identification_result(9)

    assert route.call_count == 2
    assert retried.id == 9


# The view and the factory.


def test_full_view_asks_for_every_detail_the_bot_shows() -> None:
    plain = ResultView.full("de")
    with_health = ResultView.full("ru", health=True)

    assert plain.params() == {"plant_details": list(PLANT_DETAILS), "plant_language": "de"}
    assert with_health.params()["disease_details"] == list(DISEASE_DETAILS)
    assert with_health.params(health_endpoint=True) == {
        "language": "ru",
        "disease_details": list(DISEASE_DETAILS),
    }
    assert {"common_names", "url", "wiki_description", "taxonomy", "watering"} <= set(PLANT_DETAILS)


def test_view_rejects_what_plant_id_would_refuse() -> None:
    with pytest.raises(ValueError, match="not both"):
        ResultView(language="de", languages=("en",))
    with pytest.raises(ValueError, match="at most 3"):
        ResultView(languages=("en", "de", "cs", "fr"))
    listed = ResultView(plant_details=["url"])  # type: ignore[arg-type]
    assert hash(listed) == hash(ResultView(plant_details=("url",)))


@dataclass(frozen=True)
class _Config:
    plant_id_api_key: SecretStr
    plant_id_base_url: str
    plant_id_timeout: float
    plant_id_retry_deadline: float


async def test_open_plantid_takes_url_key_and_deadlines_from_settings() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/usage_info"):
            return httpx.Response(503, text="Service Unavailable")
        return httpx.Response(200, stream=_NeverEnding())

    config = _Config(SecretStr(KEY), "https://plantid.test/v2", 0.2, 0.0)
    async with open_plantid(config, httpx.MockTransport(answer)) as client:
        with pytest.raises(PlantIdUnavailable, match=r"within 0\.2 s"):
            await client.get_identification_result(3)
        with pytest.raises(PlantIdUnavailable, match="Service Unavailable"):
            await client.usage_info()

    assert [str(request.url) for request in seen] == [
        "https://plantid.test/v2/get_identification_result/3",
        "https://plantid.test/v2/usage_info",
    ], "a zero retry deadline means one attempt per call"
    assert all(request.headers["Api-Key"] == KEY for request in seen)


async def test_a_result_polled_without_its_details_is_recognised(
    api: respx.MockRouter, client: PlantIdClient
) -> None:
    bare = samples.identification(1)
    for suggestion in bare["suggestions"]:
        details = suggestion["plant_details"] or {}
        suggestion["plant_details"] = {
            key: value
            for key, value in details.items()
            if key in ("scientific_name", "structured_name")
        }
    api.post("/get_identification_result/multiple").respond(
        200,
        json=[bare, samples.identification(2), samples.identification(3, pending=True)],
    )
    view = ResultView.full("en")

    without, detailed, pending = await client.get_identification_results([1, 2, 3], view=view)

    assert lacks_details(without, view)
    assert not lacks_details(detailed, view)
    assert not lacks_details(pending, view), "a pending result has no details to miss yet"
    assert not lacks_details(without, ResultView()), "nothing was asked for"
