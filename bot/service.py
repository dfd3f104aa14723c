"""The identification flow: a stored state machine driven by handlers and a background worker."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from bot.callbacks import ConfirmPress
from bot.i18n import Translator
from bot.model import (
    ChatError,
    ChatUnwritable,
    FailureReason,
    IdentificationRequest,
    IdentificationState,
    PhotoRef,
    PhotoUnavailable,
    ReplyTo,
    TryLater,
)
from bot.permissions import may_confirm
from bot.places import rounded
from bot.rendering import (
    ButtonAnswer,
    RenderedMessage,
    ResultOptions,
    confirm_keyboard,
    display_name,
    render_failure,
    render_result,
    shown_suggestions,
)
from plantid import (
    BadCredentials,
    Identification,
    InvalidRequest,
    NotFound,
    OutOfCredits,
    PlantIdClient,
    PlantIdError,
    PlantIdRefused,
    PlantIdUnavailable,
)
from plantid.images import ImageError, PreparedImage, UnsupportedImage, prepare_image_async
from storage.models import IdentificationRecord
from storage.repositories import IdentificationRepository

logger = logging.getLogger(__name__)

PLANT_DETAILS = ("common_names", "url", "wiki_description", "name_authority", "taxonomy")
# get_identification_result/multiple takes a list of ids; keep each request small.
POLL_CHUNK = 50
DUE_BATCH = 200
SUBMIT_CONCURRENCY = 4
CONFIRM_TIMEOUT = 8.0


class Chat(Protocol):
    """What the flow needs from a chat service; `bot.chat.TelegramChat` is the real one.

    Every method raises a `bot.model.ChatError` subclass when the chat refuses.
    """

    async def send_status(self, place: ReplyTo, text: str) -> int: ...

    async def edit_text(self, place: ReplyTo, message_id: int, text: str) -> None: ...

    async def show(
        self, place: ReplyTo, status_message_id: int | None, message: RenderedMessage
    ) -> int: ...

    async def download(self, photo: PhotoRef, *, max_bytes: int) -> bytes: ...


@dataclass(frozen=True)
class FlowSettings:
    """The knobs of the identification flow, named as in `Settings`, which holds the defaults."""

    result: ResultOptions
    custom_id_offset: int
    poll_interval_min: float
    poll_interval_max: float
    identification_max_age: float
    slow_notice_after: float
    max_photo_bytes: int
    max_image_side: int
    use_photo_gps: bool = True


class _KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        """Hold the lock of `key` for the duration of the block."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class IdentificationService:
    """Record photo requests, drive them through Plant.id, deliver and confirm results."""

    def __init__(
        self,
        *,
        repository: IdentificationRepository,
        plantid: PlantIdClient,
        chat: Chat,
        translate: Translator,
        settings: FlowSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repository = repository
        self._plantid = plantid
        self._chat = chat
        self._translate = translate
        self._settings = settings
        self._clock = clock
        self._submit_slots = asyncio.Semaphore(SUBMIT_CONCURRENCY)
        self._press_locks = _KeyedLocks()
        self.work_available = asyncio.Event()

    # -- called by handlers -------------------------------------------------------------------

    @property
    def translate(self) -> Translator:
        """Return the message catalogues."""
        return self._translate

    def language_for(self, language_code: str | None) -> str:
        """Return the supported language for a Telegram `language_code`."""
        return self._translate.resolve(language_code)

    async def accept_photo(self, request: IdentificationRequest) -> None:
        """Record a photo request, acknowledge it with a status message, wake the worker."""
        record = await self._repository.create(request, now=self._clock())
        if record is None:
            logger.info(
                "message %s in chat %s is already recorded",
                request.request_message_id,
                request.chat_id,
            )
            return
        try:
            await self.acknowledge(record, self._translate(record.language, "status_looking"))
        except ChatUnwritable as error:
            logger.warning("status message for identification %s not sent: %s", record.id, error)
            self.work_available.set()

    async def acknowledge(self, record: IdentificationRecord, text: str) -> None:
        """Reply to a stored request with status `text`, then wake the worker.

        Raises ChatUnwritable (without waking the worker) so the caller can close the chat
        before any credit is spent on it.
        """
        try:
            status_id = await self._chat.send_status(record.reply_to, text)
        except ChatUnwritable:
            raise
        except ChatError as error:
            # The request is stored either way; the result will be sent as a new reply.
            logger.warning("status message for identification %s not sent: %s", record.id, error)
        else:
            await self._repository.set_status_message(record.id, status_id)
        # Woken only now, so the worker edits the status message rather than racing it.
        self.work_available.set()

    async def press_confirm(
        self, press: ConfirmPress, *, user_id: int, language_code: str | None
    ) -> ButtonAnswer:
        """Confirm, move or remove the confirmation of a suggestion, as the button says."""
        answer_language = self.language_for(language_code)
        # Presses on one result take turns; presses on different results never wait for each other.
        async with self._press_locks.hold(press.identification_id):
            record = await self._repository.get(press.identification_id)
            if record is None or record.state != IdentificationState.DELIVERED:
                return ButtonAnswer(self._translate(answer_language, "confirm_stale"))
            if not may_confirm(record, user_id):
                return ButtonAnswer(
                    self._translate(answer_language, "confirm_not_yours"), show_alert=True
                )
            suggestions = shown_suggestions(self._result_of(record), self._settings.result)
            if press.index >= len(suggestions):
                return ButtonAnswer(self._translate(answer_language, "confirm_stale"))
            chosen = suggestions[press.index]
            undo = record.confirmed_suggestion_id == chosen.id
            try:
                # Telegram expects a button press to be answered within seconds.
                async with asyncio.timeout(CONFIRM_TIMEOUT):
                    if undo:
                        await self._plantid.unconfirm_suggestion(chosen.id)
                    else:
                        await self._plantid.confirm_suggestion(chosen.id)
            except TimeoutError:
                logger.warning("confirming suggestion %s timed out", chosen.id)
                return ButtonAnswer(self._translate(answer_language, "confirm_unavailable"))
            except NotFound:
                return ButtonAnswer(self._translate(answer_language, "confirm_stale"))
            except PlantIdError as error:
                logger.warning("confirming suggestion %s failed: %s", chosen.id, error)
                return ButtonAnswer(self._translate(answer_language, "confirm_unavailable"))
            confirmed_id = None if undo else chosen.id
            await self._repository.set_confirmed_suggestion(record.id, confirmed_id)
        keyboard = confirm_keyboard(
            record.id, suggestions, confirmed_id, record.language, self._translate
        )
        if undo:
            return ButtonAnswer(
                self._translate(answer_language, "confirm_removed"), keyboard=keyboard
            )
        name = display_name(chosen, answer_language)
        text = self._translate(answer_language, "confirm_done", name=name)
        return ButtonAnswer(text, keyboard=keyboard)

    # -- called by the worker -----------------------------------------------------------------

    async def process_due(self) -> float | None:
        """Advance every identification that is due now; return when the next one is due."""
        now = self._clock()
        due = await self._repository.due(now, limit=DUE_BATCH)
        expired = [record for record in due if self._expired(record, now)]
        for record in expired:
            await self._repository.mark_failed(
                record.id, reason=FailureReason.TIMED_OUT.value, now=now
            )
        expired_ids = {record.id for record in expired}
        live = [record for record in due if record.id not in expired_ids]
        pending = [record for record in live if record.state == IdentificationState.PENDING]
        others = [record for record in live if record.state != IdentificationState.PENDING]
        await asyncio.gather(
            self._poll(pending), *(self._guarded(self._advance, record) for record in others)
        )
        if expired or len(due) == DUE_BATCH:
            return now
        return await self._repository.next_due_at()

    def _expired(self, record: IdentificationRecord, now: float) -> bool:
        waiting = record.state in (
            IdentificationState.RECEIVED,
            IdentificationState.SUBMITTING,
            IdentificationState.PENDING,
        )
        return waiting and now - record.created_at > self._settings.identification_max_age

    async def _guarded(
        self, step: Callable[[IdentificationRecord], Awaitable[None]], record: IdentificationRecord
    ) -> None:
        try:
            await step(record)
        except TryLater as error:
            await self._retry_later(record, str(error))
        except Exception:
            # One broken row must not stall the others; it is retried with backoff until it expires.
            logger.exception(
                "identification %s failed unexpectedly in state %s", record.id, record.state
            )
            await self._retry_later(record, "unexpected error")

    async def _advance(self, record: IdentificationRecord) -> None:
        if record.state in (IdentificationState.RECEIVED, IdentificationState.SUBMITTING):
            async with self._submit_slots:
                await self._submit(record)
        elif record.state == IdentificationState.COMPLETED:
            await self._deliver(record)
        elif record.state == IdentificationState.FAILED:
            await self._notify_failure(record)

    async def _retry_later(self, record: IdentificationRecord, why: str) -> None:
        now = self._clock()
        since = record.unavailable_since or now
        # Back off with the length of the outage, within the polling bounds.
        delay = min(
            max((now - since) / 2, self._settings.poll_interval_min),
            self._settings.poll_interval_max,
        )
        logger.info("identification %s: %s; retrying in %.1f s", record.id, why, delay)
        await self._repository.postpone(
            record.id,
            expected=record.state,
            now=now,
            next_attempt_at=now + delay,
            unavailable_since=since,
        )
        await self._tell_if_slow(record, now)

    async def _tell_if_slow(self, record: IdentificationRecord, now: float) -> None:
        if record.delay_notified or record.status_message_id is None:
            return
        if now - record.created_at < self._settings.slow_notice_after:
            return
        text = self._translate(record.language, "status_slow")
        try:
            await self._chat.edit_text(record.reply_to, record.status_message_id, text)
        except ChatError as error:
            logger.info("slow notice for identification %s not shown: %s", record.id, error)
        await self._repository.mark_delay_notified(record.id)

    # -- submitting ---------------------------------------------------------------------------

    async def _submit(self, record: IdentificationRecord) -> None:
        if record.state == IdentificationState.SUBMITTING and await self._recover(record):
            return
        try:
            prepared = await self._prepare_photos(record.photos)
        except PhotoUnavailable as problem:
            await self._fail(record, problem.reason)
            return
        images = [image.base64 for image in prepared]
        record = await self._with_photo_place(record, prepared)
        now = self._clock()
        custom_id = record.id + self._settings.custom_id_offset
        # Stored before the request so a crash after it is sent is recovered by custom_id.
        if not await self._repository.start_submitting(record.id, custom_id=custom_id, now=now):
            return
        try:
            identification = await self._plantid.enqueue_identification(
                images,
                latitude=record.latitude,
                longitude=record.longitude,
                custom_id=custom_id,
            )
        except PlantIdUnavailable as error:
            raise TryLater(f"enqueue failed: {error}") from error
        except PlantIdRefused as error:
            await self._fail(record, self._refusal_reason(error))
            return
        await self._repository.mark_pending(
            record.id,
            plantid_id=identification.id,
            now=now,
            next_attempt_at=self._clock() + self._settings.poll_interval_min,
        )

    async def _recover(self, record: IdentificationRecord) -> bool:
        """Look up an earlier, unconfirmed submission by custom_id; True if it was found."""
        if record.custom_id is None:
            return False
        try:
            found = await self._plantid.get_identification_result_by_custom_id(record.custom_id)
        except NotFound:
            return False
        except PlantIdUnavailable as error:
            raise TryLater(f"lookup by custom_id failed: {error}") from error
        logger.info("identification %s was already submitted as %s", record.id, found.id)
        await self._repository.mark_pending(
            record.id, plantid_id=found.id, now=self._clock(), next_attempt_at=self._clock()
        )
        return True

    def _refusal_reason(self, error: PlantIdRefused) -> FailureReason:
        if isinstance(error, OutOfCredits):
            logger.error("Plant.id credits exhausted: %s", error.detail)
            return FailureReason.OUT_OF_CREDITS
        if isinstance(error, BadCredentials):
            logger.error("Plant.id rejects PLANT_ID_API_KEY: %s", error.detail)
            return FailureReason.SERVICE
        if isinstance(error, InvalidRequest):
            logger.error("Plant.id rejected a request: %s", error.detail)
            return FailureReason.REJECTED
        logger.error("Plant.id refused a request: %s", error)
        return FailureReason.SERVICE

    async def _prepare_photos(self, photos: Sequence[PhotoRef]) -> list[PreparedImage]:
        images = []
        for photo in photos:
            data = await self._chat.download(photo, max_bytes=self._settings.max_photo_bytes)
            try:
                prepared = await prepare_image_async(data, max_side=self._settings.max_image_side)
            except UnsupportedImage as error:
                # Files are sniffed here, from their bytes: a PDF named plant.jpg is no photo.
                logger.info("file %s is not an image: %s", photo.file_unique_id, error)
                raise PhotoUnavailable(FailureReason.NOT_IMAGE) from error
            except ImageError as error:
                logger.info("photo %s is unusable: %s", photo.file_unique_id, error)
                raise PhotoUnavailable(FailureReason.UNREADABLE) from error
            images.append(prepared)
        return images

    async def _with_photo_place(
        self, record: IdentificationRecord, prepared: Sequence[PreparedImage]
    ) -> IdentificationRecord:
        """Take the place from a file's EXIF GPS when the person shared none (rounded, stored)."""
        if record.latitude is not None or not self._settings.use_photo_gps:
            return record
        found = next((image.location for image in prepared if image.location), None)
        point = rounded(*found) if found else None
        if point is None:
            return record
        await self._repository.set_photo_place(record.id, point.latitude, point.longitude)
        return dataclasses.replace(
            record,
            latitude=point.latitude,
            longitude=point.longitude,
            location_source="photo",
        )

    # -- polling ------------------------------------------------------------------------------

    async def _poll(self, records: Sequence[IdentificationRecord]) -> None:
        for start in range(0, len(records), POLL_CHUNK):
            chunk = records[start : start + POLL_CHUNK]
            ids = [record.plantid_id for record in chunk if record.plantid_id is not None]
            try:
                results = await self._plantid.get_identification_results(ids=ids)
            except PlantIdError as error:
                if isinstance(error, PlantIdRefused):
                    logger.error("polling Plant.id was refused: %s", error)
                for record in chunk:
                    await self._retry_later(record, f"polling failed: {error}")
                continue
            by_id = {result.id: result for result in results}
            for record in chunk:
                await self._guarded(
                    partial(self._settle, result=by_id.get(record.plantid_id or -1)), record
                )

    async def _settle(self, record: IdentificationRecord, *, result: Identification | None) -> None:
        now = self._clock()
        if result is not None and result.is_pending:
            await self._repository.record_poll(
                record.id, now=now, next_attempt_at=now + self._poll_interval(record)
            )
            await self._tell_if_slow(record, now)
            return
        if result is not None and result.is_failed:
            logger.warning(
                "Plant.id failed identification %s: %s", record.plantid_id, result.fail_cause
            )
            await self._fail(record, FailureReason.REJECTED)
            return
        assert record.plantid_id is not None
        try:
            detailed = await self._plantid.get_identification_result(
                record.plantid_id, plant_details=list(PLANT_DETAILS), plant_language=record.language
            )
        except NotFound:
            logger.warning("Plant.id no longer knows identification %s", record.plantid_id)
            await self._fail(record, FailureReason.REJECTED)
            return
        except PlantIdError as error:
            raise TryLater(f"fetching the result failed: {error}") from error
        if detailed.is_pending:
            await self._repository.record_poll(
                record.id, now=now, next_attempt_at=now + self._poll_interval(record)
            )
            return
        await self._repository.mark_completed(
            record.id,
            plantid_id=detailed.id,
            result_json=detailed.model_dump_json(by_alias=True),
            now=self._clock(),
        )

    def _poll_interval(self, record: IdentificationRecord) -> float:
        # Most answers come within seconds; long waits are polled less and less often.
        interval = self._settings.poll_interval_min * (1.5**record.polls)
        return min(interval, self._settings.poll_interval_max)

    # -- delivering ---------------------------------------------------------------------------

    def _result_of(self, record: IdentificationRecord) -> Identification:
        assert record.result_json is not None
        return Identification.model_validate_json(record.result_json)

    async def _deliver(self, record: IdentificationRecord) -> None:
        message = render_result(
            self._result_of(record),
            record.language,
            self._translate,
            self._settings.result,
            identification_id=record.id,
            confirmed_suggestion_id=record.confirmed_suggestion_id,
            confirm_buttons=record.confirmable,
            notes=self._notes(record),
        )
        message_id = await self._show(record, message)
        await self._repository.mark_delivered(
            record.id, result_message_id=message_id, now=self._clock()
        )

    def _notes(self, record: IdentificationRecord) -> list[str]:
        if record.location_source == "photo":
            return [self._translate(record.language, "location_from_photo")]
        return []

    async def _fail(self, record: IdentificationRecord, reason: FailureReason) -> None:
        if await self._repository.mark_failed(record.id, reason=reason.value, now=self._clock()):
            self.work_available.set()

    async def _notify_failure(self, record: IdentificationRecord) -> None:
        reason = FailureReason.parse(record.failure_reason)
        text = render_failure(reason, record.language, self._translate)
        await self._show(record, RenderedMessage(text))
        await self._repository.mark_failure_notified(record.id, now=self._clock())

    async def _show(self, record: IdentificationRecord, message: RenderedMessage) -> int | None:
        """Put `message` where the person sees it; return its id (None if the chat is closed)."""
        if record.status_message_id is None:
            # The status message may have been stored since this record was read.
            record = await self._repository.get(record.id) or record
        try:
            return await self._chat.show(record.reply_to, record.status_message_id, message)
        except ChatUnwritable as error:
            logger.info("chat %s can't be written to: %s", record.chat_id, error)
            return None
