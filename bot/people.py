"""What a person can ask about themselves: /language, /history and /forget."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from babel import Locale
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    ForgetPress,
    HistoryPress,
    LanguagePress,
    forget_data,
    history_entry_data,
    history_page_data,
    language_data,
)
from bot.i18n import Translator
from bot.model import ChatError, IdentificationState, ReplyTo
from bot.rendering import (
    BUTTON_ROW_LIMIT,
    ButtonAnswer,
    RenderedMessage,
    display_name,
    escape,
    pack_rows,
    ranked_suggestions,
)
from bot.service import Chat
from plantid import Identification, NotFound, PlantIdClient, PlantIdError
from storage.preferences import HistoryItem, SqlitePreferencesRepository

logger = logging.getLogger(__name__)

HISTORY_PAGE = 10
LanguageOf = Callable[[int, str | None], Awaitable[str]]


def language_name(language: str) -> str:
    """Return a language's name in itself, capitalized ("Deutsch", "Русский")."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class People:
    """Store each person's language, list and forget their identifications."""

    def __init__(
        self,
        *,
        repository: SqlitePreferencesRepository,
        plantid: PlantIdClient,
        chat: Chat,
        translate: Translator,
        language_of: LanguageOf,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repository = repository
        self._plantid = plantid
        self._chat = chat
        self._translate = translate
        self._language_of = language_of
        self._clock = clock

    async def chosen_language(self, user_id: int) -> str | None:
        """Return the interface language the person chose, if they chose a supported one."""
        language = await self._repository.language_of(user_id)
        return language if language in self._translate.languages else None

    # -- /language ------------------------------------------------------------------------------

    def language_menu(self, language: str) -> RenderedMessage:
        """Offer every interface language, each named in itself."""
        buttons = [
            InlineKeyboardButton(language_name(code), callback_data=language_data(code))
            for code in sorted(self._translate.languages, key=language_name)
        ]
        rows = [buttons[start : start + 3] for start in range(0, len(buttons), 3)]
        return RenderedMessage(
            self._translate(language, "language_choose"), InlineKeyboardMarkup(rows)
        )

    async def choose_language(self, press: LanguagePress, *, user_id: int) -> ButtonAnswer:
        """Store the chosen language and say so in it."""
        if press.language not in self._translate.languages:
            language = await self._language_of(user_id, None)
            return ButtonAnswer(self._translate(language, "confirm_stale"))
        await self._repository.set_language(user_id, press.language, now=self._clock())
        text = self._translate(press.language, "language_set")
        return ButtonAnswer(text, replace=RenderedMessage(text))

    # -- /history -------------------------------------------------------------------------------

    async def history(self, user_id: int, language: str, *, offset: int = 0) -> RenderedMessage:
        """Render one page of the person's identifications, newest first."""
        items, total = await self._repository.history(user_id, offset=offset, limit=HISTORY_PAGE)
        if not items:
            return RenderedMessage(self._translate(language, "history_empty"))
        entries = [self._entry(item, language) for item in items]
        lines = [f"<b>{self._translate(language, 'history_title')}</b>"]
        lines += [escape(entry) for entry in entries]
        rows = [
            [
                InlineKeyboardButton(
                    _shorten(entry, BUTTON_ROW_LIMIT), callback_data=history_entry_data(item.id)
                )
            ]
            for item, entry in zip(items, entries, strict=True)
        ]
        navigation = []
        if offset + HISTORY_PAGE < total:
            navigation.append(
                InlineKeyboardButton(
                    self._translate(language, "history_older"),
                    callback_data=history_page_data(offset + HISTORY_PAGE),
                )
            )
        if offset > 0:
            navigation.append(
                InlineKeyboardButton(
                    self._translate(language, "history_newer"),
                    callback_data=history_page_data(max(offset - HISTORY_PAGE, 0)),
                )
            )
        rows.extend(pack_rows(navigation))
        return RenderedMessage("\n".join(lines), InlineKeyboardMarkup(rows))

    async def history_press(
        self, press: HistoryPress, *, user_id: int, language_code: str | None, chat_id: int
    ) -> ButtonAnswer:
        """Turn a history page, or point at the result of one entry."""
        language = await self._language_of(user_id, language_code)
        if press.identification_id is None:
            return ButtonAnswer(replace=await self.history(user_id, language, offset=press.offset))
        item = await self._repository.history_item(user_id, press.identification_id)
        if item is None:
            return ButtonAnswer(self._translate(language, "confirm_stale"))
        entry = self._entry(item, language)
        if item.chat_id != chat_id:
            return ButtonAnswer(entry, show_alert=True)
        # A reply quotes the result; tapping the quote takes the person back to it.
        target = item.result_message_id or item.request_message_id
        place = ReplyTo(item.chat_id, target, item.message_thread_id)
        text = escape(entry)

        async def point() -> None:
            try:
                await self._chat.send(place, RenderedMessage(text))
            except ChatError as error:
                logger.info("history entry %s not shown: %s", item.id, error)

        return ButtonAnswer(follow_up=point)

    def _entry(self, item: HistoryItem, language: str) -> str:
        date = self._translate.short_date(language, item.created_at)
        return self._translate(
            language, "history_entry", date=date, name=self._name(item, language)
        )

    def _name(self, item: HistoryItem, language: str) -> str:
        if item.state in (
            IdentificationState.RECEIVED,
            IdentificationState.SUBMITTING,
            IdentificationState.PENDING,
        ):
            return self._translate(language, "history_pending")
        if not item.result_json:
            return "—"
        suggestions = ranked_suggestions(Identification.model_validate_json(item.result_json))
        for suggestion in suggestions:
            if suggestion.id == item.confirmed_suggestion_id:
                return "☑️ " + display_name(suggestion, language)
        return display_name(suggestions[0], language) if suggestions else "—"

    # -- /forget --------------------------------------------------------------------------------

    def forget_question(self, language: str) -> RenderedMessage:
        """Ask before deleting everything about the person."""
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self._translate(language, "forget_yes"), callback_data=forget_data(True)
                    )
                ],
                [
                    InlineKeyboardButton(
                        self._translate(language, "forget_no"), callback_data=forget_data(False)
                    )
                ],
            ]
        )
        return RenderedMessage(self._translate(language, "forget_confirm"), keyboard)

    async def forget(
        self, press: ForgetPress, *, user_id: int, language_code: str | None
    ) -> ButtonAnswer:
        """Delete the person's identifications at Plant.id, then every row about them."""
        language = await self._language_of(user_id, language_code)
        if not press.confirmed:
            text = self._translate(language, "forget_cancelled")
            return ButtonAnswer(text, replace=RenderedMessage(text))
        for stored in await self._repository.stored_at_plantid(user_id):
            try:
                if stored.plantid_id is not None:
                    await self._plantid.delete_identification(stored.plantid_id)
                elif stored.custom_id is not None:
                    await self._plantid.delete_identification_by_custom_id(stored.custom_id)
            except NotFound:
                continue
            except PlantIdError as error:
                # Keep the rows: they are how a later /forget finds what Plant.id still holds.
                logger.warning("deleting identification %s at Plant.id failed: %s", stored, error)
                return ButtonAnswer(
                    self._translate(language, "confirm_unavailable"), show_alert=True
                )
        forgotten = await self._repository.forget(user_id)
        # Said in the language the person chose, which is itself forgotten now.
        text = self._translate(language, "forget_done", count=forgotten.identifications)
        return ButtonAnswer(text, replace=RenderedMessage(text))
