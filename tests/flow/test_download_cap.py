"""A file whose size Telegram doesn't tell is cut off while streaming (issue 12, case 13)."""

from __future__ import annotations

import random
from pathlib import Path

from bench.stand import Stand, leaked_secrets, wait_until
from bot.i18n import Translator
from bot.model import FailureReason
from bot.rendering import render_failure

MAX_PHOTO_BYTES = 256 * 1024
# Large beside the cap and the kernel's socket buffers, and the most Telegram lets bots download.
FILE_BYTES = 20 * 1024 * 1024


async def test_a_file_without_file_size_is_cut_at_the_cap_and_called_too_large(
    tmp_path: Path,
) -> None:
    data = random.Random(13).randbytes(FILE_BYTES)
    with Stand(tmp_path, plantid_delay=0.5, env={"MAX_PHOTO_BYTES": str(MAX_PHOTO_BYTES)}) as stand:
        (person,) = stand.people(1, language="de")
        bot = stand.start_bot()
        await stand.until_polling(bot)
        sent = stand.telegram.send_document(
            person.user,
            person.chat,
            data,
            file_name="riesig.jpg",
            mime_type="image/jpeg",
            size_known=False,
        )
        telegram = stand.telegram

        def answered() -> bool:
            return any(
                m.reply_to == sent["message_id"] and "MB" in m.visible_text
                for m in telegram.bot_messages(person.chat)
            )

        await telegram.wait_for(answered, timeout=120)
        await telegram.wait_for(lambda: bool(telegram.served), timeout=60)
        await wait_until(
            lambda: stand.query("SELECT state FROM identifications") == [("failed",)],
            60,
            what="the identification to end",
        )
        code, _ = bot.terminate(grace=30)
        assert code == 0, bot.log.read_text()

        (answer,) = telegram.bot_messages(person.chat)
        too_large = render_failure(
            FailureReason.TOO_BIG,
            "de",
            Translator.from_package(),
            max_photo_bytes=MAX_PHOTO_BYTES,
        )
        assert answer.visible_text == too_large
        (call,) = telegram.calls_to("getFile")
        assert "file_size" not in call.params
        # The bot hung up at the cap, so the rest of the file never left the fake Bot API (what
        # did left fills the socket buffers, a few MB on loopback, not the bot's memory).
        ((_, served),) = telegram.served
        assert served < FILE_BYTES
        assert stand.plantid.requests_to("enqueue_identification") == []
        assert leaked_secrets(tmp_path) == []
