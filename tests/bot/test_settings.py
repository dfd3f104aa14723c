"""Configuration errors name the variable in one line, without a traceback, exit code 2."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.logs import RedactSecrets
from bot.settings import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "PLANT_ID_"))
    }
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_token_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = run_bot(tmp_path, PLANT_ID_API_KEY="k")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "plantbot: configuration error: TELEGRAM_BOT_TOKEN is not set "
        "(put it in the environment or in .env)"
    ]
    assert "Traceback" not in result.stderr


def test_invalid_value_names_the_variable_and_hides_the_value(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN="123:secret-token",
        PLANT_ID_API_KEY="secret-key",
        SUGGESTIONS_SHOWN="lots",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "SUGGESTIONS_SHOWN is invalid" in lines[0]
    assert "secret" not in result.stderr


def test_settings_read_dotenv_and_derive_bot_api_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "PLANT_ID_")):
            monkeypatch.delenv(name)
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=1:abc\nPLANT_ID_API_KEY=key\nTELEGRAM_API_URL=http://127.0.0.1:8081/\n"
    )
    settings = load_settings(Settings)
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram_base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.plant_id_base_url == "https://api.plant.id/v2"
    assert "abc" not in repr(settings)
    assert "key" not in str(settings.plant_id_api_key)


def test_bad_log_level_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="LOG_LEVEL is invalid"):
        load_settings(
            Settings,
            telegram_bot_token="1:a",
            plant_id_api_key="k",
            log_level="LOUD",
            _env_file=None,
        )


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactSecrets(["123:SECRET"]))
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("POST https://api.telegram.org/bot%s/getMe", "123:SECRET")
    assert caplog.records[0].getMessage() == "POST https://api.telegram.org/bot[REDACTED]/getMe"
