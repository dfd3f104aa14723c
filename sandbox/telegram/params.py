"""Read Bot API request parameters: query string, JSON, urlencoded or multipart bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from sandbox.telegram.model import bad_request

# The Bot API accepts up to 10 files per call (an album); leave room for every form field.
_MAX_FORM_FIELDS = 1000


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


async def read_request(request: Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Return the parameters and uploaded files of a Bot API request; raise 400 if unreadable."""
    values: dict[str, Any] = dict(request.query_params)
    uploads: dict[str, Upload] = {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/json":
            body = await request.body()
            if body:
                decoded = json.loads(body)
                if not isinstance(decoded, dict):
                    raise ValueError("JSON body is not an object")
                values.update(decoded)
        elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.form(max_files=_MAX_FORM_FIELDS, max_fields=_MAX_FORM_FIELDS)
            try:
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        data = await value.read()
                        uploads[name] = Upload(value.filename, value.content_type, data)
                    else:
                        values[name] = value
            finally:
                await form.close()
        else:
            body = await request.body()
            if body:
                values.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError, HTTPException):
        raise bad_request("can't parse request body") from None
    return values, uploads


class Params:
    """Bot API parameters: form values arrive as strings with JSON-encoded non-strings."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def has(self, name: str) -> bool:
        """Return whether `name` was given and is not empty."""
        return self.values.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        """Return `name` as a string, JSON-encoding non-strings."""
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str) -> int | None:
        """Return `name` as an integer; 400 if it is not one."""
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        """Return `name` as a float; 400 if it is not a number."""
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """Return `name` as a boolean."""
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def json(self, name: str) -> Any:
        """Return `name` decoded from JSON when it arrived as a string."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value
