"""Files whose size Telegram leaves out, served in pieces like Telegram's file host does."""

from __future__ import annotations

from telegram import Bot

from sandbox.telegram import FakeChat, FakeTelegram, FakeUser


async def test_a_document_without_file_size_is_still_served_whole(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, alice_chat: FakeChat
) -> None:
    data = bytes(range(256)) * 1024
    fake.send_document(alice, alice_chat, data, file_name="leaf.jpg", size_known=False)
    (update,) = (await bot.get_updates())[-1:]
    assert update.message is not None
    document = update.message.document
    assert document is not None
    assert document.file_size is None

    telegram_file = await bot.get_file(document.file_id)
    assert telegram_file.file_size is None
    assert bytes(await telegram_file.download_as_bytearray()) == data
    await fake.wait_for(lambda: bool(fake.served))
    (path,) = fake.downloads
    assert fake.served == [(path, len(data))]
