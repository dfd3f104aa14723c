"""Fixtures for the storage tests: a real SQLite file per test and a repository on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database, SqliteIdentificationRepository
from storage.database import open_database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Return where the test's database file lives."""
    return tmp_path / "data" / "plantbot.sqlite3"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    """Open a fresh database file with every migration applied."""
    async with await open_database(db_path) as database:
        yield database


@pytest.fixture
def repo(db: Database) -> SqliteIdentificationRepository:
    """Return a repository on the test's database."""
    return SqliteIdentificationRepository(db)
