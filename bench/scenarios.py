"""The load scenarios of issue 13, each against a fresh stand and a fresh bot process.

Every time is read from one clock, the monotonic clock of this process, which the fake Bot API
(call arrival), the emulator (when a result is ready) and the people sending photos all use.
"""

from __future__ import annotations

import base64
import io
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stand import (
    SentPhoto,
    Stand,
    call_chat_id,
    call_reply_to,
    has_keyboard,
    is_status_text,
    wait_until,
)
from tests.flow.images import leaf_photo
from tests.plantid.samples import leafy_photo

Measures = dict[str, float | None]
API_ENDPOINTS_EXCLUDED = ("media", "unknown")


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is, and how long any one wait may take."""

    burst: int = 100
    throughput: int = 1000
    throughput_people: int = 100
    intake: int = 10_000
    intake_people: int = 1000
    backlog: int = 5000
    plantid_delay: float = 3.0
    cap: float = 900.0


FULL = Sizes()
QUICK = Sizes(
    burst=10,
    throughput=20,
    throughput_people=5,
    intake=40,
    intake_people=10,
    backlog=40,
    plantid_delay=0.5,
    cap=120.0,
)


def photo_pool(count: int = 16) -> list[bytes]:
    """Return a few small distinct leaf photos; the photos are reused round-robin."""
    return [leaf_photo(seed, size=(320, 240)) for seed in range(count)]


def percentile(values: Sequence[float], share: float) -> float | None:
    """Return the `share` percentile (0..1) of `values`, None if there are none."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def answered(stand: Stand, sent: Sequence[SentPhoto]) -> int:
    """Return how many photos have an answer that is no longer a status message."""
    by_chat: dict[int, list[SentPhoto]] = defaultdict(list)
    for photo in sent:
        by_chat[photo.chat.id].append(photo)
    count = 0
    for photos in by_chat.values():
        done = {
            message.reply_to
            for message in stand.telegram.bot_messages(photos[0].chat)
            if not is_status_text(message.visible_text)
        }
        count += sum(1 for photo in photos if photo.message_id in done)
    return count


def orphans(stand: Stand, sent: Sequence[SentPhoto]) -> int:
    """Return the bot's messages beyond one finished answer per photo (status left, seconds)."""
    by_chat: dict[int, list[SentPhoto]] = defaultdict(list)
    for photo in sent:
        by_chat[photo.chat.id].append(photo)
    extra = 0
    for photos in by_chat.values():
        messages = stand.telegram.bot_messages(photos[0].chat)
        for photo in photos:
            answers = [m for m in messages if m.reply_to == photo.message_id]
            finished = [m for m in answers if not is_status_text(m.visible_text)]
            extra += len(answers) - min(len(finished), 1)
    return extra


def second_messages(stand: Stand, sent: Sequence[SentPhoto]) -> int:
    """Return the bot's messages replying to a photo that already has one."""
    replies: dict[tuple[int, int | None], int] = defaultdict(int)
    for chat in {photo.chat.id: photo.chat for photo in sent}.values():
        for message in stand.telegram.bot_messages(chat):
            replies[(chat.id, message.reply_to)] += 1
    return sum(max(0, count - 1) for count in replies.values())


def open_rows(stand: Stand) -> int:
    """Return how many identifications have not ended yet."""
    (count,) = stand.query(
        "SELECT COUNT(*) FROM identifications WHERE state NOT IN ('delivered', 'failed') "
        "OR (state = 'failed' AND notified_at IS NULL)"
    )[0]
    return int(count)


def first_calls(stand: Stand, method: str) -> dict[tuple[int | None, int | None], float]:
    """Return when the first `method` call per (chat, replied-to message) arrived."""
    first: dict[tuple[int | None, int | None], float] = {}
    for call in stand.telegram.calls_to(method):
        first.setdefault((call_chat_id(call), call_reply_to(call)), call.at)
    return first


def result_shown_at(stand: Stand) -> dict[int, list[float]]:
    """Return, per chat, when each call that showed a result (with its keyboard) arrived."""
    shown: dict[int, list[float]] = defaultdict(list)
    for method in ("editMessageText", "sendMessage"):
        for call in stand.telegram.calls_to(method):
            chat_id = call_chat_id(call)
            if chat_id is not None and has_keyboard(call):
                shown[chat_id].append(call.at)
    return shown


def plantid_api_calls(stand: Stand) -> int:
    """Return the requests the bot made to Plant.id's API (media downloads aside)."""
    return sum(1 for entry in stand.plantid.journal if entry.endpoint not in API_ENDPOINTS_EXCLUDED)


# -- scenarios ---------------------------------------------------------------------------------


async def burst(workdir: Path, sizes: Sizes, details: dict[str, Any]) -> Measures:
    """Photos from that many people at once: Plant.id calls, status and result latency."""
    count = sizes.burst
    pool = photo_pool()
    with Stand(workdir, plantid_delay=sizes.plantid_delay) as stand:
        bot = stand.start_bot()
        await stand.until_polling(bot)
        sent = [
            stand.send_photo(person, pool[n % len(pool)])
            for n, person in enumerate(stand.people(count))
        ]
        await wait_until(
            lambda: answered(stand, sent) == count, sizes.cap, interval=0.2, what="every result"
        )
        await wait_until(lambda: open_rows(stand) == 0, sizes.cap, what="every row to end")
        bot.terminate(grace=30)
        status_at = first_calls(stand, "sendMessage")
        status = [
            status_at[(photo.chat.id, photo.message_id)] - photo.at
            for photo in sent
            if (photo.chat.id, photo.message_id) in status_at
        ]
        shown = result_shown_at(stand)
        identifications = stand.plantid.identifications
        ready_to_shown = []
        for chat_id, plantid_id in stand.query("SELECT chat_id, plantid_id FROM identifications"):
            ident = identifications.get(plantid_id)
            if ident is None or ident.due is None or not shown.get(chat_id):
                continue
            ready_to_shown.append(min(shown[chat_id]) - ident.due)
        calls = plantid_api_calls(stand)
        details["burst"] = {
            "photos": count,
            "plantid_calls": calls,
            "plantid_calls_by_endpoint": _by_endpoint(stand),
            "status_messages_measured": len(status),
            "results_measured": len(ready_to_shown),
        }
        return {
            "plantid_calls_per_identification": calls / count,
            "status_p50_s": percentile(status, 0.5),
            "status_p95_s": percentile(status, 0.95),
            "ready_to_shown_p50_s": percentile(ready_to_shown, 0.5),
            "ready_to_shown_p95_s": percentile(ready_to_shown, 0.95),
        }


def _by_endpoint(stand: Stand) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for entry in stand.plantid.journal:
        counts[entry.endpoint] += 1
    return dict(counts)


async def throughput(workdir: Path, sizes: Sizes, details: dict[str, Any]) -> Measures:
    """Many photos at once: identifications per second and per CPU-second; orphans."""
    count = sizes.throughput
    pool = photo_pool()
    with Stand(workdir, plantid_delay=sizes.plantid_delay) as stand:
        people = stand.people(sizes.throughput_people)
        bot = stand.start_bot()
        await stand.until_polling(bot)
        cpu_before = bot.cpu_seconds()
        sent = [
            stand.send_photo(people[n % len(people)], pool[n % len(pool)]) for n in range(count)
        ]
        await wait_until(
            lambda: answered(stand, sent) == count, sizes.cap, interval=0.5, what="every result"
        )
        cpu = bot.cpu_seconds() - cpu_before
        await wait_until(lambda: open_rows(stand) == 0, sizes.cap, what="every row to end")
        bot.terminate(grace=30)
        finished = max(at for times in result_shown_at(stand).values() for at in times)
        elapsed = finished - sent[0].at
        extra = orphans(stand, sent)
        details["throughput"] = {
            "photos": count,
            "people": len(people),
            "seconds": elapsed,
            "bot_cpu_seconds": cpu,
            "plantid_calls": plantid_api_calls(stand),
        }
        return {
            "throughput_per_s": count / elapsed,
            "throughput_per_cpu_s": count / cpu if cpu > 0 else None,
            "orphaned_status_messages": float(extra),
        }


async def intake(workdir: Path, sizes: Sizes, details: dict[str, Any]) -> Measures:
    """Many photos arriving while Plant.id never finishes: stored, submitted, memory."""
    count = sizes.intake
    pool = photo_pool()
    measures: Measures = {}
    with Stand(workdir, plantid_delay=None) as stand:
        people = stand.people(sizes.intake_people)
        bot = stand.start_bot()
        await stand.until_polling(bot)
        sent = [
            stand.send_photo(people[n % len(people)], pool[n % len(pool)]) for n in range(count)
        ]
        first = sent[0].at

        def stored() -> int:
            return int(stand.query("SELECT COUNT(*) FROM identifications")[0][0])

        stored_at = await _wait_or_none(lambda: stored() == count, sizes.cap)
        measures["intake_stored_s"] = None if stored_at is None else stored_at - first
        progress = _Progress()

        def submitted() -> bool:
            done = len(stand.accepted_enqueues())
            progress.see(done)
            return done == count

        await _wait_or_none(submitted, sizes.cap, interval=1.0)
        measures["intake_unsubmitted"] = float(count - progress.last)
        measures["intake_longest_stall_s"] = progress.longest_stall()
        measures["rss_mb_pending"] = bot.rss_mb()
        pending = stand.query("SELECT COUNT(*) FROM identifications WHERE state = 'pending'")
        bot.terminate(grace=30)
        details["intake"] = {
            "photos": count,
            "people": len(people),
            "submitted": progress.last,
            "pending_rows_when_measured": int(pending[0][0]),
            # Every photo is pending: one status message each is right, more are orphans.
            "second_status_messages": second_messages(stand, sent),
            "stored_rows": stored(),
            "submitted_by_second": progress.timeline(first),
        }
    return measures


class _Progress:
    """Follow a growing count and the longest time it stood still."""

    def __init__(self) -> None:
        self.last = 0
        self._changed = time.monotonic()
        self._longest = 0.0
        self._samples: list[tuple[float, int]] = []

    def see(self, value: int) -> None:
        now = time.monotonic()
        if value != self.last:
            self.last = value
            self._changed = now
            self._samples.append((now, value))
        self._longest = max(self._longest, now - self._changed)

    def longest_stall(self) -> float:
        return self._longest

    def timeline(self, start: float) -> list[tuple[float, int]]:
        step = max(1, len(self._samples) // 50)
        return [(round(at - start, 1), value) for at, value in self._samples[::step]]


async def _wait_or_none(condition: Any, within: float, *, interval: float = 0.5) -> float | None:
    try:
        return await wait_until(condition, within, interval=interval)
    except TimeoutError:
        return None


async def upload(workdir: Path, sizes: Sizes, details: dict[str, Any]) -> Measures:
    """One 12 MP photo: how many bytes reach Plant.id."""
    buffer = io.BytesIO()
    leafy_photo((4032, 3024)).save(buffer, "JPEG", quality=92)
    original = buffer.getvalue()
    with Stand(workdir, plantid_delay=0.0) as stand:
        (person,) = stand.people(1)
        bot = stand.start_bot()
        await stand.until_polling(bot)
        stand.send_photo(person, original)
        await wait_until(
            lambda: bool(stand.accepted_enqueues()), sizes.cap, what="the photo's upload"
        )
        bot.terminate(grace=30)
        entry = next(
            e for e in stand.plantid.requests_to("enqueue_identification") if e.status == 200
        )
        body = entry.json if isinstance(entry.json, dict) else {}
        image = str(body["images"][0])
        uploaded = base64.b64decode(image.split("base64,", 1)[-1])
        details["upload"] = {"original_bytes": len(original), "uploaded_bytes": len(uploaded)}
        return {"upload_kb_12mp": len(uploaded) / 1000}


async def backlog(workdir: Path, sizes: Sizes, details: dict[str, Any]) -> Measures:
    """A backlog arriving, stopped by SIGTERM and then by SIGKILL: nothing acknowledged is lost."""
    count = sizes.backlog
    pool = photo_pool()
    measures: Measures = {}
    with Stand(workdir, plantid_delay=None) as stand:
        people = stand.people(min(count, 1000))
        sent: list[SentPhoto] = []
        for signal_name in ("sigterm", "sigkill"):
            bot = stand.start_bot()
            await stand.until_polling(bot)
            sent += [
                stand.send_photo(people[n % len(people)], pool[n % len(pool)]) for n in range(count)
            ]
            waiting = stand.telegram.pending_updates()
            # Stop it while it is taking the backlog in: half of it acknowledged.
            await _wait_or_none(
                lambda waiting=waiting: stand.telegram.pending_updates() <= waiting - count // 2,
                sizes.cap,
                interval=0.02,
            )
            if signal_name == "sigterm":
                code, seconds = bot.terminate(grace=15)
                measures["sigterm_exit_s"] = seconds
                details.setdefault("backlog", {})["sigterm_exit_code"] = code
            else:
                bot.kill()
            delivered = len(sent) - stand.telegram.pending_updates()
            lost = _lost(stand, sent[:delivered])
            measures[f"backlog_lost_{signal_name}"] = float(lost)
            details.setdefault("backlog", {})[f"{signal_name}_acknowledged"] = delivered
        details["backlog"]["photos_per_phase"] = count
    return measures


def _lost(stand: Stand, delivered: Sequence[SentPhoto]) -> int:
    """Return how many acknowledged photos are neither recorded nor waiting in the inbox."""
    kept = {
        (int(chat_id), int(message_id))
        for chat_id, message_id in stand.query(
            "SELECT chat_id, request_message_id FROM identifications"
        )
    }
    for (payload,) in stand.query("SELECT payload FROM telegram_inbox"):
        message = json.loads(payload).get("message") or {}
        if message:
            kept.add((int(message["chat"]["id"]), int(message["message_id"])))
    return sum(1 for photo in delivered if (photo.chat.id, photo.message_id) not in kept)


SCENARIOS = {
    "burst": burst,
    "throughput": throughput,
    "intake": intake,
    "upload": upload,
    "backlog": backlog,
}
