"""SQLite storage: connection, append-only migrations and repositories returning dataclasses."""

from storage.database import Database, open_database
from storage.migrations import MIGRATIONS, Migration, apply_migrations
from storage.models import (
    IdentificationRecord,
    IdentificationRequest,
    IdentificationState,
    PhotoRef,
)
from storage.repositories import IdentificationRepository, SqliteIdentificationRepository

__all__ = [
    "MIGRATIONS",
    "Database",
    "IdentificationRecord",
    "IdentificationRepository",
    "IdentificationRequest",
    "IdentificationState",
    "Migration",
    "PhotoRef",
    "SqliteIdentificationRepository",
    "apply_migrations",
    "open_database",
]
