"""`plantbot identify` against respx: printed result, polling, and one-line failures."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from PIL import Image

from bot.cli import main
from tests.plantid import samples

API = "https://plantid.test/v2"
KEY = "cli-key-0b7e2d"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("PLANT_ID_API_KEY", "PLANT_ID_API_URL", "PLANT_ID_TIMEOUT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "leaf.png"
    Image.new("RGB", (2400, 1600), (40, 150, 50)).save(path)
    return path


def _identify(*extra: str) -> int:
    return main(["identify", "--api-url", API, "--api-key", KEY, "--poll-interval", "0.01", *extra])


def test_prints_top_suggestions_with_names_and_links(
    api: respx.MockRouter, photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    route = api.post("/identify").respond(200, json=samples.identification())

    code = _identify(str(photo), "--lat", "49.2", "--lon", "16.6", "--lang", "de", "--top", "2")

    out = capsys.readouterr().out
    assert code == 0
    assert "1. Taraxacum officinale (common dandelion, dandelion): 80.9 %" in out
    assert "https://en.wikipedia.org/wiki/Taraxacum_officinale" in out
    assert "2. Taraxacum: 11.0 %" in out
    assert "Crepis" not in out
    request = route.calls.last.request
    assert request.headers["Api-Key"] == KEY
    body = json.loads(request.content)
    assert body["latitude"] == 49.2
    assert body["longitude"] == 16.6
    assert body["plant_language"] == "de"
    assert "common_names" in body["plant_details"]
    assert 1 <= body["identification_timeout"] <= 20
    assert "modifiers" not in body
    sent = Image.open(io.BytesIO(base64.b64decode(body["images"][0])))
    assert sent.format == "JPEG"
    assert max(sent.size) == 1500


def test_pending_result_is_polled_until_ready(
    api: respx.MockRouter, photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.post("/identify").respond(200, json=samples.identification(31, pending=True))
    getter = api.post("/get_identification_result/31").mock(
        side_effect=[
            httpx.Response(200, json=samples.identification(31, pending=True)),
            httpx.Response(200, json=samples.identification(31)),
        ]
    )

    code = _identify(str(photo), "--lang", "cs")

    assert code == 0
    assert getter.call_count == 2
    assert json.loads(getter.calls.last.request.content)["plant_language"] == "cs"
    assert "Plant.id identification 31" in capsys.readouterr().out


def test_gives_up_politely_when_result_never_arrives(
    api: respx.MockRouter, photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.post("/identify").respond(200, json=samples.identification(32, pending=True))
    api.post("/get_identification_result/32").respond(
        200, json=samples.identification(32, pending=True)
    )

    code = _identify(str(photo), "--wait", "0.05")

    err = capsys.readouterr().err
    assert code == 5
    assert "identification 32 is still being processed" in err
    assert err.count("\n") == 1


def test_health_adds_modifier_and_prints_conditions(
    api: respx.MockRouter, photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = samples.identification()
    body["health_assessment"] = samples.health_assessment_result()["health_assessment"]
    route = api.post("/identify").respond(200, json=body)

    code = _identify(str(photo), "--health")

    out = capsys.readouterr().out
    sent = json.loads(route.calls.last.request.content)
    assert code == 0
    assert sent["modifiers"] == ["health_all"]
    assert "treatment" in sent["disease_details"]
    assert "Health: not healthy (healthy 11.2 %)" in out
    assert " - thrips: 21.0 %" in out
    assert "abiotic" not in out


@pytest.mark.parametrize(
    ("status", "text", "code", "message"),
    [
        (401, "The specified api key not found.", 3, "refused the API key"),
        (
            429,
            "The specified api key does not have sufficient number of available credits.",
            4,
            "credits exhausted",
        ),
        (400, "Invalid base64 image data", 3, "refused the request"),
        (503, "Service Unavailable", 5, "unavailable"),
    ],
)
def test_api_failures_exit_with_one_line_reason(
    api: respx.MockRouter,
    photo: Path,
    capsys: pytest.CaptureFixture[str],
    status: int,
    text: str,
    code: int,
    message: str,
) -> None:
    api.post("/identify").respond(status, text=text)

    exit_code = _identify(str(photo))

    captured = capsys.readouterr()
    assert exit_code == code
    assert captured.out == ""
    assert captured.err.startswith("plantbot: ")
    assert message in captured.err
    assert text in captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert KEY not in captured.err


def test_unreadable_photos_fail_before_any_request(
    api: respx.MockRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    route = api.post("/identify").respond(200, json=samples.identification())
    garbage = tmp_path / "notes.jpg"
    garbage.write_bytes(b"this is not a photo")

    missing_code = _identify(str(tmp_path / "missing.jpg"))
    missing_err = capsys.readouterr().err
    garbage_code = _identify(str(garbage))
    garbage_err = capsys.readouterr().err

    assert missing_code == 1
    assert "cannot read" in missing_err
    assert "missing.jpg" in missing_err
    assert garbage_code == 1
    assert f"cannot use {garbage}: the file is not an image" in garbage_err
    assert not route.called


def test_missing_api_key_is_a_configuration_error(
    photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["identify", str(photo)])

    assert code == 2
    assert "PLANT_ID_API_KEY is not set" in capsys.readouterr().err
