"""The identification flow: a stored state machine driven by handlers and a background worker."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Protocol

from bot.callbacks import ConfirmPress
from bot.i18n import Translator
from bot.locks import KeyedLocks
from bot.model import (
    UNDELIVERABLE,
    ChatError,
    ChatMoved,
    ChatUnwritable,
    FailureReason,
    IdentificationRequest,
    IdentificationState,
    MessageRejected,
    PhotoRef,
    PhotoUnavailable,
    ReplyTo,
    TryLater,
    WorkLane,
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
    Health,
    Identification,
    InvalidRequest,
    NotFound,
    OutOfCredits,
    PlantIdClient,
    PlantIdError,
    PlantIdRefused,
    PlantIdUnavailable,
    ResultView,
    lacks_details,
)
from plantid.images import (
    ImageError,
    ImagePreparer,
    ImageTooLarge,
    PreparedImage,
    UnsupportedImage,
)
from storage.models import IdentificationRecord
from storage.repositories import IdentificationRepository

logger = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 8.0
# Polls of a pending result at the shortest interval before backing off (about ten seconds).
BRISK_POLLS = 10
# "Taking longer" edits waiting for Telegram's send limit at once; the rest are told at a later
# poll, so a backlog of thousands waits in the database instead of as tasks in memory.
SLOW_NOTICES_IN_FLIGHT = 100


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

    async def send(self, place: ReplyTo, message: RenderedMessage) -> int: ...

    async def send_photos(self, place: ReplyTo, photos: Sequence[tuple[bytes, str]]) -> None: ...


class LanguageChoices(Protocol):
    """Where a person's chosen interface language is kept."""

    async def language_of(self, user_id: int) -> str | None: ...


class OperatorAlerts(Protocol):
    """Who hears about Plant.id refusing the bot (`bot.admin.Operator` is the real one)."""

    @property
    def is_told(self) -> bool: ...

    def plantid_refused(self, error: PlantIdRefused) -> None: ...


class CallbackUrls(Protocol):
    """Where Plant.id may announce a finished identification (webhook mode only)."""

    async def callback_url(self, identification_id: int) -> str: ...


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
    max_attempts: int = 8
    # Presses on the confirmed suggestion this soon after confirming it are the same tap, repeated.
    double_tap_window: float = 1.5
    delivery_max_age: float = 3600.0
    use_photo_gps: bool = True
    health: Health | None = "auto"


class IdentificationService:
    """Record photo requests, drive them through Plant.id, deliver and confirm results."""

    def __init__(
        self,
        *,
        repository: IdentificationRepository,
        plantid: PlantIdClient,
        chat: Chat,
        images: ImagePreparer,
        confirm_plantid: PlantIdClient | None = None,
        translate: Translator,
        settings: FlowSettings,
        clock: Callable[[], float] = time.time,
        languages: LanguageChoices | None = None,
        operator: OperatorAlerts | None = None,
        callbacks: CallbackUrls | None = None,
    ) -> None:
        self._languages = languages
        self._operator = operator
        self._repository = repository
        self._callbacks = callbacks
        self._plantid = plantid
        self._confirm_plantid = confirm_plantid or plantid
        self._chat = chat
        self._images = images
        self._translate = translate
        self._settings = settings
        self._clock = clock
        self._press_locks = KeyedLocks()
        self._notices: set[asyncio.Task[None]] = set()
        self._wake: dict[WorkLane | None, asyncio.Event] = {
            lane: asyncio.Event() for lane in (None, *WorkLane)
        }

    # -- called by handlers -------------------------------------------------------------------

    @property
    def translate(self) -> Translator:
        """Return the message catalogues."""
        return self._translate

    def language_for(self, language_code: str | None) -> str:
        """Return the supported language for a Telegram `language_code`."""
        return self._translate.resolve(language_code)

    async def language_of(self, user_id: int, language_code: str | None) -> str:
        """Return the person's chosen language, else the one for their Telegram language_code."""
        return await self._chosen_language(user_id) or self.language_for(language_code)

    async def _chosen_language(self, user_id: int) -> str | None:
        chosen = await self._languages.language_of(user_id) if self._languages else None
        return chosen if chosen in self._translate.languages else None

    def wake_event(self, lane: WorkLane | None) -> asyncio.Event:
        """Return the event that wakes `lane` (None: the status-message lane)."""
        return self._wake[lane]

    def wake(self, *lanes: WorkLane | None) -> None:
        """Tell the given lanes (all, if none given) that there may be work for them."""
        for lane in lanes or tuple(self._wake):
            self._wake[lane].set()

    async def accept_photo(self, request: IdentificationRequest) -> None:
        """Record a photo request; the worker acknowledges it and takes it from there."""
        chosen = await self._chosen_language(request.user_id)
        if chosen is not None and chosen != request.language:
            request = replace(request, language=chosen)
        record = await self._repository.create(request, now=self._clock())
        if record is None:
            logger.info(
                "message %s in chat %s is already recorded",
                request.request_message_id,
                request.chat_id,
            )
            return
        self.wake()

    async def press_confirm(
        self, press: ConfirmPress, *, user_id: int, language_code: str | None
    ) -> ButtonAnswer:
        """Confirm, move or remove the confirmation of a suggestion, or record "none of these"."""
        answer_language = await self.language_of(user_id, language_code)
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
            if press.index is None:
                chosen = next(
                    (item for item in suggestions if item.id == record.confirmed_suggestion_id),
                    None,
                )
                undo = True
            elif press.index >= len(suggestions):
                return ButtonAnswer(self._translate(answer_language, "confirm_stale"))
            else:
                chosen = suggestions[press.index]
                undo = record.confirmed_suggestion_id == chosen.id
                if undo and self._just_confirmed(record):
                    # A double tap is one press: the second must not undo the first.
                    name = display_name(chosen, answer_language)
                    return ButtonAnswer(self._translate(answer_language, "confirm_done", name=name))
            try:
                # Telegram expects a button press to be answered within seconds.
                async with asyncio.timeout(CONFIRM_TIMEOUT):
                    if chosen is not None and undo:
                        await self._confirm_plantid.unconfirm_suggestion(chosen.id)
                    elif chosen is not None:
                        await self._confirm_plantid.confirm_suggestion(chosen.id)
            except TimeoutError:
                logger.warning("confirming a suggestion of %s timed out", record.id)
                return ButtonAnswer(self._translate(answer_language, "confirm_unavailable"))
            except NotFound:
                return ButtonAnswer(self._translate(answer_language, "confirm_stale"))
            except PlantIdError as error:
                logger.warning("confirming a suggestion of %s failed: %s", record.id, error)
                return ButtonAnswer(self._translate(answer_language, "confirm_unavailable"))
            if press.index is None:
                await self._repository.record_none_of_these(record.id, now=self._clock())
                confirmed_id = None
            else:
                confirmed_id = None if undo or chosen is None else chosen.id
                await self._repository.record_confirmation(
                    record.id, confirmed_id, now=self._clock()
                )
        keyboard = confirm_keyboard(
            record.id,
            suggestions,
            confirmed_id,
            record.language,
            self._translate,
            health_button=self._settings.result.health_button,
        )
        if press.index is None:
            text = self._translate(answer_language, "none_recorded")
        elif undo or chosen is None:
            text = self._translate(answer_language, "confirm_removed")
        else:
            name = display_name(chosen, answer_language)
            text = self._translate(answer_language, "confirm_done", name=name)
        return ButtonAnswer(text, keyboard=keyboard)

    # -- steps, each on one leased record (called by the worker's lanes) ------------------------

    async def send_status(self, record: IdentificationRecord) -> None:
        """Acknowledge a new request with a status message replying to the photo."""
        if record.requester_name:
            # In a group the status says whom it answers.
            text = self._translate(
                record.language, "status_looking_for", name=record.requester_name
            )
        else:
            text = self._translate(record.language, "status_looking")
        try:
            message_id = await self._chat.send_status(record.reply_to, text)
        except TryLater as error:
            if record.status_attempts + 1 >= self._settings.max_attempts:
                logger.warning("status of identification %s given up: %s", record.id, error)
                await self._repository.settle_status_message(record.id)
                self.wake(WorkLane.SUBMIT, WorkLane.DELIVER)
            else:
                delay = self._backoff(record.status_attempts, error.retry_after)
                await self._repository.retry_status_message(record.id, at=self._clock() + delay)
            return
        except ChatMoved as error:
            await self._repository.move_chat(record.chat_id, error.new_chat_id)
            await self._repository.retry_status_message(record.id, at=self._clock())
            return
        except ChatUnwritable as error:
            # Nobody can read the answer: don't spend a Plant.id credit on it.
            logger.info(
                "chat %s can't be written to (%s); dropping its request", record.chat_id, error
            )
            await self._repository.settle_status_message(record.id)
            if await self._repository.mark_failed(
                record.id, reason=UNDELIVERABLE, now=self._clock()
            ):
                await self._repository.mark_failure_notified(record.id, now=self._clock())
            return
        except ChatError as error:
            logger.warning("status message of identification %s refused: %s", record.id, error)
            await self._repository.settle_status_message(record.id)
            self.wake(WorkLane.SUBMIT, WorkLane.DELIVER)
            return
        if not await self._repository.record_status_message(record.id, message_id):
            logger.info("identification %s answered before its status message", record.id)
        self.wake(WorkLane.SUBMIT, WorkLane.DELIVER)

    async def submit(self, record: IdentificationRecord, *, owner: str) -> None:
        """Prepare the photos and enqueue them at Plant.id, paying at most once per request."""
        if self._expired(record):
            await self._fail(record, FailureReason.TIMED_OUT)
            return
        try:
            await self._submit(record, owner)
        except TryLater as error:
            # The attempt may have moved the row to submitting: postpone it from where it is.
            await self._retry_later(await self._repository.get(record.id) or record, error)

    async def poll(self, records: Sequence[IdentificationRecord], *, owner: str) -> None:
        """Ask Plant.id about every pending record at once and settle each answer."""
        waiting: list[IdentificationRecord] = []
        for record in records:
            if self._expired(record):
                await self._fail(record, FailureReason.TIMED_OUT)
            elif record.plantid_id is None:
                await self._fail(record, FailureReason.SERVICE)
            else:
                waiting.append(record)
        if not waiting:
            return
        by_language: dict[str, list[IdentificationRecord]] = {}
        for record in waiting:
            by_language.setdefault(record.language, []).append(record)
        await asyncio.gather(
            *(self._poll_language(language, group) for language, group in by_language.items())
        )

    async def _poll_language(self, language: str, records: Sequence[IdentificationRecord]) -> None:
        """Poll records that share a language, asking for their details in that language."""
        view = self._view(language)
        ids = [record.plantid_id for record in records if record.plantid_id is not None]
        try:
            polled = await self._plantid.poll_identifications(ids, view=view)
        except PlantIdError as error:
            if isinstance(error, PlantIdRefused):
                logger.error("polling Plant.id was refused: %s", error)
            for record in records:
                await self._retry_later(record, TryLater(f"polling failed: {error}"))
            return
        by_id = {result.id: result for result in polled.results}
        await asyncio.gather(
            *(
                self._settle_guarded(
                    record,
                    by_id.get(record.plantid_id or -1),
                    polled.malformed.get(record.plantid_id or -1),
                )
                for record in records
            )
        )

    async def deliver(self, record: IdentificationRecord) -> None:
        """Show a finished result, or tell the person why there is none."""
        if not record.status_sent:
            # The status message never went out (or just did): settle it, then answer from the
            # row as it is now, editing the status message if there is one.
            await self._repository.settle_status_message(record.id)
            record = await self._repository.get(record.id) or record
        try:
            if record.state == IdentificationState.COMPLETED:
                await self._deliver_result(record)
            elif record.state == IdentificationState.FAILED:
                await self._notify_failure(record)
        except TryLater as error:
            await self._retry_later(record, error)
        except ChatMoved as error:
            await self._repository.move_chat(record.chat_id, error.new_chat_id)
            await self._repository.postpone(
                record.id,
                expected=record.state,
                now=self._clock(),
                next_attempt_at=self._clock(),
                unavailable_since=None,
                error=str(error),
            )
        except MessageRejected as error:
            # Telegram will refuse the same message again: end here rather than retry forever.
            logger.error("Telegram refused the answer to identification %s: %s", record.id, error)
            await self._repository.give_up_delivery(
                record.id, reason=UNDELIVERABLE, now=self._clock()
            )

    async def step_crashed(self, record: IdentificationRecord, error: BaseException) -> None:
        """Count a step that raised unexpectedly; after a few such attempts, end the row."""
        await self._retry_later(
            record,
            _StepFailed(f"unexpected {type(error).__name__}", FailureReason.SERVICE, per_row=True),
        )

    async def stop_notices(self) -> None:
        """Cancel slow notices still being sent (they are cosmetic and recorded already)."""
        for task in list(self._notices):
            task.cancel()
        await asyncio.gather(*self._notices, return_exceptions=True)

    def _just_confirmed(self, record: IdentificationRecord) -> bool:
        confirmed_at = record.confirmed_at
        window = self._settings.double_tap_window
        return confirmed_at is not None and self._clock() - confirmed_at < window

    async def next_due_at(self, lane: WorkLane) -> float | None:
        """Return when `lane` next has work that nobody holds, or None if it has none."""
        return await self._repository.next_due_at(lane)

    # -- the steps' parts ---------------------------------------------------------------------

    def _expired(self, record: IdentificationRecord) -> bool:
        return self._clock() - record.created_at > self._settings.identification_max_age

    def _backoff(self, attempts: int, retry_after: float | None = None) -> float:
        delay = self._settings.poll_interval_min * (2**attempts)
        delay = max(delay, retry_after or 0.0)
        # Spread retries so that rows failing together don't all come back in the same instant.
        return float(min(delay, self._settings.poll_interval_max) * random.uniform(0.8, 1.0))

    async def _retry_later(self, record: IdentificationRecord, error: TryLater) -> None:
        """Postpone the record's current step, or end it once its attempts are used up."""
        now = self._clock()
        # An outage is waited out for as long as the answer is still worth having; a fault of
        # this one row (garbage data, a bug) is tried a bounded number of times.
        used_up = error.per_row and record.step_attempts + 1 >= self._settings.max_attempts
        if used_up or self._too_old(record):
            await self._give_up(record, error)
            return
        since = record.unavailable_since or now
        delay = self._backoff(record.step_attempts, error.retry_after)
        logger.info("identification %s: %s; retrying in %.1f s", record.id, error, delay)
        await self._repository.postpone(
            record.id,
            expected=record.state,
            now=now,
            next_attempt_at=now + delay,
            unavailable_since=since,
            error=str(error),
        )
        self._tell_if_slow(record)

    def _too_old(self, record: IdentificationRecord) -> bool:
        age = self._clock() - record.created_at
        if record.state in (IdentificationState.COMPLETED, IdentificationState.FAILED):
            return age > self._settings.identification_max_age + self._settings.delivery_max_age
        return age > self._settings.identification_max_age

    async def _give_up(self, record: IdentificationRecord, error: TryLater) -> None:
        if record.state in (IdentificationState.COMPLETED, IdentificationState.FAILED):
            logger.error(
                "identification %s: giving up on reaching chat %s after %d attempts: %s",
                record.id,
                record.chat_id,
                record.step_attempts + 1,
                error,
            )
            await self._repository.give_up_delivery(
                record.id, reason=UNDELIVERABLE, now=self._clock()
            )
            return
        logger.warning(
            "identification %s: giving up in state %s after %d attempts: %s",
            record.id,
            record.state,
            record.step_attempts + 1,
            error,
        )
        reason = error.failure or FailureReason.TIMED_OUT
        await self._fail(record, reason)

    def _tell_if_slow(self, record: IdentificationRecord) -> None:
        """Start editing the status into "taking longer" once, without waiting for Telegram."""
        if record.delay_notified or record.status_message_id is None:
            return
        if self._clock() - record.created_at < self._settings.slow_notice_after:
            return
        if len(self._notices) >= SLOW_NOTICES_IN_FLIGHT:
            return
        task = asyncio.create_task(self._slow_notice(record))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def _slow_notice(self, record: IdentificationRecord) -> None:
        assert record.status_message_id is not None
        # Recorded first: the notice is cosmetic, at most once is the right guarantee for it.
        await self._repository.mark_delay_notified(record.id)
        text = self._translate(record.language, "status_slow")
        try:
            await self._chat.edit_text(record.reply_to, record.status_message_id, text)
        except ChatError as error:
            logger.info("slow notice for identification %s not shown: %s", record.id, error)

    async def _submit(self, record: IdentificationRecord, owner: str) -> None:
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
        # Stored before the request, under a live lease, so a crash after it is sent is recovered
        # by custom_id and no other worker can be sending the same request.
        if not await self._repository.start_paid_submission(
            record.id, custom_id=custom_id, owner=owner, now=now
        ):
            logger.info("identification %s is no longer ours to submit", record.id)
            return
        # A callback only wakes the poll: polling stays the safety net, at its slowest pace.
        callback_url = await self._callbacks.callback_url(record.id) if self._callbacks else None
        first_poll = self._settings.poll_interval_max if callback_url else 0.0
        try:
            identification = await self._plantid.enqueue_identification(
                images,
                latitude=record.latitude,
                longitude=record.longitude,
                custom_id=custom_id,
                similar_images=True,
                health=self._settings.health,
                callback_url=callback_url,
            )
        except PlantIdUnavailable as error:
            raise _StepFailed(f"enqueue failed: {error}", FailureReason.SERVICE) from error
        except PlantIdRefused as error:
            await self._fail(record, self._refusal_reason(error))
            return
        await self._repository.mark_pending(
            record.id,
            plantid_id=identification.id,
            now=now,
            next_attempt_at=self._clock() + max(self._settings.poll_interval_min, first_poll),
        )
        self.wake(WorkLane.POLL)

    async def _recover(self, record: IdentificationRecord) -> bool:
        """Look up an earlier, unconfirmed submission by custom_id; True if it was found."""
        if record.custom_id is None:
            return False
        try:
            found = await self._plantid.get_identification_result_by_custom_id(record.custom_id)
        except NotFound:
            return False
        except PlantIdUnavailable as error:
            raise _StepFailed(
                f"lookup by custom_id failed: {error}", FailureReason.SERVICE
            ) from error
        logger.info("identification %s was already submitted as %s", record.id, found.id)
        await self._repository.mark_pending(
            record.id, plantid_id=found.id, now=self._clock(), next_attempt_at=self._clock()
        )
        self.wake(WorkLane.POLL)
        return True

    def _refusal_reason(self, error: PlantIdRefused) -> FailureReason:
        if self._operator is not None:
            self._operator.plantid_refused(error)
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
                prepared = await self._images.prepare(data)
            except UnsupportedImage as error:
                # Files are sniffed here, from their bytes: a PDF named plant.jpg is no photo.
                logger.info("file %s is not an image: %s", photo.file_unique_id, error)
                raise PhotoUnavailable(FailureReason.NOT_IMAGE) from error
            except ImageTooLarge as error:
                logger.info("photo %s is too large: %s", photo.file_unique_id, error)
                raise PhotoUnavailable(FailureReason.TOO_LARGE) from error
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

    async def _settle_guarded(
        self, record: IdentificationRecord, result: Identification | None, garbage: str | None
    ) -> None:
        try:
            if garbage is not None:
                raise _StepFailed(
                    f"Plant.id sent an unreadable result: {garbage}",
                    FailureReason.GARBLED,
                    per_row=True,
                )
            await self._settle(record, result)
        except TryLater as error:
            await self._retry_later(record, error)

    async def _settle(self, record: IdentificationRecord, result: Identification | None) -> None:
        now = self._clock()
        view = self._view(record.language)
        finished = result is not None and not result.is_pending and not result.is_failed
        if result is not None and finished and not lacks_details(result, view):
            await self._complete(record, result)
            return
        if result is not None and result.is_pending:
            await self._repository.record_poll(
                record.id, now=now, next_attempt_at=now + self._poll_interval(record)
            )
            self._tell_if_slow(record)
            return
        if result is not None and result.is_failed:
            logger.warning(
                "Plant.id failed identification %s: %s", record.plantid_id, result.fail_cause
            )
            await self._fail(record, FailureReason.REJECTED)
            return
        assert record.plantid_id is not None
        try:
            detailed = await self._plantid.get_identification_result(record.plantid_id, view=view)
        except NotFound:
            logger.warning("Plant.id no longer knows identification %s", record.plantid_id)
            await self._fail(record, FailureReason.REJECTED)
            return
        except PlantIdUnavailable as error:
            # Garbage for this one result (not an outage) is tried a few times, then reported.
            garbled = error.status == HTTPStatus.OK
            raise _StepFailed(
                f"fetching the result failed: {error}",
                FailureReason.GARBLED if garbled else FailureReason.SERVICE,
                per_row=garbled,
            ) from error
        except PlantIdError as error:
            raise _StepFailed(
                f"fetching the result failed: {error}", FailureReason.SERVICE
            ) from error
        if detailed.is_pending:
            await self._repository.record_poll(
                record.id, now=now, next_attempt_at=now + self._poll_interval(record)
            )
            return
        await self._complete(record, detailed)

    async def _complete(self, record: IdentificationRecord, result: Identification) -> None:
        try:
            # A name with a lone surrogate can't be stored as UTF-8: that result is garbage.
            result_json = result.model_dump_json(by_alias=True)
            result_json.encode("utf-8")
        except (UnicodeEncodeError, ValueError) as error:
            raise _StepFailed(
                f"Plant.id sent an unstorable result: {error}", FailureReason.GARBLED, per_row=True
            ) from error
        if await self._repository.mark_completed(
            record.id, plantid_id=result.id, result_json=result_json, now=self._clock()
        ):
            self.wake(WorkLane.DELIVER)

    def _view(self, language: str) -> ResultView:
        # Every detail the result's buttons show comes with the result, so that "Compare" and
        # "More" answer from the stored result without another call.
        return ResultView.full(language, health=self._settings.health is not None)

    def _poll_interval(self, record: IdentificationRecord) -> float:
        # Most answers come within seconds, so the first polls follow every tick (they share one
        # /multiple request with every other id due); long waits are polled less and less often.
        backoff = max(0, record.polls - BRISK_POLLS)
        interval = self._settings.poll_interval_min * (1.5**backoff)
        return min(interval, self._settings.poll_interval_max)

    def _result_of(self, record: IdentificationRecord) -> Identification:
        assert record.result_json is not None
        return Identification.model_validate_json(record.result_json)

    async def _deliver_result(self, record: IdentificationRecord) -> None:
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
            self.wake(WorkLane.DELIVER)

    async def _notify_failure(self, record: IdentificationRecord) -> None:
        reason = FailureReason.parse(record.failure_reason)
        text = render_failure(
            reason,
            record.language,
            self._translate,
            max_photo_bytes=self._settings.max_photo_bytes,
            operator_told=self._operator is not None and self._operator.is_told,
        )
        await self._show(record, RenderedMessage(text))
        await self._repository.mark_failure_notified(record.id, now=self._clock())

    async def _show(self, record: IdentificationRecord, message: RenderedMessage) -> int | None:
        """Put `message` where the person sees it; return its id (None if the chat is closed)."""
        try:
            return await self._chat.show(record.reply_to, record.status_message_id, message)
        except ChatUnwritable as error:
            logger.info("chat %s can't be written to: %s", record.chat_id, error)
            return None


class _StepFailed(TryLater):
    """A step failed in a way worth retrying; if retries run out, the row fails with `reason`."""

    def __init__(self, message: str, reason: FailureReason, *, per_row: bool = False) -> None:
        super().__init__(message, per_row=per_row, failure=reason)
        self.reason = reason
