"""Logging set-up that never prints secrets, as text for people or JSON lines for machines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

REDACTED = "[REDACTED]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(identification)s: %(message)s"

_identification: ContextVar[int | None] = ContextVar("identification_id", default=None)


@contextmanager
def identification_context(identification_id: int) -> Iterator[None]:
    """Tag every log line written inside the block with the identification it is about."""
    token = _identification.set(identification_id)
    try:
        yield
    finally:
        _identification.reset(token)


def current_identification() -> int | None:
    """Return the identification the current task is working on, if any."""
    return _identification.get()


class RedactSecrets(logging.Filter):
    """Replace every occurrence of the given secrets in a record's message and traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        """Also redact `secret` from now on (one the bot made or loaded after start-up)."""
        if secret and secret not in self._secrets:
            self._secrets = sorted({*self._secrets, secret}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once and redact it; always keep the record."""
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class TagIdentification(logging.Filter):
    """Attach the identification id from `identification_context` unless the call gave one."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Set `record.identification_id`; always keep the record."""
        if getattr(record, "identification_id", None) is None:
            record.identification_id = _identification.get()
        return True


class TextFormatter(logging.Formatter):
    """One line per record for people, with `[identification N]` when it is about one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """Render the record with its identification tag."""
        identification_id = getattr(record, "identification_id", None)
        record.identification = (
            f" [identification {identification_id}]" if identification_id is not None else ""
        )
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and exc / identification_id."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a single-line JSON object."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        identification_id = getattr(record, "identification_id", None)
        if identification_id is not None:
            entry["identification_id"] = identification_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    level: str,
    secrets: Iterable[str],
    log_format: Literal["text", "json"] = "text",
    stream: TextIO | None = None,
) -> None:
    """Log to stderr at `level` as text or JSON, with secrets redacted and chatty loggers quiet."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(TagIdentification())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    threshold = logging.getLevelNamesMapping()[level]
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(max(logging.WARNING, threshold))
    # aiosqlite logs whole statements and results at DEBUG, stored secrets included.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, threshold))


def redact_also(secret: str) -> None:
    """Add a secret learnt after start-up to the redaction of every configured log handler."""
    for handler in logging.getLogger().handlers:
        for log_filter in handler.filters:
            if isinstance(log_filter, RedactSecrets):
                log_filter.add(secret)
