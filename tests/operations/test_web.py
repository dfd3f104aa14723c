"""The operations app over HTTP: health turns 503 naming the part, updates answered once stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.health import HealthCheck
from bot.metrics import Contact, Metrics
from bot.web import SECRET_HEADER, TelegramWebhook, create_web_app
from storage.database import Database, open_database
from storage.inbox import SqliteInbox
from storage.operations import OperationsStore

SECRET = "s3cret-Token_for-tests"


@dataclass
class Heartbeat:
    """The worker's heartbeat as health reads it: `bot.worker.Worker.last_round_at`."""

    last_round_at: float | None


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class InboxStore:
    """An `UpdateStore` writing to the real inbox table, as `bot.inbox.UpdateInbox.store` does."""

    def __init__(self, db: Database) -> None:
        self._inbox = SqliteInbox(db)

    async def store(self, payloads: Sequence[Mapping[str, Any]], *, now: float) -> None:
        await self._inbox.add([(int(p["update_id"]), json.dumps(p)) for p in payloads], now=now)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await open_database(tmp_path / "plantbot.sqlite3") as database:
        yield database


@dataclass
class Stack:
    client: httpx.AsyncClient
    db: Database
    clock: Clock
    heartbeat: Heartbeat
    telegram: Contact
    plantid: Contact


@pytest.fixture
async def stack(db: Database) -> AsyncIterator[Stack]:
    clock = Clock()
    heartbeat = Heartbeat(last_round_at=clock.now)
    metrics = Metrics(clock=clock)
    store = OperationsStore(db)
    health = HealthCheck(
        store,
        worker=lambda: heartbeat,
        telegram=metrics.telegram_contact,
        plantid=metrics.plantid_contact,
        clock=clock,
    )
    app = create_web_app(
        health=health,
        metrics=metrics,
        operations=store,
        telegram=TelegramWebhook("/telegram", SECRET, InboxStore(db), metrics.telegram_contact),
        clock=clock,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
        yield Stack(client, db, clock, heartbeat, metrics.telegram_contact, metrics.plantid_contact)


async def inbox_count(db: Database) -> int:
    return await SqliteInbox(db).count()


async def test_a_healthy_bot_answers_200_with_every_part(stack: Stack) -> None:
    response = await stack.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["failing"] == []


async def test_a_read_only_database_makes_health_503_naming_the_database(stack: Stack) -> None:
    await stack.db.connection.execute("PRAGMA query_only = 1")
    response = await stack.client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert "readonly" in response.json()["parts"]["database"]["detail"]


async def test_a_worker_whose_heartbeat_stopped_makes_health_503_naming_the_worker(
    stack: Stack,
) -> None:
    stack.clock.now += 60
    assert (await stack.client.get("/healthz")).status_code == 200
    stack.clock.now += 60
    response = await stack.client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]
    assert response.json()["parts"]["worker"]["heartbeat_age"] == 120


async def test_plantid_failing_for_minutes_is_named_but_a_short_outage_is_not(
    stack: Stack,
) -> None:
    stack.plantid.failed(stack.clock.now, "ConnectError")
    stack.clock.now += 30
    stack.heartbeat.last_round_at = stack.clock.now
    assert (await stack.client.get("/healthz")).status_code == 200
    stack.clock.now += 600
    stack.heartbeat.last_round_at = stack.clock.now
    response = await stack.client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["plantid"]
    assert "ConnectError" in response.json()["parts"]["plantid"]["detail"]
    stack.plantid.succeeded(stack.clock.now)
    assert (await stack.client.get("/healthz")).status_code == 200


async def test_an_update_is_answered_200_only_once_stored(stack: Stack) -> None:
    update = {"update_id": 5, "message": {"message_id": 1, "text": "hi"}}
    headers = {SECRET_HEADER: SECRET}
    await stack.db.connection.execute("PRAGMA query_only = 1")
    refused = await stack.client.post("/telegram", json=update, headers=headers)
    assert refused.status_code == 503, "Telegram keeps an update it did not get 200 for"
    await stack.db.connection.execute("PRAGMA query_only = 0")
    assert await inbox_count(stack.db) == 0

    accepted = await stack.client.post("/telegram", json=update, headers=headers)
    assert accepted.status_code == 200
    assert await inbox_count(stack.db) == 1
    again = await stack.client.post("/telegram", json=update, headers=headers)
    assert again.status_code == 200
    assert await inbox_count(stack.db) == 1, "a redelivered update is stored once"


async def test_without_the_secret_nothing_is_stored(stack: Stack) -> None:
    update = {"update_id": 6, "message": {"message_id": 1, "text": "hi"}}
    for headers in ({}, {SECRET_HEADER: SECRET + "x"}, {SECRET_HEADER: ""}):
        response = await stack.client.post("/telegram", json=update, headers=headers)
        assert response.status_code == 403
    assert await inbox_count(stack.db) == 0
    assert stack.telegram.last_success is None


async def test_metrics_use_the_bots_own_registry(stack: Stack) -> None:
    response = await stack.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "plantbot_plantid_credits_left NaN" in response.text
    # Never the process-wide default registry: two bots in one process keep separate figures.
    assert "python_gc_objects_collected_total" not in response.text
