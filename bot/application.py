"""The composition root: build the Application and own every resource it uses."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot

from bot.admin import Operator
from bot.answers import ReferenceImages, ResultAnswers
from bot.chat import TelegramChat
from bot.context import BotData, Context
from bot.i18n import DEFAULT_LANGUAGE, Translator
from bot.inbox import TelegramPoller, UpdateInbox
from bot.intake import Intake, IntakeSettings
from bot.members import Members
from bot.model import WorkLane
from bot.operations import Operations
from bot.people import People
from bot.rendering import ResultOptions, command_menu
from bot.service import FlowSettings, IdentificationService
from bot.settings import Settings
from bot.worker import Worker, WorkerSettings
from handlers import build_handlers, log_error
from plantid import open_plantid
from plantid.images import ImagePreparer
from storage.database import open_database
from storage.inbox import SqliteInbox
from storage.intake import SqliteIntakeRepository
from storage.people import SqlitePeopleRepository
from storage.preferences import SqliteOperatorRepository, SqlitePreferencesRepository
from storage.repositories import SqliteIdentificationRepository

logger = logging.getLogger(__name__)

# Decoding a large photo takes a few hundred MB at most; two at once bound the bot's memory.
IMAGE_DECODES = 2

PlantbotApplication = Application[
    ExtBot[int], Context, dict[Any, Any], dict[Any, Any], BotData, Any
]


def flow_settings(settings: Settings) -> FlowSettings:
    """Take the flow's knobs from the settings."""
    return FlowSettings(
        result=ResultOptions(
            shown=settings.suggestions_shown,
            low_confidence_threshold=settings.low_confidence_threshold,
            not_plant_threshold=settings.not_plant_threshold,
            health_button=settings.health_check != "off",
        ),
        custom_id_offset=settings.custom_id_offset,
        poll_interval_min=settings.poll_interval_min,
        poll_interval_max=settings.poll_interval_max,
        identification_max_age=settings.identification_max_age,
        slow_notice_after=settings.slow_notice_after,
        max_photo_bytes=settings.max_photo_bytes,
        max_image_side=settings.max_image_side,
        max_attempts=settings.max_attempts,
        double_tap_window=settings.double_tap_window,
        delivery_max_age=settings.delivery_max_age,
        use_photo_gps=settings.use_photo_gps,
        health=None if settings.health_check == "off" else settings.health_check,
    )


def worker_settings(settings: Settings) -> WorkerSettings:
    """Take the worker's pace from the settings."""
    return WorkerSettings(
        lease_seconds=settings.lease_seconds,
        # A step covers a download and one Plant.id request, each bounded by its own timeout.
        step_deadline=2 * settings.plant_id_timeout + 30.0,
        poll_interval=settings.poll_interval_min,
        retention_days=settings.retention_days,
    )


def intake_settings(settings: Settings) -> IntakeSettings:
    """Take the intake's knobs from the settings."""
    return IntakeSettings(
        location_ttl=settings.location_ttl,
        album_wait=settings.album_wait,
        max_images=settings.max_images,
        duplicate_window=settings.duplicate_window,
        limit_per_person_hour=settings.limit_per_person_hour,
        limit_per_chat_hour=settings.limit_per_chat_hour,
    )


class Resources:
    """Everything opened in `post_init` and closed in `post_stop` / `post_shutdown`."""

    def __init__(
        self,
        settings: Settings,
        plantid_transport: httpx.AsyncBaseTransport | None,
        *,
        poll_telegram: bool,
        operations: Operations,
        telegram_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self.operations = operations
        self._plantid_transport = plantid_transport
        self._telegram_transport = telegram_transport
        self._poll_telegram = poll_telegram
        self._stack = AsyncExitStack()
        self._worker: Worker | None = None
        self._inbox: UpdateInbox | None = None
        self._poller: TelegramPoller | None = None
        self.inbox_repository: SqliteInbox | None = None
        self._operator: Operator | None = None

    @property
    def inbox(self) -> UpdateInbox:
        """Return the update inbox (webhook endpoints store into it)."""
        if self._inbox is None:
            raise RuntimeError("the bot is not running")
        return self._inbox

    async def open(self, application: PlantbotApplication) -> None:
        """Open the database and the Plant.id client, then start the worker and the inbox."""
        settings = self._settings
        database = await open_database(settings.database_path)
        self._stack.push_async_callback(database.close)
        plantid = await self._stack.enter_async_context(
            open_plantid(settings, self.operations.plantid_transport(self._plantid_transport))
        )
        repository = SqliteIdentificationRepository(database)
        # Photo downloads stream over a client of their own, so their size cap holds mid-body.
        files = await self._stack.enter_async_context(
            httpx.AsyncClient(
                transport=self._telegram_transport, timeout=httpx.Timeout(30.0, connect=10.0)
            )
        )
        chat = TelegramChat(application.bot, on_error=self.operations.telegram_error, files=files)
        translate = Translator.from_package()
        preferences = SqlitePreferencesRepository(database)
        flow = flow_settings(settings)
        # Reference photos come from Plant.id's media host, over a client of their own.
        media = await self._stack.enter_async_context(
            httpx.AsyncClient(
                transport=self._plantid_transport,
                timeout=httpx.Timeout(settings.plant_id_timeout, connect=10.0),
            )
        )
        self._operator = operator = Operator(
            admin_chat_id=settings.admin_chat_id,
            poster=chat,
            repository=SqliteOperatorRepository(database),
            plantid=plantid,
            translate=translate,
            language_of=lambda user_id, code: service.language_of(user_id, code),
            warn_below=settings.credits_warn_below,
            check_interval=settings.credits_check_interval,
        )
        service = IdentificationService(
            repository=repository,
            # The worker backs off durably between attempts; retrying inside a call would
            # hold a lane for the whole retry budget.
            plantid=plantid.without_retries(),
            confirm_plantid=plantid,
            chat=chat,
            images=ImagePreparer(settings.max_image_side, max_concurrent=IMAGE_DECODES),
            translate=translate,
            settings=flow,
            languages=preferences,
            operator=operator,
            callbacks=self.operations if self.operations.webhook_mode else None,
        )
        application.bot_data.service = service
        application.bot_data.intake = Intake(
            service=service,
            intake=SqliteIntakeRepository(database),
            people=SqlitePeopleRepository(database),
            translate=service.translate,
            settings=intake_settings(settings),
        )
        application.bot_data.members = Members(application.bot)
        application.bot_data.operator = operator
        application.bot_data.answers = ResultAnswers(
            repository=repository,
            plantid=plantid,
            chat=chat,
            translate=translate,
            options=flow.result,
            images=ReferenceImages(media),
            language_of=service.language_of,
            max_photo_bytes=settings.max_photo_bytes,
            max_image_side=settings.max_image_side,
            on_refused=operator.plantid_refused,
        )
        application.bot_data.people = People(
            repository=preferences,
            plantid=plantid,
            chat=chat,
            translate=translate,
            language_of=service.language_of,
        )
        operator.start()
        await publish_command_menus(application, service.translate)
        self.inbox_repository = SqliteInbox(database)
        # Handlers take well under a second; a lease of the worker's length covers a slow one.
        self._inbox = UpdateInbox(
            self.inbox_repository,
            application,
            lease_seconds=max(settings.lease_seconds, 2 * settings.plant_id_timeout),
        )
        # Before polling starts: in polling mode this removes a webhook left from webhook mode.
        await self.operations.start(
            bot=application.bot,
            database=database,
            updates=self._inbox,
            plantid=plantid,
            worker=lambda: self._worker,
            wake_polls=lambda: service.wake(WorkLane.POLL),
            allowed_updates=ALLOWED_UPDATES,
        )
        self._worker = Worker(service, repository, worker_settings(settings))
        self._worker.start()
        self._inbox.start()
        if self._poll_telegram:
            self._poller = TelegramPoller(application, self._inbox, ALLOWED_UPDATES)
            self._poller.start()
        logger.info("Plantbot is up as @%s", application.bot.username)

    async def stop_work(self, application: PlantbotApplication) -> None:
        """Stop taking updates, then the worker, while the bot can still talk to Telegram."""
        await self.operations.stop()
        if self._poller is not None:
            await self._poller.stop()
            self._poller = None
        if self._inbox is not None:
            await self._inbox.stop()
        if self._worker is not None:
            await self._worker.stop()
            self._worker = None
        if self._operator is not None:
            await self._operator.stop()
            self._operator = None

    async def close(self, application: PlantbotApplication) -> None:
        """Close the Plant.id client and the database, even if stopping the work failed."""
        try:
            await self.stop_work(application)
        finally:
            self._inbox = None
            # An open aiosqlite connection keeps a non-daemon thread: the process could not exit.
            await self._stack.aclose()


async def publish_command_menus(application: PlantbotApplication, translate: Translator) -> None:
    """Show /start and /help in each person's language in Telegram's command menu."""
    try:
        await application.bot.set_my_commands(command_menu(DEFAULT_LANGUAGE, translate))
        for language in sorted(translate.languages - {DEFAULT_LANGUAGE}):
            await application.bot.set_my_commands(
                command_menu(language, translate), language_code=language
            )
    except TelegramError as error:
        # A missing menu is cosmetic; the bot must still start.
        logger.warning("command menu not published: %s", error)


def build_application(
    settings: Settings,
    *,
    telegram_transport: httpx.AsyncBaseTransport | None = None,
    plantid_transport: httpx.AsyncBaseTransport | None = None,
) -> PlantbotApplication:
    """Build the bot: requests, rate limiter, handlers, and the lifecycle of its resources."""
    httpx_kwargs: dict[str, Any] = {"transport": telegram_transport} if telegram_transport else {}
    operations = Operations(settings)
    resources = Resources(
        settings,
        plantid_transport,
        poll_telegram=settings.webhook_url is None,
        operations=operations,
        telegram_transport=telegram_transport,
    )
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .context_types(ContextTypes(bot_data=BotData))
        .request(operations.telegram_request(connection_pool_size=16, httpx_kwargs=httpx_kwargs))
        .get_updates_request(operations.telegram_request(httpx_kwargs=httpx_kwargs))
        # Telegram's "about 30 messages a second" is an average: over two seconds, so that the
        # results of photos sent together (ready together) may leave in a burst of 60.
        .rate_limiter(
            operations.rate_limiter(max_retries=3, overall_max_rate=60, overall_time_period=2)
        )
        # Handlers only record requests and reply, so updates may run side by side.
        .concurrent_updates(True)
        # Updates come from our own inbox, stored before Telegram counts them as delivered.
        .updater(None)
        .post_init(resources.open)
        .post_stop(resources.stop_work)
        .post_shutdown(resources.close)
        .build()
    )
    application.bot_data.resources = resources
    application.add_handlers(build_handlers())
    application.add_error_handler(log_error)
    return application


# my_chat_member says when the bot is added to, removed from or blocked in a chat.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


@asynccontextmanager
async def running(application: PlantbotApplication) -> AsyncIterator[PlantbotApplication]:
    """Run the bot (resources, worker, inbox, polling) for the duration of the block."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            yield application
        finally:
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def serve(application: PlantbotApplication) -> None:
    """Run the bot until SIGTERM or SIGINT, then stop cleanly (stored work resumes next time)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with running(application):
            await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
