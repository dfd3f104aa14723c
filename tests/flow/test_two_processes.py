"""Two `python -m bot` processes on one token and one database file (issue 12, case 11)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from pathlib import Path

from bench.stand import BotProcess, SentPhoto, Stand, is_status_text, leaked_secrets, wait_until
from tests.flow.images import leaf_photo

PHOTOS = 30
PEOPLE = 6
CONFLICT_RE = re.compile(
    r"ERROR bot\.inbox: another instance of this bot is polling Telegram with the same token "
    r"\(409 Conflict: .*\)\. Retrying in (\d+) s$"
)


async def until_up(bot: BotProcess, within: float = 120.0) -> None:
    """Wait until `bot` logs that it is up (its worker and inbox run); fail if it exits."""
    await wait_until(
        lambda: "Plantbot is up" in bot.log.read_text(errors="replace") or not bot.alive(),
        within,
        what="the bot to start",
    )
    assert bot.alive(), f"the bot exited:\n{bot.log.read_text()}"


async def record_lease_owners(stand: Stand, seen: Counter[str]) -> None:
    """Note which worker holds each leased row, sampling the database until cancelled."""
    while True:
        with contextlib.suppress(Exception):
            for (owner,) in stand.query(
                "SELECT lease_owner FROM identifications WHERE lease_owner IS NOT NULL"
            ):
                seen[str(owner)] += 1
        await asyncio.sleep(0.02)


async def test_two_processes_on_one_database_do_every_step_once(tmp_path: Path) -> None:
    with Stand(
        tmp_path,
        # Results take a moment, so both workers find rows pending at the same time.
        plantid_delay=1.0,
        env={"LEASE_SECONDS": "2", "POLL_INTERVAL_MIN": "0.05", "POLL_INTERVAL_MAX": "0.3"},
    ) as stand:
        people = stand.people(PEOPLE)
        first = stand.start_bot()
        await until_up(first)
        second = stand.start_bot()
        await until_up(second)
        owners: Counter[str] = Counter()
        sampler = asyncio.create_task(record_lease_owners(stand, owners))
        sent: list[SentPhoto] = [
            stand.send_photo(people[n % PEOPLE], leaf_photo(200 + n, size=(320, 240)))
            for n in range(PHOTOS)
        ]

        def all_answered() -> bool:
            return all(
                any(not is_status_text(m.visible_text) for m in stand.answers_to(photo))
                for photo in sent
            )

        await stand.telegram.wait_for(all_answered, timeout=180)

        def all_settled() -> bool:
            (open_rows,) = stand.query(
                "SELECT COUNT(*) FROM identifications WHERE state NOT IN ('delivered', 'failed')"
            )[0]
            return int(open_rows) == 0

        await wait_until(all_settled, 60, what="every identification to end")
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        for bot in (first, second):
            code, _ = bot.terminate(grace=30)
            assert code == 0, bot.log.read_text()

        for photo in sent:
            answers = stand.answers_to(photo)
            assert len(answers) == 1, [answer.visible_text[:40] for answer in answers]
            assert answers[0].buttons, answers[0].visible_text
        bot_messages = sum(len(stand.telegram.bot_messages(p.chat)) for p in people)
        assert bot_messages == PHOTOS
        accepted = stand.accepted_enqueues()
        assert len(accepted) == PHOTOS
        assert len(set(accepted)) == PHOTOS
        assert stand.query("SELECT state, COUNT(*) FROM identifications GROUP BY state") == [
            ("delivered", PHOTOS)
        ]
        # Rows are leased under the name (host:pid) of the process working on them. Which of
        # the two takes which row is a race; taking over is tested below.
        pids = {int(owner.rsplit(":", 1)[1]) for owner in owners}
        assert pids, owners
        assert pids <= {first.pid, second.pid}, owners
        assert leaked_secrets(tmp_path) == []


def conflict_delays(bot: BotProcess) -> list[int]:
    """Return the retry delays of the lines in which `bot` says another instance polls."""
    lines = bot.log.read_text(errors="replace").splitlines()
    return [int(m.group(1)) for line in lines if (m := CONFLICT_RE.search(line))]


async def test_a_second_poller_says_in_one_line_that_another_instance_polls_and_backs_off(
    tmp_path: Path,
) -> None:
    with Stand(tmp_path, plantid_delay=0.5) as stand:
        (person,) = stand.people(1)
        first = stand.start_bot()
        await stand.until_polling(first)
        second = stand.start_bot()
        # Telegram ends the older poll; each bot's retry then ends the other's, so both hear it.
        await wait_until(
            lambda: len(conflict_delays(second)) >= 2 or not second.alive(),
            120,
            what="the second bot to be refused twice",
        )
        assert first.alive(), stand.logs()
        assert second.alive(), stand.logs()
        # Whoever polls, the photo is answered once.
        photo = stand.send_photo(person, leaf_photo(7, size=(320, 240)))
        await stand.telegram.wait_for(
            lambda: any(m.buttons for m in stand.answers_to(photo)), timeout=120
        )
        codes = [bot.terminate(grace=30)[0] for bot in (first, second)]
        assert codes == [0, 0], stand.logs()

        delays = conflict_delays(second)
        # Backing off: the second refusal waits longer than the first.
        assert delays[0] < delays[1], delays
        assert len(stand.answers_to(photo)) == 1
        logs = stand.logs()
        assert "Traceback" not in logs
        assert leaked_secrets(tmp_path) == []


async def test_when_the_working_process_dies_the_other_finishes_its_rows_unprompted(
    tmp_path: Path,
) -> None:
    photos = 8
    with Stand(
        tmp_path,
        # Results take long enough that the rows are still pending when their worker dies.
        plantid_delay=3.0,
        env={"LEASE_SECONDS": "1", "POLL_INTERVAL_MIN": "0.05", "POLL_INTERVAL_MAX": "0.3"},
    ) as stand:
        people = stand.people(4)
        bots = [stand.start_bot(), stand.start_bot()]
        for bot in bots:
            await until_up(bot)
        sent = [
            stand.send_photo(people[n % 4], leaf_photo(300 + n, size=(320, 240)))
            for n in range(photos)
        ]
        await stand.telegram.wait_for(
            lambda: len(stand.plantid.identifications) == photos, timeout=120
        )
        leased: list[tuple[str]] = []

        def someone_holds_a_row() -> bool:
            leased[:] = stand.query(
                "SELECT lease_owner FROM identifications WHERE lease_owner IS NOT NULL LIMIT 1"
            )
            return bool(leased)

        await wait_until(someone_holds_a_row, 60, what="a worker to hold a row")
        pid = int(leased[0][0].rsplit(":", 1)[1])
        (working,) = [bot for bot in bots if bot.pid == pid]
        (survivor,) = [bot for bot in bots if bot.pid != pid]
        working.kill()

        # Nobody sends anything more: the survivor must notice the work on its own.
        def all_answered() -> bool:
            return all(any(m.buttons for m in stand.answers_to(photo)) for photo in sent)

        await stand.telegram.wait_for(all_answered, timeout=120)
        code, _ = survivor.terminate(grace=30)
        assert code == 0, survivor.log.read_text()

        assert [len(stand.answers_to(photo)) for photo in sent] == [1] * photos
        accepted = stand.accepted_enqueues()
        assert len(accepted) == photos
        assert len(set(accepted)) == photos
        assert stand.query("SELECT state, COUNT(*) FROM identifications GROUP BY state") == [
            ("delivered", photos)
        ]
        assert leaked_secrets(tmp_path) == []
