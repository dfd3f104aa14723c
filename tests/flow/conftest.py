"""The real bot, built by the production composition root, against both fakes and a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.application import PlantbotApplication, build_application, running
from bot.settings import Settings
from sandbox.plantid import ApiKeyConfig, Emulator, EmulatorConfig, create_app, emulator_of
from sandbox.telegram import FakeTelegram

API_KEY = "flow-test-key"
RunBot = Callable[..., AbstractAsyncContextManager[PlantbotApplication]]


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def plantid_config() -> EmulatorConfig:
    # Identifications stay pending until a test completes them, so every state can be observed.
    return EmulatorConfig(api_keys={API_KEY: ApiKeyConfig()}, delay=None)


@pytest.fixture
def plantid_app(plantid_config: EmulatorConfig) -> Any:
    return create_app(plantid_config)


@pytest.fixture
def plantid(plantid_app: Any) -> Emulator:
    return emulator_of(plantid_app)


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "plantbot.sqlite3"


def make_settings(telegram: FakeTelegram, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": telegram.token,
        "telegram_api_url": "http://telegram.test",
        "plant_id_api_key": API_KEY,
        "plant_id_api_url": "http://plantid.test/v2",
        # Fast polling and short retries keep the flow quick; tests wait on events, not time.
        "poll_interval_min": 0.02,
        "poll_interval_max": 0.1,
        "plant_id_retry_deadline": 1.0,
        "plant_id_timeout": 5.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def run_bot(telegram: FakeTelegram, plantid_app: Any, database_path: Path) -> RunBot:
    """Return a context manager that runs the bot in-process the way `python -m bot` does."""

    @asynccontextmanager
    async def run(
        plantid_url: str | None = None, **overrides: Any
    ) -> AsyncIterator[PlantbotApplication]:
        """Run the bot; with `plantid_url`, reach Plant.id over real HTTP instead of in-process."""
        if plantid_url is not None:
            overrides["plant_id_api_url"] = plantid_url
        application = build_application(
            make_settings(telegram, **{"database_path": database_path, **overrides}),
            telegram_transport=httpx.ASGITransport(app=telegram.app),
            plantid_transport=None if plantid_url else httpx.ASGITransport(app=plantid_app),
        )
        async with running(application):
            yield application

    return run
