"""Decode Bot API request bodies and derive Telegram's photo sizes from an image."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

from PIL import Image

# Telegram keeps a photo as a few downscaled copies plus the largest one.
PHOTO_SIDES = (90, 320, 800)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["content-type"] = value
    params = {k.lower(): v for k, v in message.get_params(failobj=[])[1:]}
    return message.get_content_type(), params


def _parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, Any], dict[str, Upload]]:
    fields: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        disposition = ""
        content_type: str | None = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value.strip()
            elif name.strip().lower() == "content-type":
                content_type = value.strip()
        _, params = _header_params(disposition)
        field_name = params.get("name")
        if field_name is None:
            continue
        if "filename" in params:
            files[field_name] = Upload(params["filename"], content_type, content)
        else:
            fields[field_name] = content.decode("utf-8")
    return fields, files


def parse_body(content_type: str | None, body: bytes) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Return the parameters and uploaded files of a JSON, urlencoded or multipart body."""
    if not body:
        return {}, {}
    kind, params = _header_params(content_type or "application/x-www-form-urlencoded")
    if kind == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body is not an object")
        return decoded, {}
    if kind == "multipart/form-data":
        boundary = params.get("boundary")
        if not boundary:
            raise ValueError("multipart body without boundary")
        return _parse_multipart(body, boundary)
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}


def photo_sizes(data: bytes) -> list[tuple[int, int, bytes]]:
    """Return (width, height, bytes) per photo size, smallest first, the original last."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height = image.size
            sizes: list[tuple[int, int, bytes]] = []
            for side in PHOTO_SIDES:
                if max(width, height) <= side:
                    break
                copy = image.convert("RGB")
                copy.thumbnail((side, side))
                buffer = io.BytesIO()
                copy.save(buffer, format="JPEG", quality=80)
                sizes.append((copy.width, copy.height, buffer.getvalue()))
    except (OSError, ValueError) as exc:
        raise ValueError(f"not an image Telegram could show as a photo: {exc}") from exc
    sizes.append((width, height, data))
    return sizes
