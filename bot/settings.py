"""Validated configuration, read once from the environment and `.env` at the entry point."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_ENV_CONFIG = SettingsConfigDict(
    env_file=".env",
    env_file_encoding="utf-8",
    extra="ignore",
    case_sensitive=False,
    hide_input_in_errors=True,
)


SettingsT = TypeVar("SettingsT", bound="PlantIdSettings")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable in one line."""


class PlantIdSettings(BaseSettings):
    """Settings needed to talk to Plant.id (the `identify` command needs only these)."""

    model_config = _ENV_CONFIG

    plant_id_api_key: SecretStr = Field(min_length=1)
    plant_id_api_url: HttpUrl = HttpUrl("https://api.plant.id/v2")
    plant_id_timeout: float = Field(default=30.0, gt=0, description="Seconds per HTTP request.")
    plant_id_retry_deadline: float = Field(
        default=60.0, gt=0, description="Seconds a call may spend retrying a temporary failure."
    )
    max_image_side: int = Field(default=1500, ge=100, le=10000)
    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        name = value.strip().upper()
        if name not in logging.getLevelNamesMapping():
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return name

    @property
    def plant_id_base_url(self) -> str:
        """Return the API base URL without a trailing slash."""
        return str(self.plant_id_api_url).rstrip("/")


class Settings(PlantIdSettings):
    """Everything the bot needs to run."""

    telegram_bot_token: SecretStr = Field(min_length=1)
    telegram_api_url: HttpUrl = HttpUrl("https://api.telegram.org")
    database_path: Path = Path("data/plantbot.sqlite3")

    suggestions_shown: int = Field(default=3, ge=1, le=8)
    low_confidence_threshold: float = Field(default=0.3, ge=0, le=1)
    not_plant_threshold: float = Field(default=0.5, ge=0, le=1)
    custom_id_offset: int = Field(default=0, ge=0, le=10**12)
    identification_max_age: float = Field(default=900.0, gt=0)
    poll_interval_min: float = Field(default=2.0, gt=0)
    poll_interval_max: float = Field(default=30.0, gt=0)
    unavailable_notice_after: float = Field(
        default=60.0, gt=0, description="Seconds of Plant.id outage before the person is told."
    )
    max_photo_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    lease_seconds: float = Field(
        default=30.0,
        ge=1,
        description="Seconds a worker holds an identification before another worker may take "
        "it over (after a crash); renewed while working.",
    )

    @property
    def telegram_base_url(self) -> str:
        """Return the Bot API method URL prefix; PTB appends the token."""
        return str(self.telegram_api_url).rstrip("/") + "/bot"

    @property
    def telegram_base_file_url(self) -> str:
        """Return the Bot API file URL prefix; PTB appends the token."""
        return str(self.telegram_api_url).rstrip("/") + "/file/bot"


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    variable = field.upper()
    if first["type"] == "missing":
        return f"{variable} is not set (put it in the environment or in .env)"
    return f"{variable} is invalid: {first['msg']}"


def load_settings(model: type[SettingsT], **overrides: Any) -> SettingsT:
    """Load settings of the given kind, turning validation errors into a one-line ConfigError."""
    try:
        return model(**overrides)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
