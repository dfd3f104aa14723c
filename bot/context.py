"""Typed `bot_data` and callback context, so handlers reach the service without string keys."""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.intake import Intake
from bot.members import Members
from bot.service import IdentificationService


class BotData:
    """What the composition root shares with handlers; filled in by `post_init`."""

    def __init__(self) -> None:
        self._service: IdentificationService | None = None
        # The composition root's lifecycle object, for the webhook server and tests.
        self.resources: Any = None
        self._intake: Intake | None = None
        self._members: Members | None = None

    @property
    def service(self) -> IdentificationService:
        """Return the identification service; it exists once the application has started."""
        if self._service is None:
            raise RuntimeError("the identification service is not running yet")
        return self._service

    @service.setter
    def service(self, service: IdentificationService | None) -> None:
        self._service = service

    @property
    def intake(self) -> Intake:
        """Return the intake of requests; it exists once the application has started."""
        if self._intake is None:
            raise RuntimeError("the intake is not running yet")
        return self._intake

    @intake.setter
    def intake(self, intake: Intake | None) -> None:
        self._intake = intake

    @property
    def members(self) -> Members:
        """Return the group admin lookup; it exists once the application has started."""
        if self._members is None:
            raise RuntimeError("the member lookup is not running yet")
        return self._members

    @members.setter
    def members(self, members: Members | None) -> None:
        self._members = members


Context = CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]
