"""The documented deploys keep the database on persistent storage, and the health check works."""

from __future__ import annotations

import configparser
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from bot.healthcheck import check, health_url
from bot.settings import Settings
from sandbox.server import free_port, serve_on_loopback

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ImageConfig:
    """What the final stage of the Dockerfile sets for the running container."""

    env: dict[str, str] = field(default_factory=dict)
    workdir: PurePosixPath = field(default_factory=lambda: PurePosixPath("/"))
    volumes: list[PurePosixPath] = field(default_factory=list)
    user: str = ""
    healthcheck: str = ""


def _instructions(dockerfile: str) -> Iterator[tuple[str, str]]:
    """Yield (INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical = ""
    for line in dockerfile.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, arguments = logical.partition(" ")
        yield keyword.upper(), arguments.strip()
        logical = ""


def read_image_config(dockerfile: str) -> ImageConfig:
    """Read ENV, WORKDIR, VOLUME, USER and HEALTHCHECK of the last stage, as Docker applies them."""
    config = ImageConfig()
    for keyword, arguments in _instructions(dockerfile):
        if keyword == "FROM":
            config = ImageConfig()
        elif keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                config.env[name] = value
        elif keyword == "WORKDIR":
            config.workdir = config.workdir / arguments
        elif keyword == "VOLUME":
            paths = re.findall(r'"([^"]+)"', arguments) or arguments.split()
            config.volumes.extend(PurePosixPath(path) for path in paths)
        elif keyword == "USER":
            config.user = arguments
        elif keyword == "HEALTHCHECK":
            config.healthcheck = arguments
    return config


def read_env_file(text: str) -> dict[str, str]:
    """Read an env file the way `docker run --env-file` does: KEY=VALUE, taken literally."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        name, has_value, value = line.partition("=")
        assert not re.search(r"\s", name), f"docker rejects the variable name {name!r}"
        if has_value:
            # No quote processing and no trimming: `KEY="x"` sets the value `"x"`.
            values[name] = value
    return values


def effective_database_path(image: ImageConfig, env_file: dict[str, str]) -> PurePosixPath:
    """Return where the bot puts its database in the container, relative paths resolved."""
    default = Settings.model_fields["database_path"].default
    value = {**image.env, **env_file}.get("DATABASE_PATH", str(default))
    path = PurePosixPath(value)
    return path if path.is_absolute() else image.workdir / path


def _is_under(path: PurePosixPath, folders: list[PurePosixPath]) -> bool:
    return any(path != folder and path.is_relative_to(folder) for folder in folders)


# Docker.


def test_docker_run_with_the_example_env_file_keeps_the_database_on_the_volume() -> None:
    image = read_image_config((ROOT / "Dockerfile").read_text())
    env_file = read_env_file((ROOT / ".env.example").read_text())

    database = effective_database_path(image, env_file)

    assert image.volumes, "the image declares a volume for its data"
    assert _is_under(database, image.volumes), (
        f"`docker run --env-file .env` puts the database at {database}, "
        f"outside the volume(s) {[str(v) for v in image.volumes]}: it is lost with the container"
    )


def test_env_file_reading_follows_docker_rules() -> None:
    text = '# comment\n\n  SPACED=kept \nQUOTED="x"\nEMPTY=\nFROM_HOST\nURL=a=b\n'

    assert read_env_file(text) == {"SPACED": "kept ", "QUOTED": '"x"', "EMPTY": "", "URL": "a=b"}


def test_an_empty_database_path_in_the_env_file_is_caught() -> None:
    image = read_image_config((ROOT / "Dockerfile").read_text())

    database = effective_database_path(image, read_env_file("DATABASE_PATH=\n"))

    assert not _is_under(database, image.volumes)


def test_image_runs_as_a_numeric_non_root_user_with_a_health_check() -> None:
    image = read_image_config((ROOT / "Dockerfile").read_text())

    user, _, group = image.user.partition(":")
    assert user.isdigit()
    assert int(user) != 0
    assert group.isdigit()
    assert "bot.healthcheck" in image.healthcheck


def test_compose_file_uses_the_env_file_and_a_named_volume_on_the_image_volume() -> None:
    text = (ROOT / "deploy" / "compose.yaml").read_text()
    compose = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    image = read_image_config((ROOT / "Dockerfile").read_text())
    mounts = re.findall(r"^\s*-\s*([\w-]+):(/\S+)\s*$", compose, flags=re.MULTILINE)

    assert re.search(r"^\s*env_file:\s*\.\./\.env\s*$", compose, flags=re.MULTILINE)
    assert re.search(r"^\s*build:\s*\.\.\s*$", compose, flags=re.MULTILINE)
    assert [PurePosixPath(target) for _, target in mounts] == image.volumes
    (volume,) = {name for name, _ in mounts}
    assert re.search(rf"^volumes:\s*\n\s+{volume}:\s*$", compose, flags=re.MULTILINE)
    assert "DATABASE_PATH" not in compose, "the image's DATABASE_PATH stays in charge"


# systemd.


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((ROOT / "deploy" / "plantbot.service").read_text())
    return parser


def test_systemd_unit_keeps_the_database_in_its_state_directory() -> None:
    service = _unit()["Service"]
    state = PurePosixPath("/var/lib") / service["StateDirectory"]
    workdir = PurePosixPath(service["WorkingDirectory"])
    name, _, value = service["Environment"].partition("=")
    default = Settings.model_fields["database_path"].default

    assert workdir == state
    assert name == "DATABASE_PATH"
    assert PurePosixPath(value).is_relative_to(state)
    # A settings file that sets the relative default still writes inside the state directory.
    assert (workdir / str(default)).is_relative_to(state)
    assert service["ExecStart"].endswith("plantbot run")
    assert service["RestartPreventExitStatus"] == "2", "a configuration error is not retried"


# The health check.


def _serving(status: int, body: bytes) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["path"] == "/healthz"
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({}, None),
        ({"HEALTH_PORT": "", "WEBHOOK_URL": "", "LISTEN_PORT": "9000"}, None),
        ({"HEALTH_PORT": "9100"}, "http://127.0.0.1:9100/healthz"),
        (
            {"WEBHOOK_URL": "https://bot.example/", "LISTEN_PORT": "9000"},
            "http://127.0.0.1:9000/healthz",
        ),
        (
            {"WEBHOOK_URL": "https://bot.example/", "LISTEN_PORT": ""},
            "http://127.0.0.1:8080/healthz",
        ),
    ],
)
def test_health_check_asks_the_port_the_bot_serves(
    environ: dict[str, str], url: str | None
) -> None:
    assert health_url(environ) == url


def test_health_check_passes_on_200_and_fails_on_503() -> None:
    with serve_on_loopback(_serving(200, b'{"status": "ok"}')) as base:
        healthy = check({"HEALTH_PORT": base.rsplit(":", 1)[1]})
    with serve_on_loopback(_serving(503, b"worker: no heartbeat for 120 s")) as base:
        sick = check({"WEBHOOK_URL": "https://bot.example/", "LISTEN_PORT": base.rsplit(":", 1)[1]})

    assert healthy == (0, 'healthy: {"status": "ok"}')
    assert sick[0] == 1
    assert "answered 503: worker: no heartbeat for 120 s" in sick[1]


def test_health_check_fails_when_nothing_listens_and_passes_when_nothing_is_configured() -> None:
    status, line = check({"HEALTH_PORT": str(free_port())})

    assert status == 1
    assert line.startswith("cannot reach http://127.0.0.1:")
    assert check({}) == (0, "no health endpoint configured (set HEALTH_PORT to check the bot)")
