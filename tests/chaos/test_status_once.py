"""One status message per photo, even when Telegram's flood control outlasts the status lease."""

from __future__ import annotations

from pathlib import Path

from bench.stand import Stand, is_status_text, wait_until
from tests.flow.images import leaf_photo


async def test_status_message_held_by_flood_control_is_sent_once(tmp_path: Path) -> None:
    # Plant.id answers long after the flood control's pause, so any late send has arrived.
    with Stand(tmp_path, plantid_delay=5.0, env={"LEASE_SECONDS": "1"}) as stand:
        (person,) = stand.people(1)
        bot = stand.start_bot()
        await stand.until_polling(bot)
        stand.telegram.fail_next("sendMessage", kind="429", retry_after=2)
        photo = stand.send_photo(person, leaf_photo(3))

        def delivered() -> bool:
            return stand.query("SELECT state FROM identifications") == [("delivered",)]

        await wait_until(delivered, 60, what="the result to be delivered")
        code, _ = bot.terminate(grace=30)
        assert code == 0

        answers = stand.answers_to(photo)
        assert [is_status_text(answer.visible_text) for answer in answers] == [False]
        assert answers[0].buttons
