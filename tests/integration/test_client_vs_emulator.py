"""The Plant.id client over real HTTP on 127.0.0.1 against the emulator, and `plantbot identify`."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr

from bot.cli import main
from bot.settings import PlantIdSettings
from plantid import (
    PLANT_DETAILS,
    BadCredentials,
    Identification,
    InvalidRequest,
    NotFound,
    OutOfCredits,
    PlantIdClient,
    PlantIdUnavailable,
    ResultView,
    lacks_details,
    open_plantid,
    prepare_image,
)
from sandbox.plantid import ApiKeyConfig, Emulator, EmulatorConfig, create_app, emulator_of
from sandbox.plantid.config import ScriptedOutcome
from sandbox.server import free_port, serve_on_loopback

KEY = "integration-key-3c9a"
INACTIVE_KEY = "integration-key-off"
NAMES = ResultView(plant_details=("common_names",))


@dataclass
class Service:
    """An emulator served on loopback: its /v2 URL and its test-facing state."""

    url: str
    emulator: Emulator


def _jpeg_base64(colour: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> str:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    # A little texture so that different colours give different features.
    image.paste((colour[0] // 2, colour[1] // 2, colour[2] // 2), (0, 0, size[0] // 3, size[1]))
    image.save(buffer, format="PNG")
    return prepare_image(buffer.getvalue()).base64


LEAF = _jpeg_base64((40, 150, 50))
MOSS = _jpeg_base64((90, 140, 60))
RED_WALL = _jpeg_base64((220, 20, 20))


@pytest.fixture
def start() -> Iterator[Callable[..., Service]]:
    with ExitStack() as stack:

        def _start(delay: float | None = 0.0, port: int = 0, **key_options: Any) -> Service:
            config = EmulatorConfig(
                api_keys={
                    KEY: ApiKeyConfig(**key_options),
                    INACTIVE_KEY: ApiKeyConfig(active=False),
                },
                delay=delay,
            )
            app = create_app(config)
            base = stack.enter_context(serve_on_loopback(app, port=port))
            return Service(url=f"{base}/v2", emulator=emulator_of(app))

        yield _start


@pytest.fixture(scope="module")
def shared_service() -> Iterator[Service]:
    app = create_app(
        EmulatorConfig(
            api_keys={KEY: ApiKeyConfig(), INACTIVE_KEY: ApiKeyConfig(active=False)}, delay=0.0
        )
    )
    with serve_on_loopback(app) as base:
        yield Service(url=f"{base}/v2", emulator=emulator_of(app))


@pytest.fixture
def service(shared_service: Service) -> Service:
    shared_service.emulator.reset()
    return shared_service


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as client:
        yield client


def _client(http: httpx.AsyncClient, service: Service, key: str = KEY) -> PlantIdClient:
    return PlantIdClient(
        http,
        SecretStr(key),
        service.url,
        retry_deadline=5.0,
        backoff_initial=0.01,
        backoff_max=0.05,
    )


@pytest.fixture
def client(http: httpx.AsyncClient, service: Service) -> PlantIdClient:
    return _client(http, service)


async def _until_finished(
    client: PlantIdClient, identification_id: int, view: ResultView
) -> Identification:
    deadline = time.monotonic() + 10
    while True:
        result = await client.get_identification_result(identification_id, view=view)
        if not result.is_pending or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.02)


# Identification, synchronous and asynchronous.


async def test_identify_returns_ranked_suggestions_with_details(client: PlantIdClient) -> None:
    result = await client.identify(
        [LEAF], latitude=49.2, longitude=16.6, view=ResultView.full("en")
    )

    assert not result.is_pending
    assert result.is_plant is True
    assert result.meta_data.latitude == 49.2
    assert result.suggestions
    probabilities = [suggestion.probability for suggestion in result.suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    top = result.suggestions[0]
    assert top.plant_details is not None
    assert top.plant_details.scientific_name == top.plant_name
    assert top.plant_details.structured_name is not None
    assert top.plant_details.structured_name.genus
    assert top.plant_details.taxonomy is not None
    assert top.plant_details.taxonomy.kingdom == "Plantae"
    assert top.plant_details.url_for("en")
    description = top.plant_details.description_for("en")
    assert description is not None
    assert description.license_name


async def test_same_photo_gives_same_answer(client: PlantIdClient) -> None:
    first = await client.identify([LEAF])
    second = await client.identify([LEAF])

    assert first.id != second.id
    assert first.suggestions is not None
    assert second.suggestions is not None
    assert [s.plant_name for s in first.suggestions] == [s.plant_name for s in second.suggestions]


async def test_not_a_plant(client: PlantIdClient) -> None:
    result = await client.identify([RED_WALL])

    assert result.is_plant is False
    assert result.is_plant_probability is not None
    assert result.is_plant_probability < 0.2


async def test_identify_timing_out_returns_pending_then_result(
    start: Callable[..., Service], http: httpx.AsyncClient
) -> None:
    service = start(delay=None)
    client = _client(http, service)

    pending = await client.identify([LEAF], identification_timeout=1)
    assert pending.is_pending
    assert pending.finished_datetime is None

    service.emulator.complete(pending.id)
    finished = await client.get_identification_result(pending.id, view=NAMES)

    assert not finished.is_pending
    assert finished.suggestions


async def test_enqueue_then_poll_until_finished(
    start: Callable[..., Service], http: httpx.AsyncClient
) -> None:
    service = start(delay=0.2)
    client = _client(http, service)

    queued = await client.enqueue_identification([LEAF, MOSS], custom_id=501)
    assert queued.is_pending
    assert queued.custom_id == 501

    result = await _until_finished(client, queued.id, NAMES)

    assert not result.is_pending
    assert result.suggestions
    assert len(result.images) == 2
    assert len(service.emulator.requests_to("get_identification_result")) >= 1


async def test_failed_identification_is_reported(service: Service, client: PlantIdClient) -> None:
    service.emulator.script_next(ScriptedOutcome(fail_cause="unrecognizable image"))

    result = await client.identify([LEAF])

    assert result.is_failed
    assert not result.is_pending
    assert result.fail_cause == "unrecognizable image"


async def test_scripted_low_confidence_outcome(service: Service, client: PlantIdClient) -> None:
    service.emulator.script_next(
        ScriptedOutcome(suggestions=[("Taraxacum officinale", 0.21), ("Bellis perennis", 0.2)])
    )

    result = await client.identify([LEAF], view=NAMES)

    assert result.suggestions is not None
    assert [(s.plant_name, s.probability) for s in result.suggestions[:2]] == [
        ("Taraxacum officinale", 0.21),
        ("Bellis perennis", 0.2),
    ]


# Recovery, lookups and bookkeeping.


async def test_custom_id_recovers_a_paid_call_whose_answer_was_lost(
    service: Service, http: httpx.AsyncClient
) -> None:
    impatient = httpx.AsyncClient(timeout=httpx.Timeout(0.2, connect=2.0))
    async with impatient:
        client = _client(impatient, service)
        service.emulator.inject_fault("identify", "slow", seconds=0.8)

        with pytest.raises(PlantIdUnavailable, match="ReadTimeout"):
            await client.identify([LEAF], custom_id=7001)

    assert len(service.emulator.requests_to("identify")) == 1
    # The server is still working on the request it received; look it up instead of resending.
    client = _client(http, service)
    deadline = time.monotonic() + 10
    while True:
        try:
            recovered = await client.get_identification_result_by_custom_id(7001)
            break
        except NotFound:
            assert time.monotonic() < deadline, "the lost identification never appeared"
            await asyncio.sleep(0.05)
    assert recovered.custom_id == 7001
    assert len(service.emulator.identifications) == 1


async def test_multiple_results_by_ids_and_custom_ids(client: PlantIdClient) -> None:
    first = await client.enqueue_identification([LEAF])
    second = await client.enqueue_identification([MOSS], custom_id=88)

    results = await client.get_identification_results(
        [first.id], custom_ids=[88], view=ResultView.full("de")
    )

    assert [result.id for result in results] == [first.id, second.id]
    assert all(result.suggestions for result in results)
    # The emulator honours views on /multiple, so a poll can bring the details along.
    assert not any(lacks_details(result, ResultView.full("de")) for result in results)
    top = results[0].suggestions[0].plant_details if results[0].suggestions else None
    assert top is not None
    assert top.taxonomy is not None
    assert (top.url_for("de") or "").startswith("https://de.")


async def test_plant_language_localizes_names(client: PlantIdClient) -> None:
    english = await client.identify([LEAF], view=ResultView(plant_details=("common_names", "url")))
    german = await client.get_identification_result(
        english.id, view=ResultView(plant_details=("common_names", "url"), language="de")
    )

    assert english.suggestions is not None
    assert german.suggestions is not None
    en_details = english.suggestions[0].plant_details
    de_details = german.suggestions[0].plant_details
    assert en_details is not None
    assert de_details is not None
    assert de_details.common_names_for("de") != en_details.common_names_for("en")
    assert (de_details.url_for("de") or "").startswith("https://de.")


async def test_plant_languages_gives_language_keyed_details(client: PlantIdClient) -> None:
    result = await client.identify(
        [LEAF],
        view=ResultView(
            plant_details=("common_names", "url", "wiki_description"), languages=("en", "de", "fr")
        ),
    )

    assert result.suggestions is not None
    details = result.suggestions[0].plant_details
    assert details is not None
    assert isinstance(details.common_names, dict)
    assert set(details.common_names) == {"en", "de", "fr"}
    assert details.common_names_for("fr") == details.common_names["fr"]
    assert details.common_names_for("xx") == details.common_names["en"]
    assert (details.url_for("fr") or "").startswith("https://fr.")
    assert details.description_for("de") is not None


async def test_confirm_and_unconfirm_a_suggestion(client: PlantIdClient) -> None:
    result = await client.identify([LEAF])
    assert result.suggestions is not None
    chosen = result.suggestions[1]

    await client.confirm_suggestion(chosen.id)
    confirmed = await client.get_identification_result(result.id)
    await client.unconfirm_suggestion(chosen.id)
    unconfirmed = await client.get_identification_result(result.id)

    assert confirmed.suggestions is not None
    assert [s.confirmed for s in confirmed.suggestions] == [
        s.id == chosen.id for s in confirmed.suggestions
    ]
    assert unconfirmed.suggestions is not None
    assert not any(s.confirmed for s in unconfirmed.suggestions)
    with pytest.raises(NotFound):
        await client.confirm_suggestion(1)


async def test_delete_by_id_and_by_custom_id(client: PlantIdClient) -> None:
    by_id = await client.identify([LEAF])
    by_custom = await client.identify([MOSS], custom_id=31337)

    await client.delete_identification(by_id.id)
    await client.delete_identification_by_custom_id(31337)

    with pytest.raises(NotFound, match="does not exist"):
        await client.get_identification_result(by_id.id)
    with pytest.raises(NotFound):
        await client.get_identification_result(by_custom.id)
    with pytest.raises(NotFound):
        await client.delete_identification(by_id.id)


async def test_health_assessment_and_health_all(client: PlantIdClient) -> None:
    health = await client.health_assessment([LEAF], view=ResultView.full("de", health=True))
    combined = await client.identify([LEAF], health="all", view=ResultView.full("de", health=True))

    assert health.is_health_only
    assert not health.is_pending
    assert health.suggestions is None
    assert health.health_assessment is not None
    assert health.health_assessment.diseases
    disease = health.health_assessment.diseases[0]
    assert disease.disease_details is not None
    assert disease.disease_details.local_name_for("de")
    assert combined.suggestions
    assert combined.health_assessment is not None
    assert combined.health_assessment.is_healthy_probability is not None


async def test_health_languages_give_language_keyed_names(client: PlantIdClient) -> None:
    health = await client.health_assessment(
        [LEAF], view=ResultView(languages=("en", "de"), disease_details=("common_names",))
    )

    assert health.health_assessment is not None
    assert health.health_assessment.diseases
    details = health.health_assessment.diseases[0].disease_details
    assert details is not None
    assert isinstance(details.local_name, dict)
    assert details.local_name_for("de") == details.local_name["de"]


async def test_credits_are_counted_and_limits_refuse_with_429(
    start: Callable[..., Service], http: httpx.AsyncClient
) -> None:
    service = start(weekly_limit=2)
    client = _client(http, service)

    await client.identify([LEAF])
    after_one = await client.usage_info()
    await client.identify([MOSS])
    with pytest.raises(OutOfCredits, match=r"reached its week credit limit \(2\)"):
        await client.identify([LEAF])
    usage = await client.usage_info()

    assert after_one.used_week == 1
    assert after_one.remaining_week == 1
    assert usage.used_week == 2
    assert usage.remaining_week == 0
    assert usage.weekly_limit == 2
    assert usage.daily_limit is None
    assert usage.remaining_day is None


async def test_total_limit_uses_the_insufficient_credits_text(
    start: Callable[..., Service], http: httpx.AsyncClient
) -> None:
    client = _client(http, start(total_limit=1))

    await client.identify([LEAF])
    with pytest.raises(OutOfCredits, match="sufficient number of available credits"):
        await client.enqueue_identification([LEAF])


# Documented errors.


async def test_credentials_errors(service: Service, http: httpx.AsyncClient) -> None:
    with pytest.raises(BadCredentials, match="api key not found"):
        await _client(http, service, key="nobody").identify([LEAF])
    with pytest.raises(BadCredentials, match="is not active"):
        await _client(http, service, key=INACTIVE_KEY).usage_info()


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"images": ["!!not base64!!"]}, "Invalid base64 image data"),
        ({"images": [], "modifiers": ["crops_fast"]}, "Missing image data"),
        ({"modifiers": ["sharpen"]}, "Invalid modifier sharpen"),
        ({"custom_id": 2**70}, "Custom id is too large"),
        ({"datetime": 10**15}, "Datetime is too large"),
    ],
)
async def test_invalid_requests_carry_the_api_text(
    client: PlantIdClient, options: dict[str, Any], text: str
) -> None:
    images = options.pop("images", [LEAF])

    with pytest.raises(InvalidRequest) as caught:
        await client.identify(images, **options)

    assert caught.value.status == 400
    assert text in caught.value.detail


async def test_unknown_identification_is_not_found(client: PlantIdClient) -> None:
    with pytest.raises(NotFound):
        await client.get_identification_result(123)
    with pytest.raises(NotFound):
        await client.get_identification_result_by_custom_id(404404)


# Retries over a real socket.


async def test_free_calls_ride_out_server_errors_and_dropped_connections(
    service: Service, client: PlantIdClient
) -> None:
    created = await client.identify([LEAF])
    service.emulator.inject_fault("get_identification_result", "error", count=2, status=503)
    service.emulator.inject_fault("usage_info", "drop")

    result = await client.get_identification_result(created.id)
    usage = await client.usage_info()

    assert result.id == created.id
    assert len(service.emulator.requests_to("get_identification_result")) == 3
    assert usage.used_total == 1


@pytest.mark.parametrize("kind", ["error", "drop"])
async def test_paid_calls_are_sent_once_when_the_answer_fails(
    service: Service, client: PlantIdClient, kind: str
) -> None:
    service.emulator.inject_fault("enqueue_identification", kind)  # type: ignore[arg-type]

    with pytest.raises(PlantIdUnavailable):
        await client.enqueue_identification([LEAF], custom_id=55)

    assert len(service.emulator.requests_to("enqueue_identification")) == 1


async def test_paid_call_is_retried_when_the_connection_was_refused(
    start: Callable[..., Service], http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="plantid")
    port = free_port()
    client = PlantIdClient(
        http,
        SecretStr(KEY),
        f"http://127.0.0.1:{port}/v2",
        retry_deadline=10.0,
        backoff_initial=0.01,
        backoff_max=0.05,
    )
    call = asyncio.create_task(client.identify([LEAF], custom_id=909))

    deadline = time.monotonic() + 5
    while "ConnectError" not in caplog.text and not call.done():
        assert time.monotonic() < deadline, "the first attempt never failed"
        await asyncio.sleep(0.01)
    service = await asyncio.to_thread(start, port=port)
    result = await asyncio.wait_for(call, timeout=10)

    assert result.custom_id == 909
    assert len(service.emulator.requests_to("identify")) == 1


# Callbacks.


async def test_callback_is_delivered_when_the_identification_completes(
    start: Callable[..., Service], http: httpx.AsyncClient
) -> None:
    received: list[bytes] = []
    # The receiver runs on the loopback server's own thread and event loop.
    arrived = threading.Event()

    async def receiver(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        received.append(body)
        arrived.set()
        await send(
            {"type": "http.response.start", "status": 204, "headers": [(b"connection", b"close")]}
        )
        await send({"type": "http.response.body", "body": b""})

    service = start(delay=None)
    client = _client(http, service)
    with serve_on_loopback(receiver) as receiver_url:
        queued = await client.enqueue_identification(
            [LEAF], callback_url=f"{receiver_url}/plantid-callback"
        )
        service.emulator.complete(queued.id)
        await asyncio.to_thread(arrived.wait, 5)

    assert len(received) == 1
    delivered = Identification.model_validate_json(received[0])
    assert delivered.id == queued.id
    assert not delivered.is_pending
    assert service.emulator.callbacks[0].status == 204


# `plantbot identify` end to end.


@pytest.fixture
def photo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("PLANT_ID_API_KEY", "PLANT_ID_API_URL", "PLANT_ID_TIMEOUT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "fern.jpg"
    image = Image.new("RGB", (1200, 900), (40, 150, 50))
    image.paste((20, 75, 25), (0, 0, 400, 900))
    image.save(path, format="JPEG")
    return path


def test_identify_command_end_to_end_polls_a_pending_result(
    start: Callable[..., Service],
    photo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = start(delay=None)
    # LOG_LEVEL is for the bot; the command stays quiet unless -v.
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    stop = threading.Event()

    def finish_once_polled() -> None:
        while not stop.wait(0.01):
            if service.emulator.requests_to("get_identification_result"):
                service.emulator.complete_all()
                return

    helper = threading.Thread(target=finish_once_polled)
    helper.start()
    try:
        code = main(
            [
                "identify",
                str(photo),
                "--api-url",
                service.url,
                "--api-key",
                KEY,
                "--lang",
                "de",
                "--poll-interval",
                "0.05",
                # 6 s per request makes the command ask the server to wait only 1 s.
                "--timeout",
                "6",
                "--health",
            ]
        )
    finally:
        stop.set()
        helper.join()

    out, err = capsys.readouterr()
    (stored,) = service.emulator.identifications.values()
    (submitted,) = service.emulator.requests_to("identify")
    assert code == 0
    assert submitted.json["identification_timeout"] == 1
    assert submitted.json["modifiers"] == ["health_all"]
    assert service.emulator.requests_to("get_identification_result")
    assert f"Plant.id identification {stored.id}" in out
    assert "1. " in out
    assert "Health:" in out
    assert err == ""
    details = service.emulator.requests_to("get_identification_result")[-1].json
    assert details is not None
    assert details["plant_details"] == list(PLANT_DETAILS)
    assert details["plant_language"] == "de"


def test_identify_command_with_a_bad_key(
    service: Service, photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["identify", str(photo), "--api-url", service.url, "--api-key", "wrong"])

    err = capsys.readouterr().err
    assert code == 3
    assert err == "plantbot: Plant.id refused the API key: The specified api key not found.\n"


async def test_open_plantid_with_the_bot_settings_reaches_the_emulator(
    service: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = PlantIdSettings(
        plant_id_api_key=SecretStr(KEY),
        plant_id_api_url=service.url,
        plant_id_timeout=5,
        plant_id_retry_deadline=1,
    )

    async with open_plantid(settings) as client:
        queued = await client.enqueue_identification([LEAF], custom_id=4242)
        service.emulator.complete(queued.id)
        (polled,) = await client.get_identification_results([queued.id], view=ResultView.full("de"))

    (sent,) = service.emulator.requests_to("enqueue_identification")
    assert sent.json is not None
    assert sent.json["modifiers"] == ["similar_images"]
    assert polled.suggestions
    assert polled.suggestions[0].similar_images
    assert polled.suggestions[0].plant_details is not None
    assert polled.suggestions[0].plant_details.common_names_for("de")


def test_identify_command_gives_up_quietly_when_plant_id_is_unreachable(
    photo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    closed = f"http://127.0.0.1:{free_port()}/v2"

    def identify(*extra: str) -> int:
        return main(["identify", str(photo), "--api-url", closed, "--api-key", KEY, *extra])

    quiet_code = identify("--timeout", "1")
    quiet = capsys.readouterr()
    verbose_code = identify("--timeout", "1", "-v")
    verbose = capsys.readouterr()

    assert quiet_code == 5
    assert quiet.out == ""
    assert quiet.err.startswith("plantbot: Plant.id is unavailable: ")
    assert quiet.err.count("\n") == 1, "one line, no INFO chatter without -v"
    assert "Connect" in quiet.err or "no answer within 1 s" in quiet.err
    assert verbose_code == 5
    assert "INFO plantid: Plant.id POST /identify failed" in verbose.err
    assert "retry 1" in verbose.err
    assert KEY not in quiet.err + verbose.err


def test_identify_command_gives_up_after_ten_seconds_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["identify", "--help"])

    help_text = " ".join(capsys.readouterr().out.split())
    assert "--timeout TIMEOUT" in help_text
    assert "unreachable Plant.id fails after this (default: 10)" in help_text
