"""The one place where the identification flow talks to Telegram.

Every Telegram error is translated here into the flow's vocabulary (`bot.model.ChatError`), and
every check of an error's text is a named predicate below: nothing else matches on
`error.message`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

import httpx
from telegram import Bot, InputMediaPhoto, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.model import (
    ChatError,
    ChatMoved,
    ChatUnwritable,
    FailureReason,
    MessageRejected,
    PhotoRef,
    PhotoUnavailable,
    ReplyTo,
    TryLater,
)
from bot.ratelimit import urgent_calls
from bot.rendering import RenderedMessage

logger = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _reply_parameters(place: ReplyTo) -> ReplyParameters:
    # The request may have been deleted meanwhile; the answer still belongs in the chat.
    return ReplyParameters(place.message_id, allow_sending_without_reply=True)


def _seconds(delay: float | dt.timedelta) -> float:
    return delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)


def is_not_modified(error: BadRequest) -> bool:
    """Tell whether an edit was refused because it would change nothing."""
    return "not modified" in error.message.lower()


def is_message_gone(error: BadRequest) -> bool:
    """Tell whether the message to edit was deleted or can no longer be edited."""
    text = error.message.lower()
    # Only the message: "chat not found" means the whole chat is gone, and a new message
    # would be refused the same way.
    return any(
        sign in text
        for sign in ("message to edit not found", "message not found", "can't be edited")
    )


def is_too_big(error: BadRequest) -> bool:
    """Tell whether the Bot API refused to serve a file because of its size."""
    return "too big" in error.message.lower()


def _as_chat_error(error: TelegramError) -> ChatError:
    """Translate a Telegram error into what the flow should do about it."""
    # PTB's BadRequest and TimedOut are subclasses of NetworkError: a BadRequest must be told
    # apart before the generic NetworkError, which means "try again".
    if isinstance(error, Forbidden):
        return ChatUnwritable(error.message)
    if isinstance(error, RetryAfter):
        return TryLater(f"flood control: {error.message}", retry_after=_seconds(error.retry_after))
    if isinstance(error, ChatMigrated):
        return ChatMoved(error.new_chat_id)
    if isinstance(error, BadRequest):
        return MessageRejected(error.message)
    if isinstance(error, NetworkError):
        return TryLater(f"Telegram failed: {error.message}")
    return MessageRejected(error.message)


class TelegramChat:
    """Send, edit and download on behalf of the identification flow."""

    def __init__(
        self,
        bot: Bot,
        *,
        on_error: Callable[[str], None] | None = None,
        files: httpx.AsyncClient | None = None,
    ) -> None:
        self._bot = bot
        self._on_error = on_error
        # Downloads stream through their own client, so a size cap holds while bytes arrive.
        self._files = files

    def _chat_error(self, error: TelegramError) -> ChatError:
        """Count the error by its kind (the Telegram error class), then translate it."""
        self._count(type(error).__name__)
        return _as_chat_error(error)

    async def send_status(self, place: ReplyTo, text: str) -> int:
        """Reply to the request with a short plain-text status; return the message id."""
        try:
            # The person has just sent the photo: this goes before results waiting for the limit.
            with urgent_calls():
                status = await self._bot.send_message(
                    place.chat_id,
                    text,
                    reply_parameters=ReplyParameters(
                        place.message_id, allow_sending_without_reply=True
                    ),
                    message_thread_id=place.message_thread_id,
                )
        except TelegramError as error:
            raise self._chat_error(error) from error
        return status.message_id

    async def edit_text(self, place: ReplyTo, message_id: int, text: str) -> None:
        """Replace the plain text of one of the bot's messages."""
        try:
            await self._bot.edit_message_text(text, place.chat_id, message_id)
        except BadRequest as error:
            if is_not_modified(error):
                return
            raise self._chat_error(error) from error
        except TelegramError as error:
            raise self._chat_error(error) from error

    async def show(
        self, place: ReplyTo, status_message_id: int | None, message: RenderedMessage
    ) -> int:
        """Edit the status message into `message`, or reply anew if it is gone; return its id."""
        try:
            if status_message_id is not None:
                try:
                    await self._bot.edit_message_text(
                        message.text,
                        place.chat_id,
                        status_message_id,
                        parse_mode=ParseMode.HTML,
                        reply_markup=message.keyboard,
                        link_preview_options=_NO_PREVIEW,
                    )
                    return status_message_id
                except BadRequest as error:
                    # An edit repeated after a crash changes nothing: the result is already there.
                    if is_not_modified(error):
                        return status_message_id
                    if not is_message_gone(error):
                        raise
                    logger.info("status message %s in chat %s is gone", status_message_id, place)
            sent = await self._bot.send_message(
                place.chat_id,
                message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=message.keyboard,
                link_preview_options=_NO_PREVIEW,
                message_thread_id=place.message_thread_id,
                reply_parameters=ReplyParameters(
                    place.message_id, allow_sending_without_reply=True
                ),
            )
        except TelegramError as error:
            raise self._chat_error(error) from error
        return sent.message_id

    async def send(self, place: ReplyTo, message: RenderedMessage) -> int:
        """Reply to `place` with a new HTML message; return its id."""
        try:
            sent = await self._bot.send_message(
                place.chat_id,
                message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=message.keyboard,
                link_preview_options=_NO_PREVIEW,
                message_thread_id=place.message_thread_id,
                reply_parameters=_reply_parameters(place),
            )
        except TelegramError as error:
            raise _as_chat_error(error) from error
        return sent.message_id

    async def post(self, chat_id: int, text: str) -> int:
        """Send a new HTML message (not a reply) to `chat_id`; return its id."""
        try:
            sent = await self._bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
            )
        except TelegramError as error:
            raise _as_chat_error(error) from error
        return sent.message_id

    async def send_photos(self, place: ReplyTo, photos: Sequence[tuple[bytes, str]]) -> None:
        """Reply with photos and their HTML captions: one album, or a lone photo."""
        try:
            if len(photos) == 1:
                ((data, caption),) = photos
                await self._bot.send_photo(
                    place.chat_id,
                    data,
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=place.message_thread_id,
                    reply_parameters=_reply_parameters(place),
                )
                return
            # An album holds 2-10 items (Bot API sendMediaGroup).
            await self._bot.send_media_group(
                place.chat_id,
                [
                    InputMediaPhoto(data, caption=caption, parse_mode=ParseMode.HTML)
                    for data, caption in photos[:10]
                ],
                message_thread_id=place.message_thread_id,
                reply_parameters=_reply_parameters(place),
            )
        except TelegramError as error:
            raise _as_chat_error(error) from error

    async def download(self, photo: PhotoRef, *, max_bytes: int) -> bytes:
        """Download a photo's bytes, refusing files larger than `max_bytes`."""
        if photo.file_size is not None and photo.file_size > max_bytes:
            raise PhotoUnavailable(FailureReason.TOO_BIG)
        try:
            telegram_file = await self._bot.get_file(photo.file_id)
            if (telegram_file.file_size or 0) > max_bytes:
                raise PhotoUnavailable(FailureReason.TOO_BIG)
            url = telegram_file.file_path or ""
            if self._files is not None and url.startswith(("http://", "https://")):
                return await self._stream(self._files, url, max_bytes)
            # A local Bot API server hands out paths on disk: PTB reads those itself.
            data = bytes(await telegram_file.download_as_bytearray())
        except BadRequest as error:
            self._chat_error(error)
            reason = FailureReason.TOO_BIG if is_too_big(error) else FailureReason.UNREADABLE
            raise PhotoUnavailable(reason) from error
        except InvalidToken as error:
            # PTB says InvalidToken for a file URL answering 404: the file is gone or the id is
            # bad. Tried a few times (a hiccup), then the person is asked to send it again.
            self._chat_error(error)
            raise _download_gone() from error
        except (NetworkError, RetryAfter) as error:
            self._chat_error(error)
            raise TryLater(
                f"photo download failed: {error}", failure=FailureReason.DOWNLOAD
            ) from error
        if len(data) > max_bytes:
            raise PhotoUnavailable(FailureReason.TOO_BIG)
        return data

    async def _stream(self, files: httpx.AsyncClient, url: str, max_bytes: int) -> bytes:
        """Fetch a file URL, stopping as soon as more than `max_bytes` arrived."""
        # getFile may leave file_size out (or be wrong): only a cap while streaming bounds the
        # memory. The URL holds the bot token, so no error below may carry it.
        body = bytearray()
        try:
            async with files.stream("GET", url) as response:
                if response.status_code == httpx.codes.NOT_FOUND:
                    self._count("FileNotFound")
                    raise _download_gone()
                if response.status_code != httpx.codes.OK:
                    self._count("FileDownloadFailed")
                    raise TryLater(
                        f"photo download answered HTTP {response.status_code}",
                        failure=FailureReason.DOWNLOAD,
                    )
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise PhotoUnavailable(FailureReason.TOO_BIG)
        except httpx.HTTPError as error:
            self._count(type(error).__name__)
            raise TryLater(
                f"photo download failed: {type(error).__name__}", failure=FailureReason.DOWNLOAD
            ) from None
        return bytes(body)

    def _count(self, kind: str) -> None:
        if self._on_error is not None:
            self._on_error(kind)


def _download_gone() -> TryLater:
    return TryLater("photo download answered 404", per_row=True, failure=FailureReason.DOWNLOAD)
