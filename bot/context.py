"""Typed `bot_data` and callback context, so handlers reach the service without string keys."""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.service import IdentificationService


class BotData:
    """What the composition root shares with handlers; filled in by `post_init`."""

    def __init__(self) -> None:
        self._service: IdentificationService | None = None
        # The composition root's lifecycle object, for the webhook server and tests.
        self.resources: Any = None

    @property
    def service(self) -> IdentificationService:
        """Return the identification service; it exists once the application has started."""
        if self._service is None:
            raise RuntimeError("the identification service is not running yet")
        return self._service

    @service.setter
    def service(self, service: IdentificationService | None) -> None:
        self._service = service


Context = CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]
