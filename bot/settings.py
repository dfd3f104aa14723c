"""Validated configuration, read once from the environment and `.env` at the entry point."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import (
    AliasChoices,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

_ENV_CONFIG = SettingsConfigDict(
    env_file=".env",
    env_file_encoding="utf-8",
    extra="ignore",
    case_sensitive=False,
    hide_input_in_errors=True,
)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Telegram's token format: the bot's numeric id, a colon, then the secret part.
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
# setWebhook's secret_token: "1-256 characters. Only characters A-Z, a-z, 0-9, _ and - are allowed".
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK_NAMES = {"localhost"}

SettingsT = TypeVar("SettingsT", bound="PlantIdSettings")


class ConfigError(Exception):
    """Settings are missing or invalid; `problems` holds one plain sentence per setting."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("\n".join(self.problems))


class _Problem(ValueError):
    """A validator's complete sentence, shown to the operator as it is."""


def _blank_to_none(value: Any) -> Any:
    """Treat `NAME=` (as in `.env.example`) like an unset optional setting."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _lowercase(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class PlantIdSettings(BaseSettings):
    """Settings needed to talk to Plant.id (the `identify` command needs only these)."""

    model_config = _ENV_CONFIG

    plant_id_api_key: SecretStr = Field(min_length=1, description="Plant.id API key. Never logged.")
    plant_id_api_url: HttpUrl = Field(
        default=HttpUrl("https://api.plant.id/v2"),
        description="Plant.id v2 base URL (the emulator works too).",
    )
    plant_id_timeout: float = Field(
        default=30.0, gt=0, description="Seconds per Plant.id HTTP request."
    )
    plant_id_retry_deadline: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a free Plant.id call may spend retrying a temporary failure.",
    )
    max_image_side: int = Field(
        default=1500,
        ge=100,
        le=10000,
        description="Photos are downscaled to this longest side (pixels) before upload.",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="text for people, json for one JSON object per line."
    )

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        name = value.strip().upper()
        if name not in LOG_LEVELS:
            raise _Problem(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        return name

    @field_validator("plant_id_api_key")
    @classmethod
    def _key_not_blank(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value().strip()
        if not key:
            raise _Problem("PLANT_ID_API_KEY is empty")
        return SecretStr(key)

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format_any_case(cls, value: Any) -> Any:
        return _lowercase(value)

    @property
    def plant_id_base_url(self) -> str:
        """Return the API base URL without a trailing slash."""
        return str(self.plant_id_api_url).rstrip("/")

    def secret_values(self) -> list[str]:
        """Return every secret that must never reach logs or output."""
        return [self.plant_id_api_key.get_secret_value()]


class Settings(PlantIdSettings):
    """Everything the bot needs to run."""

    telegram_bot_token: SecretStr = Field(
        min_length=1, description="Bot token from @BotFather. Never logged."
    )
    telegram_api_url: HttpUrl = Field(
        default=HttpUrl("https://api.telegram.org"),
        description="Bot API base URL; the method and file URLs derive from it.",
    )
    database_path: Path = Field(
        default=Path("data/plantbot.sqlite3"),
        description="SQLite file with every identification; keep it on persistent disk.",
    )

    suggestions_shown: int = Field(
        default=3, ge=1, le=8, description="Suggestions (and confirm buttons) per result."
    )
    low_confidence_threshold: float = Field(
        default=0.3, ge=0, le=1, description="Below this probability the result says it is unsure."
    )
    not_plant_threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description='Below this is_plant_probability: "this doesn\'t look like a plant".',
    )
    custom_id_offset: int = Field(
        default=0,
        ge=0,
        le=10**12,
        description="Added to row ids for Plant.id's custom_id (several installs, one key).",
    )
    identification_max_age: float = Field(
        default=900.0, gt=0, description="Seconds before an unanswered identification is given up."
    )
    poll_interval_min: float = Field(
        # One /multiple request per tick carries every pending id, so a short tick costs few
        # requests while a finished result is shown within about a second.
        default=1.0,
        gt=0,
        description="Seconds between the first polls of pending results (the poll tick).",
    )
    poll_interval_max: float = Field(
        default=30.0, gt=0, description="Seconds between polls after backing off."
    )
    slow_notice_after: float = Field(
        default=60.0,
        gt=0,
        # Existing .env files still say UNAVAILABLE_NOTICE_AFTER.
        validation_alias=AliasChoices("slow_notice_after", "unavailable_notice_after"),
        description="Seconds after the photo arrives before the person is told it takes longer.",
    )
    max_photo_bytes: int = Field(
        default=20 * 1024 * 1024,
        gt=0,
        description="Largest photo downloaded, in bytes (the Bot API serves at most 20 MB).",
    )
    lease_seconds: float = Field(
        default=30.0,
        ge=1,
        description="Seconds a worker holds an identification before another worker may take "
        "it over after a crash; renewed while it works.",
    )
    download_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a photo download from Telegram may take."
    )

    location_ttl: float = Field(
        default=3600.0, gt=0, description="Seconds a shared location is used for later photos."
    )
    album_wait: float = Field(
        default=1.5,
        ge=0,
        description="Seconds to wait for the rest of an album before identifying it as one.",
    )
    max_images: int = Field(
        default=5,
        ge=1,
        le=5,
        description="Photos sent to Plant.id in one identification (1-5).",
    )
    use_photo_gps: bool = Field(
        default=True, description="Use the GPS position stored in a photo file, when present."
    )
    retention_days: int = Field(
        default=90, ge=1, description="Days finished identifications are kept before pruning."
    )
    duplicate_window: float = Field(
        default=86400.0,
        ge=0,
        description="Seconds the same photo from the same person reuses the earlier result; 0 off.",
    )
    limit_per_person_hour: int = Field(
        default=10, ge=0, description="Identifications per person per hour; 0 means no limit."
    )
    limit_per_chat_hour: int = Field(
        default=30, ge=0, description="Identifications per chat per hour; 0 means no limit."
    )
    health_check: Literal["off", "auto", "all"] = Field(
        default="auto",
        description="Plant health: off, auto (extra credit only if unhealthy) or all.",
    )
    admin_chat_id: int | None = Field(
        default=None, description="Chat that receives operator warnings (e.g. credits low)."
    )
    credits_check_interval: float = Field(
        default=3600.0, gt=0, description="Seconds between checks of the Plant.id credits left."
    )
    credits_warn_below: int = Field(
        default=50, ge=0, description="Warn the admin chat when fewer credits than this are left."
    )
    delivery_max_age: float = Field(
        default=3600.0,
        gt=0,
        description="Seconds a finished result or failure notice keeps trying to reach the person.",
    )
    double_tap_window: float = Field(
        default=1.5,
        ge=0,
        description="Seconds after a confirmation in which another press on the same button "
        "counts as the same tap (a double tap confirms once).",
    )
    max_attempts: int = Field(
        default=8,
        ge=1,
        description="Attempts at a step that fails because of that one identification "
        "(unreadable data, an unexpected error) before it is given up; outages are waited out.",
    )

    webhook_url: HttpUrl | None = Field(
        default=None,
        description="Public https URL Telegram posts updates to; unset means long polling.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret Telegram sends with each webhook call (1-256 of A-Z a-z 0-9 _ -).",
    )
    listen_host: str = Field(
        default="0.0.0.0", min_length=1, description="Address the webhook server listens on."
    )
    listen_port: int = Field(
        default=8080, ge=1, le=65535, description="Port the webhook server listens on."
    )
    health_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="In polling mode, serve /healthz and /metrics on this port; unset is off.",
    )

    @field_validator("telegram_bot_token")
    @classmethod
    def _looks_like_a_token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token:
            raise _Problem("TELEGRAM_BOT_TOKEN is empty")
        if not _BOT_TOKEN.fullmatch(token):
            raise _Problem("TELEGRAM_BOT_TOKEN does not look like a bot token (123456:ABC…)")
        return SecretStr(token)

    @field_validator("poll_interval_max")
    @classmethod
    def _max_not_below_min(cls, value: float, info: ValidationInfo) -> float:
        minimum = info.data.get("poll_interval_min")
        if minimum is not None and minimum > value:
            raise _Problem("POLL_INTERVAL_MIN must not exceed POLL_INTERVAL_MAX")
        return value

    @field_validator("health_check", mode="before")
    @classmethod
    def _health_check_any_case(cls, value: Any) -> Any:
        return _lowercase(value)

    @field_validator("admin_chat_id", "health_port", "webhook_url", "webhook_secret", mode="before")
    @classmethod
    def _optional(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: HttpUrl | None) -> HttpUrl | None:
        # Telegram delivers webhooks only over https; a local Bot API server also accepts http,
        # which is how the bot is tested on loopback.
        if value is not None and value.scheme != "https" and not _is_loopback(value.host):
            raise _Problem("WEBHOOK_URL must start with https:// (Telegram's rule)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise _Problem(
                "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
                "(Telegram's rule)"
            )
        return value

    @property
    def telegram_base_url(self) -> str:
        """Return the Bot API method URL prefix; PTB appends the token."""
        return str(self.telegram_api_url).rstrip("/") + "/bot"

    @property
    def telegram_base_file_url(self) -> str:
        """Return the Bot API file URL prefix; PTB appends the token."""
        return str(self.telegram_api_url).rstrip("/") + "/file/bot"

    def secret_values(self) -> list[str]:
        """Return every secret that must never reach logs or output."""
        token = self.telegram_bot_token.get_secret_value()
        values = [*super().secret_values(), token, token.partition(":")[2]]
        if self.webhook_secret is not None:
            values.append(self.webhook_secret.get_secret_value())
        return values


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def setting_name(model: type[PlantIdSettings], location: str) -> str:
    """Return the environment variable an error location refers to."""
    for name, field in model.model_fields.items():
        aliases = field.validation_alias
        choices = aliases.choices if isinstance(aliases, AliasChoices) else [aliases]
        if location == name or location in choices:
            return name.upper()
    return location.upper()


def _limit(details: ErrorDetails) -> str:
    context = details.get("ctx", {})
    for key in ("gt", "ge", "lt", "le", "min_length", "max_length", "expected"):
        if key in context:
            return str(context[key])
    return ""


def _sentence(variable: str, details: ErrorDetails) -> str:
    """Say in plain words what is wrong with one setting, never echoing its value."""
    kind = details["type"]
    error = details.get("ctx", {}).get("error")
    if isinstance(error, _Problem):
        return str(error)
    limit = _limit(details)
    plain = {
        "missing": f"{variable} is not set (put it in the environment or in .env)",
        "int_parsing": f"{variable} must be a whole number",
        "int_from_float": f"{variable} must be a whole number",
        "float_parsing": f"{variable} must be a number",
        "bool_parsing": f"{variable} must be true or false",
        "greater_than": f"{variable} must be greater than {limit}",
        "greater_than_equal": f"{variable} must be at least {limit}",
        "less_than": f"{variable} must be less than {limit}",
        "less_than_equal": f"{variable} must be at most {limit}",
        "literal_error": f"{variable} must be one of {limit.replace(' or ', ', ')}".replace(
            "'", ""
        ),
        "url_parsing": f"{variable} must be a URL such as https://example.org",
        "url_scheme": f"{variable} must start with http:// or https://",
        "url_type": f"{variable} must be a URL such as https://example.org",
    }
    if kind in ("too_short", "string_too_short") and details.get("ctx", {}).get("min_length") == 1:
        return f"{variable} is empty"
    return plain.get(kind, f"{variable} is invalid")


def describe(error: ValidationError, model: type[PlantIdSettings]) -> list[str]:
    """Return one plain sentence per invalid setting, in the order the fields are declared."""
    problems: list[str] = []
    for details in error.errors():
        location = str(details["loc"][0]) if details["loc"] else ""
        sentence = _sentence(setting_name(model, location), details)
        if sentence not in problems:
            problems.append(sentence)
    return problems


def load_settings(model: type[SettingsT], **overrides: Any) -> SettingsT:
    """Load settings of the given kind; raise ConfigError naming every bad setting at once."""
    try:
        return model(**overrides)
    except ValidationError as error:
        raise ConfigError(describe(error, model)) from None


def settings_help(model: type[PlantIdSettings]) -> str:
    """List every setting with its default and meaning, for `--help`."""
    lines = []
    for name, field in model.model_fields.items():
        if field.is_required():
            default = "required"
        elif field.default is None:
            default = "unset"
        else:
            default = str(field.default)
        lines.append(f"  {name.upper()} ({default})\n      {field.description}")
    return "\n".join(lines)
