"""Typed `bot_data` and callback context, so handlers reach the service without string keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from bot.intake import Intake
from bot.members import Members
from bot.service import IdentificationService

if TYPE_CHECKING:
    from bot.admin import Operator
    from bot.answers import ResultAnswers
    from bot.people import People


class BotData:
    """What the composition root shares with handlers; filled in by `post_init`."""

    def __init__(self) -> None:
        self._service: IdentificationService | None = None
        # The composition root's lifecycle object, for the webhook server and tests.
        self.resources: Any = None
        self._intake: Intake | None = None
        self._members: Members | None = None
        self._answers: ResultAnswers | None = None
        self._people: People | None = None
        self._operator: Operator | None = None

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

    @property
    def answers(self) -> ResultAnswers:
        """Return the answers to a result's action buttons."""
        if self._answers is None:
            raise RuntimeError("the result answers are not running yet")
        return self._answers

    @answers.setter
    def answers(self, answers: ResultAnswers | None) -> None:
        self._answers = answers

    @property
    def people(self) -> People:
        """Return what people can ask about themselves (/language, /history, /forget)."""
        if self._people is None:
            raise RuntimeError("the people service is not running yet")
        return self._people

    @people.setter
    def people(self, people: People | None) -> None:
        self._people = people

    @property
    def operator(self) -> Operator:
        """Return the operator's notices and /stats."""
        if self._operator is None:
            raise RuntimeError("the operator service is not running yet")
        return self._operator

    @operator.setter
    def operator(self, operator: Operator | None) -> None:
        self._operator = operator


Context = CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]
