"""FakeTelegram: one fake Bot API server and the test-side handle to build, act and read."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Collection

from sandbox.telegram.app import BotApiApp, CallLog
from sandbox.telegram.chats import ChatBuilders
from sandbox.telegram.faults import Fault, FaultPlan
from sandbox.telegram.methods import BotMethods
from sandbox.telegram.model import ApiCall, CallbackAnswer, ChatMessage, FakeChat
from sandbox.telegram.people import PeopleActions
from sandbox.telegram.state import World
from sandbox.telegram.updates import UpdateFeed


class FakeTelegram(ChatBuilders, PeopleActions):
    """A stateful stand-in for the Telegram Bot API, driven by tests acting as people.

    Build chats with the `ChatBuilders` methods, act as people with the `PeopleActions`
    methods, and read what the bot did here. Serve `app` in-process with
    `httpx.ASGITransport` or on loopback with `sandbox.server.serve_on_loopback`.
    Privacy mode is on by default, as for every new Telegram bot.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "plantbot_test",
        bot_id: int = 123456,
        privacy_mode: bool = True,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self._world = World(bot_username=bot_username, bot_id=bot_id, privacy_mode=privacy_mode)
        self._feed = UpdateFeed(self._world)
        self._bot_api = BotMethods(self._world, self._feed)
        self._faults = FaultPlan()
        self._log = CallLog()
        self._api = BotApiApp(
            token, self._world, self._feed, self._bot_api, self._faults, self._log
        )
        self.app = self._api.starlette

    def __repr__(self) -> str:
        return f"FakeTelegram(bot_username={self.bot_username!r}, bot_id={self.bot_id})"

    @property
    def privacy_mode(self) -> bool:
        """Return whether the bot hears only commands, mentions and replies in groups."""
        return self._world.privacy_mode

    @privacy_mode.setter
    def privacy_mode(self, enabled: bool) -> None:
        with self._world.lock:
            self._world.privacy_mode = enabled

    # ------------------------------------------------------------------ what the bot did

    @property
    def calls(self) -> list[ApiCall]:
        """Return every Bot API request so far, oldest first."""
        return self._log.calls

    @property
    def downloads(self) -> list[str]:
        """Return the file paths the bot downloaded, oldest first."""
        return self._log.downloads

    @property
    def served(self) -> list[tuple[str, int]]:
        """Return (file path, bytes sent) for each download whose body ended, oldest first."""
        with self._world.lock:
            return list(self._log.served)

    def calls_to(self, method: str) -> list[ApiCall]:
        """Return the calls to `method` (case-insensitive), oldest first."""
        with self._world.lock:
            return list(self._log.by_method.get(method.lower(), ()))

    def messages(self, chat: FakeChat) -> list[ChatMessage]:
        """Return the chat as a person sees it now: edited, without deleted, in order."""
        with self._world.lock:
            state = self._world.chats.get(chat.id)
            if state is None:
                return []
            return [
                self._world.chat_message(message)
                for message in state.messages.values()
                if not message.deleted and message.service is None
            ]

    def bot_messages(self, chat: FakeChat) -> list[ChatMessage]:
        """Return the bot's visible messages in `chat`."""
        return [message for message in self.messages(chat) if message.from_bot]

    def callback_answers(self) -> list[CallbackAnswer]:
        """Return the bot's answers to button presses, oldest first."""
        with self._world.lock:
            return list(self._bot_api.callback_answers)

    def member_status(self, chat: FakeChat, user_id: int) -> str:
        """Return a person's (or, with bot_id, the bot's) status in `chat`."""
        with self._world.lock:
            state = self._world.state_of(chat)
            if user_id == self.bot_id:
                return state.bot_status
            return self._world.status_of(state, user_id)

    def last_webhook_error(self) -> str | None:
        """Return why the last webhook delivery failed, if it did."""
        with self._world.lock:
            hook = self._feed.webhook
            return hook.last_error_message if hook else None

    def pending_updates(self) -> int:
        """Return how many updates the bot has not confirmed yet."""
        with self._world.lock:
            return self._feed.pending()

    def file_bytes(self, file_id: str) -> bytes:
        """Return the bytes stored for `file_id` (people's and the bot's files alike)."""
        with self._world.lock:
            return self._world.files[file_id].data

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        method: str,
        count: int = 1,
        *,
        kind: str = "429",
        retry_after: int = 1,
        seconds: float = 0.5,
    ) -> None:
        """Make the next `count` calls to `method` fail (429, 500, 403, 400) or answer late."""
        self._faults.fail_next(method, count, Fault(kind, retry_after, seconds))

    def expire_downloads(self, on: bool = True) -> None:
        """Answer every file download with 404 Not Found (an expired link) until turned off."""
        with self._world.lock:
            self._api.downloads_expired = on

    def fail_randomly(
        self,
        methods: Collection[str] | None,
        probability: float,
        *,
        kind: str = "429",
        retry_after: int = 1,
        seconds: float = 0.5,
        seed: int = 0,
    ) -> None:
        """Fail `probability` of the calls to `methods` until called with probability 0.

        None means every sending method (`faults.SENDING_METHODS`); the same seed and the
        same order of calls give the same failures. `fail_next` faults come first.
        """
        self._faults.fail_randomly(methods, probability, Fault(kind, retry_after, seconds), seed)

    # ------------------------------------------------------------------ waiting and dumping

    async def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 -- the tests' agreed signature
    ) -> None:
        """Return once `condition()` holds; raise AssertionError with a dump on timeout."""
        world = self._world
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = world.waiters.register()
            try:
                with world.lock:
                    if condition():
                        return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(f"condition not met within {timeout}s\n{self.describe()}")
                # The condition may also read state outside the fake, so re-check briefly too.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(remaining, 0.05))
            finally:
                world.waiters.unregister(event)

    def describe(self) -> str:
        """Return a readable dump of recent calls and every chat, for failing tests."""
        with self._world.lock:
            lines = ["recent Bot API calls:"]
            for call in self.calls[-15:]:
                shown = {
                    k: (v if not isinstance(v, bytes) else f"<{len(v)} bytes>")
                    for k, v in call.params.items()
                }
                lines.append(f"  {call.method} {shown}")
            lines.append(f"pending updates: {self._feed.pending()}")
            for state in self._world.chats.values():
                lines.append(f"chat {state.chat.id} ({state.chat.type}):")
                for message in self.messages(state.chat)[-10:]:
                    who = "bot" if message.from_bot else "user"
                    lines.append(f"  #{message.message_id} {who}: {message.text!r}")
            return "\n".join(lines)

    async def aclose(self) -> None:
        """Release long polls and stop webhook delivery running on this loop."""
        await self._feed.aclose()
