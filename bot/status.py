"""`plantbot status`: the backlog, the oldest waiting request, credits left and recent errors.

It reads the database read-only beside the running bot (WAL lets a reader work next to the
writer) and asks Plant.id for the credits left; it never changes anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.logs import RedactSecrets
from bot.metrics import credits_left
from bot.settings import Settings, load_settings
from plantid import PlantIdError, open_plantid
from storage.database import Database
from storage.operations import WAITING_STATES, Backlog, OperationsStore

EXIT_OK = 0
EXIT_NO_DATABASE = 1
# A status is meant to be quick; the bot's patient retries are not wanted here.
PLANTID_TIMEOUT = 10.0
STATES = ("received", "submitting", "pending", "completed", "delivered", "failed")


@dataclass(frozen=True)
class Credits:
    """The credits left, or why they are not known."""

    left: float | None
    error: str | None = None


def add_status_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of `plantbot status`."""
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    parser.add_argument(
        "--errors", type=int, default=5, help="how many recent errors to show (default: 5)"
    )
    parser.add_argument(
        "--no-credits", action="store_true", help="do not ask Plant.id for the credits left"
    )


def run_status(args: argparse.Namespace) -> int:
    """Print the bot's backlog and credits; return the exit code."""
    settings = load_settings(
        Settings, plant_id_timeout=PLANTID_TIMEOUT, plant_id_retry_deadline=PLANTID_TIMEOUT
    )
    redact = RedactSecrets(settings.secret_values()).redact
    path = settings.database_path
    try:
        if not path.is_file():
            raise FileNotFoundError(f"no database file at {path}")
        backlog = asyncio.run(read_backlog(read_only_uri(path), errors=max(0, args.errors)))
    except (sqlite3.Error, OSError) as error:
        print(
            f"plantbot: cannot read DATABASE_PATH {settings.database_path}: {error}",
            file=sys.stderr,
        )
        return EXIT_NO_DATABASE
    credits = Credits(None, "not asked") if args.no_credits else asyncio.run(ask_credits(settings))
    now = time.time()
    if args.json:
        print(redact(json.dumps(status_json(backlog, credits, now=now), ensure_ascii=False)))
    else:
        print(redact(status_text(backlog, credits, now=now)))
    return EXIT_OK


def read_only_uri(path: Path) -> str:
    """Return the SQLite URI that opens `path` for reading only."""
    return path.absolute().as_uri() + "?mode=ro"


async def read_backlog(uri: str, *, errors: int = 5) -> Backlog:
    """Read the backlog from the database at the SQLite `uri` (see `read_only_uri`)."""
    connection = await aiosqlite.connect(uri, uri=True)
    async with Database(connection) as database:
        return await OperationsStore(database).backlog(errors=errors)


async def ask_credits(settings: Settings) -> Credits:
    """Ask Plant.id how many credits are left."""
    try:
        async with open_plantid(settings) as plantid:
            usage = await plantid.usage_info()
    except PlantIdError as error:
        return Credits(None, str(error))
    return Credits(credits_left(usage))


def _counts(backlog: Backlog) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    counts = dict.fromkeys(STATES, 0)
    outcomes: dict[str, dict[str, int]] = {}
    for row in backlog.counts:
        counts[row.state] = counts.get(row.state, 0) + row.count
        if row.state in ("failed", "delivered"):
            outcomes.setdefault(row.state, {})[row.outcome] = row.count
    return counts, outcomes


def _waiting(counts: dict[str, int]) -> int:
    return sum(counts.get(state, 0) for state in WAITING_STATES)


def status_json(backlog: Backlog, credits: Credits, *, now: float) -> dict[str, Any]:
    """Return the status as one JSON-ready object."""
    counts, outcomes = _counts(backlog)
    oldest = None
    if backlog.oldest_waiting_id is not None and backlog.oldest_waiting_created_at is not None:
        oldest = {
            "id": backlog.oldest_waiting_id,
            "age_seconds": round(now - backlog.oldest_waiting_created_at, 1),
        }
    return {
        "counts": counts,
        "outcomes": outcomes,
        "waiting": _waiting(counts),
        "oldest_waiting": oldest,
        "telegram_updates_waiting": backlog.inbox,
        "credits_left": credits.left,
        "credits_error": credits.error,
        "last_errors": [
            {
                "id": error.identification_id,
                "state": error.state,
                "error": error.error,
                "age_seconds": round(now - error.updated_at, 1),
            }
            for error in backlog.recent_errors
        ],
    }


def human_age(seconds: float) -> str:
    """Say how long ago, in the largest units that matter ("3 min 5 s", "2 h 10 min")."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def status_text(backlog: Backlog, credits: Credits, *, now: float) -> str:
    """Return the status as a few lines for a person."""
    counts, outcomes = _counts(backlog)
    lines = ["Identifications by state:"]
    for state in counts:
        details = outcomes.get(state)
        extra = ""
        if details:
            extra = "  (" + ", ".join(f"{n} {name}" for name, n in sorted(details.items())) + ")"
        lines.append(f"  {state:<11} {counts[state]:>6}{extra}")
    waiting = _waiting(counts)
    if backlog.oldest_waiting_id is None or backlog.oldest_waiting_created_at is None:
        lines.append(f"Waiting: {waiting}")
    else:
        age = human_age(now - backlog.oldest_waiting_created_at)
        lines.append(
            f"Waiting: {waiting}; the oldest is #{backlog.oldest_waiting_id}, from {age} ago"
        )
    lines.append(f"Telegram updates not yet handled: {backlog.inbox}")
    if credits.left is not None:
        lines.append(f"Plant.id credits left: {credits.left:g}")
    elif credits.error is None:
        lines.append("Plant.id credits left: no limit")
    else:
        lines.append(f"Plant.id credits left: unknown ({credits.error})")
    if backlog.recent_errors:
        lines.append("Last errors:")
        for error in backlog.recent_errors:
            ago = human_age(now - error.updated_at)
            lines.append(f"  #{error.identification_id} ({error.state}, {ago} ago): {error.error}")
    else:
        lines.append("Last errors: none")
    return "\n".join(lines)
