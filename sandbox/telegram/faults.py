"""Faults the tests inject into Bot API calls: the next few calls, or a random share of them."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass

from sandbox.telegram.model import ApiError

FAULT_KINDS = ("429", "500", "403", "400", "slow")
# The calls that put something in a chat: what Telegram's flood control limits.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendLocation",
        "sendChatAction",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "deleteMessage",
        "answerCallbackQuery",
    }
)


@dataclass(frozen=True)
class Fault:
    """How one call fails: Telegram's 429/500/403/400 answer, or an answer `seconds` late."""

    kind: str
    retry_after: int = 1
    seconds: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")

    async def apply(self) -> None:
        """Raise the fault's error answer, or wait before the call proceeds."""
        if self.kind == "429":
            raise ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if self.kind == "500":
            raise ApiError(500, "Internal Server Error")
        if self.kind == "403":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.kind == "400":
            # A permanent refusal: the same call would be refused again.
            raise ApiError(400, "Bad Request: chat not found")
        await asyncio.sleep(self.seconds)


@dataclass(frozen=True)
class _RandomFaults:
    methods: frozenset[str]
    probability: float
    fault: Fault
    rng: random.Random


class FaultPlan:
    """Decide, thread-safely, which calls fail and how."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, deque[Fault]] = {}
        self._random: _RandomFaults | None = None

    def fail_next(self, method: str, count: int, fault: Fault) -> None:
        """Make the next `count` calls to `method` fail with `fault`."""
        with self._lock:
            self._queued.setdefault(method.lower(), deque()).extend([fault] * count)

    def fail_randomly(
        self, methods: Collection[str] | None, probability: float, fault: Fault, seed: int
    ) -> None:
        """Fail `probability` of the calls to `methods` (None: sending methods); 0 stops."""
        if not 0 <= probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        chosen = SENDING_METHODS if methods is None else methods
        with self._lock:
            if probability == 0:
                self._random = None
                return
            self._random = _RandomFaults(
                frozenset(name.lower() for name in chosen),
                probability,
                fault,
                random.Random(seed),
            )

    def take(self, method: str) -> Fault | None:
        """Return the fault for this call to `method`, if any."""
        key = method.lower()
        with self._lock:
            queued = self._queued.get(key)
            if queued:
                return queued.popleft()
            plan = self._random
            if plan is None or key not in plan.methods:
                return None
            return plan.fault if plan.rng.random() < plan.probability else None
