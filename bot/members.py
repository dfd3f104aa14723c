"""Who is an admin of a group, asked of Telegram and remembered briefly."""

from __future__ import annotations

import time
from collections.abc import Callable

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

# Long enough that a burst of commands costs one getChatMember, short enough that a demoted
# admin loses the right within a minute.
ADMIN_TTL = 60.0
_ADMINS = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


class Members:
    """Answer "is this person an admin of this group?" with a short-lived cache."""

    def __init__(
        self, bot: Bot, *, ttl: float = ADMIN_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._bot = bot
        self._ttl = ttl
        self._clock = clock
        self._known: dict[tuple[int, int], tuple[bool, float]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """Tell whether the person administers the group (asking Telegram at most once a minute)."""
        now = self._clock()
        cached = self._known.get((chat_id, user_id))
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            # Unknown is not admin; the person can simply try again.
            return False
        admin = member.status in _ADMINS
        # Drop expired entries so the cache never grows past the recently active admins.
        self._known = {key: value for key, value in self._known.items() if value[1] > now}
        self._known[(chat_id, user_id)] = (admin, now + self._ttl)
        return admin
