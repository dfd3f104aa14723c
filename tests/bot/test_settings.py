"""Configuration errors name every bad setting in plain words, one line each, exit code 2."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.settings import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "plantbot: configuration error: "


def clean_environment() -> dict[str, str]:
    names = {name.upper() for name in Settings.model_fields} | {"UNAVAILABLE_NOTICE_AFTER"}
    return {key: value for key, value in os.environ.items() if key.upper() not in names}


def run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**clean_environment(), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load(**values: Any) -> Settings:
    return load_settings(
        Settings, _env_file=None, **{"telegram_bot_token": "1:a", "plant_id_api_key": "k", **values}
    )


def problems(**values: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(**values)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


@pytest.fixture
def no_settings_in_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in os.environ.keys() - clean_environment().keys():
        monkeypatch.delenv(name)


def test_missing_token_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = run_bot(tmp_path, PLANT_ID_API_KEY="k")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{PREFIX}TELEGRAM_BOT_TOKEN is not set (put it in the environment or in .env)"
    ]
    assert "Traceback" not in result.stderr


def test_untouched_env_example_names_both_empty_secrets(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{PREFIX}PLANT_ID_API_KEY is empty",
        f"{PREFIX}TELEGRAM_BOT_TOKEN is empty",
    ]


def test_every_bad_setting_is_named_in_one_run_without_its_value(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN="not-a-token-Xy7q",
        PLANT_ID_API_KEY="key-Xy7q",
        POLL_INTERVAL_MIN="60",
        POLL_INTERVAL_MAX="2",
        LOG_LEVEL="LOUD",
        SUGGESTIONS_SHOWN="lots",
        WEBHOOK_SECRET="has spaces Xy7q",
        MAX_IMAGES="9",
    )
    assert result.returncode == 2
    assert sorted(result.stderr.strip().splitlines()) == sorted(
        PREFIX + line
        for line in [
            "TELEGRAM_BOT_TOKEN does not look like a bot token (123456:ABC…)",
            "POLL_INTERVAL_MIN must not exceed POLL_INTERVAL_MAX",
            "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
            "SUGGESTIONS_SHOWN must be a whole number",
            "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)",
            "MAX_IMAGES must be at most 5",
        ]
    )
    assert "Xy7q" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"telegram_bot_token": "   "}, "TELEGRAM_BOT_TOKEN is empty"),
        ({"plant_id_api_key": ""}, "PLANT_ID_API_KEY is empty"),
        ({"telegram_bot_token": "123456"}, "TELEGRAM_BOT_TOKEN does not look like a bot token"),
        ({"health_check": "sometimes"}, "HEALTH_CHECK must be one of off, auto, all"),
        ({"log_format": "xml"}, "LOG_FORMAT must be one of text, json"),
        ({"webhook_url": "http://bot.example.org/hook"}, "WEBHOOK_URL must start with https://"),
        ({"webhook_url": "not a url"}, "WEBHOOK_URL must be a URL"),
        ({"telegram_api_url": "ftp://x"}, "TELEGRAM_API_URL must start with http:// or https://"),
        ({"webhook_secret": "x" * 257}, "WEBHOOK_SECRET must be 1-256 characters"),
        ({"listen_port": "0"}, "LISTEN_PORT must be at least 1"),
        ({"health_port": "70000"}, "HEALTH_PORT must be at most 65535"),
        ({"admin_chat_id": "me"}, "ADMIN_CHAT_ID must be a whole number"),
        ({"use_photo_gps": "perhaps"}, "USE_PHOTO_GPS must be true or false"),
        ({"max_images": "0"}, "MAX_IMAGES must be at least 1"),
        ({"album_wait": "-1"}, "ALBUM_WAIT must be at least 0"),
        ({"download_timeout": "0"}, "DOWNLOAD_TIMEOUT must be greater than 0"),
        ({"limit_per_person_hour": "-1"}, "LIMIT_PER_PERSON_HOUR must be at least 0"),
        ({"unavailable_notice_after": "0"}, "SLOW_NOTICE_AFTER must be greater than 0"),
    ],
)
def test_each_problem_is_said_in_plain_words(values: dict[str, Any], problem: str) -> None:
    (said,) = problems(**values)
    assert said.startswith(problem)


def test_equal_poll_intervals_are_fine() -> None:
    assert load(poll_interval_min=5, poll_interval_max=5).poll_interval_max == 5


def test_optional_settings_left_empty_are_unset() -> None:
    settings = load(admin_chat_id="", health_port="", webhook_url="", webhook_secret=" ")
    assert settings.admin_chat_id is None
    assert settings.health_port is None
    assert settings.webhook_url is None
    assert settings.webhook_secret is None


def test_webhook_settings_follow_telegrams_rules() -> None:
    settings = load(
        webhook_url="https://bot.example.org/telegram", webhook_secret="A-z_0" + "9" * 251
    )
    assert str(settings.webhook_url) == "https://bot.example.org/telegram"
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() in settings.secret_values()
    # A local Bot API server delivers over plain http, which is how tests reach the bot.
    assert load(webhook_url="http://127.0.0.1:8443/telegram").webhook_url is not None


@pytest.mark.usefixtures("no_settings_in_environment")
def test_slow_notice_after_accepts_the_old_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNAVAILABLE_NOTICE_AFTER", "12")
    assert load().slow_notice_after == 12
    monkeypatch.setenv("SLOW_NOTICE_AFTER", "7")
    assert load().slow_notice_after == 7


def test_new_settings_have_their_defaults() -> None:
    settings = load()
    assert settings.slow_notice_after == 60
    assert (settings.location_ttl, settings.album_wait, settings.max_images) == (3600, 1.5, 5)
    assert settings.use_photo_gps is True
    assert (settings.retention_days, settings.duplicate_window) == (90, 86400)
    assert (settings.limit_per_person_hour, settings.limit_per_chat_hour) == (10, 30)
    assert settings.health_check == "auto"
    assert settings.admin_chat_id is None
    assert (settings.credits_check_interval, settings.credits_warn_below) == (3600, 50)
    assert (settings.webhook_url, settings.webhook_secret) == (None, None)
    assert (settings.listen_host, settings.listen_port, settings.health_port) == (
        "0.0.0.0",
        8080,
        None,
    )
    assert settings.log_format == "text"
    assert (settings.delivery_max_age, settings.max_attempts) == (3600, 8)
    assert settings.download_timeout == 30


def test_secret_values_cover_token_its_secret_half_and_key() -> None:
    settings = load(telegram_bot_token="42:tok-SECRET", plant_id_api_key="key-Xy7q")
    assert {"42:tok-SECRET", "tok-SECRET", "key-Xy7q"} <= set(settings.secret_values())


@pytest.mark.usefixtures("no_settings_in_environment")
def test_settings_read_dotenv_and_derive_bot_api_urls(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=1:abc\nPLANT_ID_API_KEY=key\nTELEGRAM_API_URL=http://127.0.0.1:8081/\n"
    )
    settings = load_settings(Settings)
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram_base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.plant_id_base_url == "https://api.plant.id/v2"
    assert "abc" not in repr(settings)
    assert "key" not in str(settings.plant_id_api_key)


def read_env_file(path: Path) -> dict[str, str]:
    """Read a file the way `docker run --env-file` does: NAME=value lines, # comments."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            values.update(re.findall(r"(\w+)=(\S+)", line))
    return values


@pytest.mark.usefixtures("no_settings_in_environment")
def test_docker_with_env_example_keeps_the_database_on_the_volume(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env_file = read_env_file(ROOT / ".env.example")
    assert "DATABASE_PATH" not in env_file
    # --env-file values override the image's ENV; then the operator fills in the two secrets.
    environment = {**dockerfile_env(), **env_file}
    environment.update(TELEGRAM_BOT_TOKEN="1:abc", PLANT_ID_API_KEY="key")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(Settings, _env_file=None)
    assert settings.database_path == Path("/data/plantbot.sqlite3")
    assert "/data" in (ROOT / "Dockerfile").read_text().split("VOLUME", 1)[1].splitlines()[0]


def test_env_example_shows_the_real_defaults() -> None:
    example = read_env_file(ROOT / ".env.example")
    defaults = load()
    from_example = load(**{name.lower(): value for name, value in example.items() if value})
    for name in example:
        field = name.lower()
        assert getattr(from_example, field) == getattr(defaults, field), name


def test_every_setting_is_documented_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    with pytest.raises(SystemExit) as exited:
        main(["run", "--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    assert ".env" in help_text
    for name, field in Settings.model_fields.items():
        variable = name.upper()
        assert field.description, f"{variable} has no description"
        assert re.search(rf"^(# )?{variable}=", example, re.MULTILINE), variable
        assert f"`{variable}`" in readme, variable
        assert variable in help_text, variable
        assert field.description in " ".join(help_text.split()), variable


def test_a_single_problem_may_be_raised_as_text() -> None:
    assert ConfigError("LISTEN_PORT is taken").problems == ["LISTEN_PORT is taken"]
