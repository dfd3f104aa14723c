"""The buttons under a result besides confirming: compare, more, health, show anyway.

Compare, More and Show anyway answer from the stored result (no Plant.id call); the health check
re-downloads the request's photos from Telegram and spends one Plant.id credit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import httpx

from bot.callbacks import ActionPress, ResultAction
from bot.i18n import Translator
from bot.model import ChatError, IdentificationState, ReplyTo
from bot.rendering import (
    ButtonAnswer,
    ReferencePhoto,
    RenderedMessage,
    ResultOptions,
    details_subject,
    reference_photos,
    render_details,
    render_health,
    render_result,
)
from bot.service import Chat
from plantid import (
    DISEASE_DETAILS,
    Identification,
    ImageError,
    PlantIdClient,
    PlantIdError,
    PlantIdRefused,
    ResultView,
    prepare_image_async,
)
from storage.models import IdentificationRecord
from storage.repositories import IdentificationRepository

logger = logging.getLogger(__name__)

# Reference photos are JPEGs of a few hundred kB; anything far larger is not what we asked for.
MAX_REFERENCE_BYTES = 5_000_000
HEALTH_TIMEOUT = 60.0

LanguageOf = Callable[[int, str | None], Awaitable[str]]


class ReferenceImages:
    """Fetch reference photos over the shared HTTP client, refusing oversized ones."""

    def __init__(self, http: httpx.AsyncClient, *, max_bytes: int = MAX_REFERENCE_BYTES) -> None:
        self._http = http
        self._max_bytes = max_bytes

    async def fetch(self, url: str) -> bytes | None:
        """Return the image at `url`, or None if it can't be had."""
        try:
            async with self._http.stream("GET", url) as response:
                if not response.is_success:
                    logger.info("reference photo answered %s", response.status_code)
                    return None
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > self._max_bytes:
                        logger.info("reference photo is larger than %d bytes", self._max_bytes)
                        return None
                return bytes(data)
        except httpx.HTTPError as error:
            logger.info("reference photo not fetched: %s", type(error).__name__)
            return None


class ResultAnswers:
    """Answer the action buttons of delivered results."""

    def __init__(
        self,
        *,
        repository: IdentificationRepository,
        plantid: PlantIdClient,
        chat: Chat,
        translate: Translator,
        options: ResultOptions,
        images: ReferenceImages,
        language_of: LanguageOf,
        max_photo_bytes: int,
        max_image_side: int,
        on_refused: Callable[[PlantIdRefused], None] | None = None,
    ) -> None:
        self._repository = repository
        self._plantid = plantid
        self._chat = chat
        self._translate = translate
        self._options = options
        self._images = images
        self._language_of = language_of
        self._max_photo_bytes = max_photo_bytes
        self._max_image_side = max_image_side
        self._on_refused = on_refused
        self._health_running: set[int] = set()

    async def press(
        self, press: ActionPress, *, user_id: int, language_code: str | None
    ) -> ButtonAnswer:
        """Answer a press on an action button; the slow part runs as the answer's follow-up."""
        language = await self._language_of(user_id, language_code)
        record = await self._repository.get(press.identification_id)
        if record is None or record.state != IdentificationState.DELIVERED:
            return ButtonAnswer(self._translate(language, "confirm_stale"))
        result = Identification.model_validate_json(record.result_json or "{}")
        place = ReplyTo(
            record.chat_id,
            record.result_message_id or record.request_message_id,
            record.message_thread_id,
        )
        if press.action is ResultAction.SHOW_ANYWAY:
            message = render_result(
                result,
                record.language,
                self._translate,
                self._options,
                identification_id=record.id,
                confirmed_suggestion_id=record.confirmed_suggestion_id,
                show_anyway=True,
            )
            return ButtonAnswer(replace=message)
        if press.action is ResultAction.COMPARE:
            photos = reference_photos(result, self._options, language, self._translate)
            return ButtonAnswer(follow_up=lambda: self._compare(place, photos, language))
        if press.action is ResultAction.MORE:
            subject = details_subject(result, self._options, record.confirmed_suggestion_id)
            text = (
                render_details(subject, language, self._translate)
                if subject is not None
                else self._translate(language, "details_none")
            )
            return ButtonAnswer(follow_up=lambda: self._send(place, text))
        if record.user_id != user_id:
            return ButtonAnswer(self._translate(language, "health_only_requester"), show_alert=True)
        if record.id in self._health_running:
            return ButtonAnswer(self._translate(language, "health_running"))
        self._health_running.add(record.id)
        return ButtonAnswer(
            self._translate(language, "health_running"),
            follow_up=lambda: self._health(record, result, place, language),
        )

    async def _send(self, place: ReplyTo, text: str) -> None:
        try:
            await self._chat.send(place, RenderedMessage(text))
        except ChatError as error:
            logger.info("answer to chat %s not sent: %s", place.chat_id, error)

    async def _compare(
        self, place: ReplyTo, photos: Sequence[ReferencePhoto], language: str
    ) -> None:
        if not photos:
            await self._send(place, self._translate(language, "compare_none"))
            return
        fetched = await asyncio.gather(*(self._images.fetch(photo.url) for photo in photos))
        ready = [(data, photo.caption) for data, photo in zip(fetched, photos, strict=True) if data]
        if ready:
            try:
                await self._chat.send_photos(place, ready)
                return
            except ChatError as error:
                logger.info("reference photos not sent to chat %s: %s", place.chat_id, error)
        await self._send(place, self._translate(language, "compare_unavailable"))

    async def _health(
        self,
        record: IdentificationRecord,
        result: Identification,
        place: ReplyTo,
        language: str,
    ) -> None:
        try:
            stored = result.health_assessment
            if stored is not None and stored.diseases and language == record.language:
                # The submission's health modifier already paid for this assessment.
                text = render_health(result, language, self._translate)
            else:
                try:
                    async with asyncio.timeout(HEALTH_TIMEOUT):
                        assessment = await self._assess(record, language)
                except TimeoutError:
                    logger.warning("health check of identification %s timed out", record.id)
                    assessment = None
                text = (
                    render_health(assessment, language, self._translate)
                    if assessment is not None
                    else self._translate(language, "health_failed")
                )
            await self._send(place, text)
        finally:
            self._health_running.discard(record.id)

    async def _assess(self, record: IdentificationRecord, language: str) -> Identification | None:
        """Run /health_assessment on the request's photos, fetched again from Telegram."""
        try:
            images = []
            for photo in record.photos:
                # Kept in memory only: the photos are never written to disk.
                data = await self._chat.download(photo, max_bytes=self._max_photo_bytes)
                prepared = await prepare_image_async(data, max_side=self._max_image_side)
                images.append(prepared.base64)
            return await self._plantid.health_assessment(
                images,
                latitude=record.latitude,
                longitude=record.longitude,
                view=ResultView(language=language, disease_details=DISEASE_DETAILS),
            )
        except PlantIdRefused as error:
            logger.warning("health check of identification %s refused: %s", record.id, error)
            if self._on_refused is not None:
                self._on_refused(error)
        except (PlantIdError, ChatError, ImageError) as error:
            logger.warning("health check of identification %s failed: %s", record.id, error)
        return None
