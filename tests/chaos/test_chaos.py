"""Chaos: the bot as a process, SIGKILLed every few seconds, Plant.id and Telegram misbehaving.

Short by default (it runs in `./dev test`); `pytest tests/chaos --chaos-long` (or CHAOS_LONG=1)
sends 200 photos from 50 people over three minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.stand import SentPhoto, Stand, is_status_text, leaked_secrets, wait_until
from bot.i18n import Translator
from bot.model import FailureReason
from bot.rendering import render_failure
from tests.flow.images import leaf_photo

SEED = 1312
MAX_PHOTO_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ChaosSize:
    """How many photos from how many people, over how many seconds of chaos."""

    photos: int
    people: int
    seconds: float


SHORT = ChaosSize(photos=40, people=10, seconds=40.0)
LONG = ChaosSize(photos=200, people=50, seconds=180.0)


@pytest.fixture
def size(request: pytest.FixtureRequest) -> ChaosSize:
    long = request.config.getoption("--chaos-long") or os.environ.get("CHAOS_LONG") == "1"
    return LONG if long else SHORT


def failure_notices() -> set[str]:
    """Return every honest failure notice the bot may send in English."""
    translate = Translator.from_package()
    return {
        render_failure(reason, "en", translate, max_photo_bytes=MAX_PHOTO_BYTES)
        for reason in FailureReason
    }


async def test_kills_and_faults_lose_nothing_pay_once_and_answer_each_photo_once(
    tmp_path: Path, size: ChaosSize
) -> None:
    rng = random.Random(SEED)
    images = [leaf_photo(seed, size=(320, 240)) for seed in range(size.photos)]
    with Stand(
        tmp_path,
        # Results take a moment, so kills land while identifications are pending too.
        plantid_delay=1.0,
        env={
            "LEASE_SECONDS": "1",
            "POLL_INTERVAL_MIN": "0.05",
            "POLL_INTERVAL_MAX": "0.5",
            "PLANT_ID_TIMEOUT": "2",
            "MAX_PHOTO_BYTES": str(MAX_PHOTO_BYTES),
        },
    ) as stand:
        people = stand.people(size.people)
        senders = [people[n % len(people)] for n in range(size.photos)]
        rng.shuffle(senders)
        send_at = sorted(rng.uniform(0, size.seconds * 0.8) for _ in range(size.photos))
        stand.plantid.fail_randomly(
            0.3, ("5xx", "timeout", "lose_answer"), seed=SEED, timeout_seconds=4.0
        )
        stand.telegram.fail_randomly(None, 0.1, kind="429", retry_after=1, seed=SEED)

        bot = stand.start_bot()
        await stand.until_polling(bot)
        loop = asyncio.get_running_loop()
        start = loop.time()
        next_kill = start + rng.uniform(2.0, 4.0)
        sent: list[SentPhoto] = []
        kills = 0
        while loop.time() - start < size.seconds:
            now = loop.time()
            while len(sent) < size.photos and start + send_at[len(sent)] <= now:
                sent.append(stand.send_photo(senders[len(sent)], images[len(sent)]))
            if now >= next_kill:
                bot.kill()
                kills += 1
                bot = stand.start_bot()
                next_kill = now + rng.uniform(2.0, 4.0)
            upcoming = [next_kill, start + size.seconds]
            if len(sent) < size.photos:
                upcoming.append(start + send_at[len(sent)])
            # The chaos follows its seeded schedule: sleep until its next event.
            await asyncio.sleep(max(0.0, min(upcoming) - loop.time()))
        assert len(sent) == size.photos
        stand.plantid.fail_randomly(0.0)
        stand.telegram.fail_randomly(None, 0.0)

        def all_answered() -> bool:
            return all(
                any(not is_status_text(m.visible_text) for m in stand.answers_to(photo))
                for photo in sent
            )

        await stand.telegram.wait_for(all_answered, timeout=120 + 3 * size.seconds)

        def all_settled() -> bool:
            (open_rows,) = stand.query(
                "SELECT COUNT(*) FROM identifications WHERE state NOT IN ('delivered', 'failed')"
                " OR (state = 'failed' AND notified_at IS NULL)"
            )[0]
            return int(open_rows) == 0

        # Rows that never end are reported with everything else below.
        with contextlib.suppress(TimeoutError):
            await wait_until(all_settled, 120, what="every identification to end")
        code, _ = bot.terminate(grace=30)
        assert code == 0, bot.log.read_text()

        # Every check runs, so one failing run tells everything that went wrong.
        problems: list[str] = []
        notices = failure_notices()
        kinds: Counter[str] = Counter()
        for photo in sent:
            answers = stand.answers_to(photo)
            if len(answers) != 1:
                texts = [answer.visible_text[:40] for answer in answers]
                problems.append(f"chat {photo.chat.id} photo {photo.message_id}: {texts}")
            for answer in answers:
                if answer.buttons:
                    kinds["result"] += 1
                elif answer.visible_text in notices:
                    kinds["failure notice"] += 1
                else:
                    kinds["neither result nor notice"] += 1
        if kinds["neither result nor notice"]:
            problems.append(f"answers that are neither a result nor a failure notice: {kinds}")
        chats = {photo.chat.id: photo.chat for photo in sent}
        bot_messages = sum(len(stand.telegram.bot_messages(chat)) for chat in chats.values())
        if bot_messages != size.photos:
            problems.append(f"{bot_messages} bot messages for {size.photos} photos")

        accepted = stand.accepted_enqueues()
        if len(set(accepted)) != size.photos:
            problems.append(f"{len(set(accepted))} custom_ids paid for {size.photos} photos")
        if len(accepted) != size.photos:
            problems.append(f"{len(accepted)} paid enqueues for {size.photos} photos")

        rows = stand.query("SELECT state, notified_at FROM identifications")
        if len(rows) != size.photos:
            problems.append(f"{len(rows)} identification rows for {size.photos} photos")
        open_rows = [
            state
            for state, notified in rows
            if state not in ("delivered", "failed") or (state == "failed" and notified is None)
        ]
        if open_rows:
            problems.append(f"rows not ended: {Counter(open_rows)}")
        # An update whose handler was killed stays claimed for the inbox's handling lease; by
        # then its photo must be recorded, or it was lost at the door.
        unrecorded = stand.query(
            "SELECT update_id FROM telegram_inbox WHERE NOT EXISTS (SELECT 1 FROM identifications"
            " WHERE chat_id = json_extract(payload, '$.message.chat.id')"
            " AND request_message_id = json_extract(payload, '$.message.message_id'))"
        )
        if unrecorded:
            problems.append(f"updates in the inbox but not recorded: {unrecorded}")
        leaks = leaked_secrets(tmp_path)
        if leaks:
            problems.append(f"secrets in {leaks}")
        assert problems == [], "\n".join(problems)
        print(
            f"\nchaos: {size.photos} photos from {size.people} people, {kills} SIGKILLs in "
            f"{size.seconds:g} s; {kinds['result']} results, {kinds['failure notice']} "
            f"failure notices; {len(accepted)} paid enqueues"
        )
