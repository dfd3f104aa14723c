"""Every way a plant reaches the bot, turned into stored identifications.

Handlers decide what a message asks (`bot.triggers`) and hand the request here; this module
applies what the issue asks of each request before it becomes a row: albums gather into one
identification, a repeated image reuses the earlier result, limits hold, a person's place comes
along, and a chat the bot can no longer write to spends nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import Translator
from bot.model import IdentificationRequest
from bot.places import Coordinates, rounded
from bot.service import IdentificationService
from bot.triggers import split_phrases
from storage.intake import IntakeRepository
from storage.models import IdentificationRecord
from storage.people import PeopleRepository, Place

logger = logging.getLogger(__name__)

HOUR = 3600.0
PHRASES_KEY = "what_plant_phrases"


@dataclass(frozen=True)
class IntakeSettings:
    """The knobs of intake, named as in `Settings`, which holds the defaults."""

    location_ttl: float
    album_wait: float
    max_images: int
    duplicate_window: float
    limit_per_person_hour: int
    limit_per_chat_hour: int


@dataclass(frozen=True)
class Notice:
    """A short answer (Telegram HTML) to send right away, as a reply to `reply_to`."""

    text: str
    reply_to: int | None = None


class Intake:
    """Store requests the way each kind of message needs, and answer what can't wait."""

    def __init__(
        self,
        *,
        service: IdentificationService,
        intake: IntakeRepository,
        people: PeopleRepository,
        translate: Translator,
        settings: IntakeSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._service = service
        self._intake = intake
        self._people = people
        self._translate = translate
        self._settings = settings
        self._clock = clock
        # Anyone may ask in any language, whatever the group's or their own.
        self.phrases = split_phrases(
            translate(language, PHRASES_KEY) for language in sorted(translate.languages)
        )

    # -- identifications --------------------------------------------------------------------

    async def ask(
        self, request: IdentificationRequest, *, trigger_message_id: int
    ) -> Notice | None:
        """Identify the request's image (or album); return what to answer now, if anything."""
        now = self._clock()
        photo_message_id = request.request_message_id
        earlier = await self._intake.find_by_photo_message(request.chat_id, photo_message_id)
        if earlier is not None:
            if trigger_message_id == photo_message_id:
                # The same message again: Telegram redelivered it after a restart.
                return None
            return Notice(self._translate(request.language, "already_identified"), _shown(earlier))
        if request.media_group_id is not None and await self._join_album(request, now):
            return None
        repeated = await self._repeated(request, now)
        if repeated is not None:
            return repeated
        limited = await self._limit(request, now)
        if limited is not None:
            return limited
        request = await self._with_place(request, now)
        wait = self._settings.album_wait if request.media_group_id is not None else 0.0
        added = await self._intake.add(
            request, now=now, not_before=now + wait, max_images=self._settings.max_images
        )
        if added is None or not added.created:
            return None
        await self._acknowledge(added.record)
        return None

    async def album_part(self, request: IdentificationRequest) -> None:
        """Remember an album part nobody asked about; it joins its album if someone does."""
        await self._join_album(request, self._clock())

    async def _join_album(self, request: IdentificationRequest, now: float) -> bool:
        joined = await self._intake.join_album(
            request,
            now=now,
            not_before=now + self._settings.album_wait,
            max_images=self._settings.max_images,
        )
        return joined is not None

    async def _repeated(self, request: IdentificationRequest, now: float) -> Notice | None:
        """Answer an image the person sent recently from the earlier result, for free."""
        window = self._settings.duplicate_window
        if window <= 0 or len(request.photos) != 1 or request.media_group_id is not None:
            return None
        earlier = await self._intake.recent_with_image(
            request.user_id, request.photos[0].file_unique_id, since=now - window
        )
        if earlier is None:
            return None
        if earlier.result_json is None:
            # Still on its way: the answer to the first copy is the answer to this one.
            return Notice(self._translate(request.language, "already_identified"), _shown(earlier))
        reused = await self._intake.add_reused(request, earlier, now=now)
        if reused is not None:
            logger.info("identification %s reuses the result of %s", reused.id, earlier.id)
            self._service.wake()
        return None

    async def _limit(self, request: IdentificationRequest, now: float) -> Notice | None:
        """Refuse a request over the hourly limit of its person or its chat."""
        checks = [
            ("limit_person", self._settings.limit_per_person_hour, {"user_id": request.user_id})
        ]
        if request.chat_id != request.user_id:
            checks.append(
                ("limit_chat", self._settings.limit_per_chat_hour, {"chat_id": request.chat_id})
            )
        for key, limit, who in checks:
            if limit <= 0:
                continue
            count, oldest = await self._intake.count_since(since=now - HOUR, **who)
            if count >= limit:
                again = (oldest or now) + HOUR
                time_text = self._translate.short_time(request.language, again)
                text = self._translate(request.language, key, count=limit, time=time_text)
                logger.info("chat %s: %s reached (%s per hour)", request.chat_id, key, limit)
                return Notice(text, request.request_message_id)
        return None

    async def _with_place(
        self, request: IdentificationRequest, now: float
    ) -> IdentificationRequest:
        place = await self._people.place(request.user_id, now=now)
        if place is None:
            return request
        return dataclasses.replace(
            request, latitude=place.latitude, longitude=place.longitude, location_source="shared"
        )

    async def _acknowledge(self, record: IdentificationRecord) -> None:
        # The status lane replies to the photo (naming the requester in groups) and, should the
        # chat refuse it, ends the request before any credit is spent.
        self._service.wake()

    # -- places -------------------------------------------------------------------------------

    async def share_place(
        self, user_id: int, language: str, latitude: float, longitude: float
    ) -> str:
        """Use this place (rounded) for the person's next photos; return the answer text."""
        point = rounded(latitude, longitude)
        if point is None:
            return self._translate(language, "location_none")
        now = self._clock()
        await self._people.set_place(
            user_id, Place(point.latitude, point.longitude, now + self._settings.location_ttl)
        )
        attached = await self._intake.attach_place(user_id, point.latitude, point.longitude)
        if attached:
            logger.info("a shared place joins %s waiting identifications", attached)
        return self._translate(language, "location_saved")

    async def forget_place(self, user_id: int, language: str) -> str:
        """Forget the person's place; return the answer text."""
        if await self._people.forget_place(user_id):
            return self._translate(language, "location_forgotten")
        return self._translate(language, "location_none")

    async def place_of(self, user_id: int) -> Coordinates | None:
        """Return the person's current place, if any."""
        place = await self._people.place(user_id, now=self._clock())
        return None if place is None else Coordinates(place.latitude, place.longitude)

    # -- chats --------------------------------------------------------------------------------

    async def autoidentify(self, chat_id: int) -> bool:
        """Tell whether every photo in this group is identified."""
        return await self._people.autoidentify(chat_id)

    async def set_autoidentify(self, chat_id: int, enabled: bool) -> None:
        """Turn identifying every photo of a group on or off."""
        await self._people.set_autoidentify(chat_id, enabled)

    async def chat_opened(self, chat_id: int) -> None:
        """Record that the bot may write to the chat again (added back, unblocked)."""
        await self._people.set_closed(chat_id, None)

    async def chat_closed(self, chat_id: int) -> None:
        """End the chat's unfinished identifications quietly: nobody could read the answer."""
        now = self._clock()
        await self._people.set_closed(chat_id, now)
        ended = await self._intake.end_quietly(chat_id, now=now)
        if ended:
            logger.info("chat %s is closed to the bot; %s identifications end", chat_id, ended)

    async def chat_moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """Follow a group that became a supergroup, with its identifications and settings."""
        moved = await self._intake.move_chat(old_chat_id, new_chat_id)
        await self._people.move_chat(old_chat_id, new_chat_id)
        logger.info("chat %s became %s; %s identifications follow", old_chat_id, new_chat_id, moved)
        if moved:
            self._service.wake()


def _shown(record: IdentificationRecord) -> int:
    """Return the message that shows an identification's answer (or its request)."""
    return record.result_message_id or record.status_message_id or record.request_message_id
