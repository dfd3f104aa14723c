"""The composition root: build the Application and own every resource it uses."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, ExtBot
from telegram.request import HTTPXRequest

from bot.admin import Operator
from bot.answers import ReferenceImages, ResultAnswers
from bot.chat import TelegramChat
from bot.context import BotData, Context
from bot.i18n import DEFAULT_LANGUAGE, Translator
from bot.people import People
from bot.rendering import ResultOptions, command_menu
from bot.service import FlowSettings, IdentificationService
from bot.settings import Settings
from bot.worker import Worker, WorkerSettings
from handlers import build_handlers, log_error
from plantid import PlantIdClient
from storage.database import Database, open_database
from storage.preferences import SqliteOperatorRepository, SqlitePeopleRepository
from storage.repositories import SqliteIdentificationRepository

logger = logging.getLogger(__name__)

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
        delivery_max_age=settings.delivery_max_age,
        health=None if settings.health_check == "off" else settings.health_check,
    )


def worker_settings(settings: Settings) -> WorkerSettings:
    """Take the worker's pace from the settings."""
    return WorkerSettings(
        lease_seconds=settings.lease_seconds,
        # A step covers a download and one Plant.id request, each bounded by its own timeout.
        step_deadline=2 * settings.plant_id_timeout + 30.0,
        poll_interval=settings.poll_interval_min,
    )


class Resources:
    """Everything opened in `post_init` and closed in `post_stop` / `post_shutdown`."""

    def __init__(
        self,
        settings: Settings,
        plantid_transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self._settings = settings
        self._plantid_transport = plantid_transport
        self._database: Database | None = None
        self._http: httpx.AsyncClient | None = None
        self._worker: Worker | None = None
        self._operator: Operator | None = None

    async def open(self, application: PlantbotApplication) -> None:
        """Open the database and the Plant.id client, then start the worker."""
        settings = self._settings
        self._database = await open_database(settings.database_path)
        self._http = httpx.AsyncClient(
            transport=self._plantid_transport,
            timeout=httpx.Timeout(settings.plant_id_timeout, connect=10.0),
        )
        plantid = PlantIdClient(
            self._http,
            settings.plant_id_api_key,
            settings.plant_id_base_url,
            retry_deadline=settings.plant_id_retry_deadline,
        )
        repository = SqliteIdentificationRepository(self._database)
        chat = TelegramChat(application.bot)
        translate = Translator.from_package()
        people_repository = SqlitePeopleRepository(self._database)
        flow = flow_settings(settings)
        self._operator = operator = Operator(
            admin_chat_id=settings.admin_chat_id,
            poster=chat,
            repository=SqliteOperatorRepository(self._database),
            plantid=plantid,
            translate=translate,
            language_of=lambda user_id, code: service.language_of(user_id, code),
            warn_below=settings.credits_warn_below,
            check_interval=settings.credits_check_interval,
        )
        service = IdentificationService(
            repository=repository,
            plantid=plantid,
            chat=chat,
            translate=translate,
            settings=flow,
            languages=people_repository,
            operator=operator,
        )
        application.bot_data.service = service
        application.bot_data.operator = operator
        application.bot_data.answers = ResultAnswers(
            repository=repository,
            plantid=plantid,
            chat=chat,
            translate=translate,
            options=flow.result,
            images=ReferenceImages(self._http),
            language_of=service.language_of,
            max_photo_bytes=settings.max_photo_bytes,
            max_image_side=settings.max_image_side,
            on_refused=operator.plantid_refused,
        )
        application.bot_data.people = People(
            repository=people_repository,
            plantid=plantid,
            chat=chat,
            translate=translate,
            language_of=service.language_of,
        )
        operator.start()
        await publish_command_menus(application, service.translate)
        self._worker = Worker(service, repository, worker_settings(settings))
        self._worker.start()
        logger.info("Plantbot is up as @%s", application.bot.username)

    async def stop_worker(self, application: PlantbotApplication) -> None:
        """Stop the worker while the bot can still talk to Telegram."""
        if self._worker is not None:
            await self._worker.stop()
            self._worker = None
        if self._operator is not None:
            await self._operator.stop()
            self._operator = None

    async def close(self, application: PlantbotApplication) -> None:
        """Close the Plant.id client and the database."""
        await self.stop_worker(application)
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._database is not None:
            await self._database.close()
            self._database = None


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
    resources = Resources(settings, plantid_transport)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .context_types(ContextTypes(bot_data=BotData))
        .request(HTTPXRequest(connection_pool_size=16, httpx_kwargs=httpx_kwargs))
        .get_updates_request(HTTPXRequest(httpx_kwargs=httpx_kwargs))
        .rate_limiter(AIORateLimiter(max_retries=3))
        # Handlers only record requests and reply, so updates may run side by side.
        .concurrent_updates(True)
        .post_init(resources.open)
        .post_stop(resources.stop_worker)
        .post_shutdown(resources.close)
        .build()
    )
    application.add_handlers(build_handlers())
    application.add_error_handler(log_error)
    return application


ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
