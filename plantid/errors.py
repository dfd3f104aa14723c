"""Errors raised by the Plant.id client; each class says who should see it and what to do."""

from __future__ import annotations

_DETAIL_LIMIT = 300


def _shorten(text: str) -> str:
    text = text.strip()
    if len(text) <= _DETAIL_LIMIT:
        return text
    return text[: _DETAIL_LIMIT - 1] + "…"


class PlantIdError(Exception):
    """Base of every Plant.id failure; `detail` is the API's plain-text reason, never the key."""

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        self.status = status
        self.detail = _shorten(detail)
        super().__init__(self.detail if status is None else f"HTTP {status}: {self.detail}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, detail={self.detail!r})"


class PlantIdUnavailable(PlantIdError):
    """The service could not be reached or failed (5xx, timeout); try again later."""


class PlantIdRefused(PlantIdError):
    """The service refused the request (4xx); retrying the same request will not help."""


class BadCredentials(PlantIdRefused):
    """The API key is missing, unknown or disabled (401); the operator must fix the config."""


class OutOfCredits(PlantIdRefused):
    """The key has no credits left or hit a day/week/month limit (429); tell user and operator."""


class InvalidRequest(PlantIdRefused):
    """The API rejected the request as malformed (400); a bug or an unusable image."""


class NotFound(PlantIdRefused):
    """The identification, suggestion or endpoint does not exist (404)."""
