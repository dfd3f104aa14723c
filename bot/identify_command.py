"""`plantbot identify PHOTO...`: identify plant photos from a shell and print the result."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from bot.logs import RedactSecrets
from bot.settings import PlantIdSettings, load_settings
from plantid import (
    BadCredentials,
    Identification,
    OutOfCredits,
    PlantIdRefused,
    PlantIdUnavailable,
    ResultView,
    open_plantid,
)
from plantid.images import ImageError, prepare_image

EXIT_OK = 0
EXIT_BAD_PHOTO = 1
# 2 is taken by cli.py for configuration errors.
EXIT_REFUSED = 3
EXIT_OUT_OF_CREDITS = 4
EXIT_UNAVAILABLE = 5

# Plant.id waits at most 20 s in a synchronous /identify before answering "still pending".
MAX_IDENTIFICATION_TIMEOUT = 20
# A person at a shell wants an answer or an error soon, not the bot's patient minute of retries.
DEFAULT_TIMEOUT = 10.0
DISEASE_MIN_PROBABILITY = 0.1

_EPILOG = (
    "exit codes: 0 identified, 1 unusable photo, 2 configuration error, 3 request refused "
    "(e.g. bad API key), 4 out of credits, 5 Plant.id unavailable or no result in time"
)


class _Failure(Exception):
    """A one-line reason to stop, with the exit code to stop with."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def add_identify_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of `plantbot identify`."""
    parser.epilog = _EPILOG
    parser.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help="image files")
    parser.add_argument("--lat", type=float, help="latitude where the photos were taken")
    parser.add_argument("--lon", type=float, help="longitude where the photos were taken")
    parser.add_argument("--lang", default="en", help="language of names and links (default: en)")
    parser.add_argument("--health", action="store_true", help="also assess the plant's health")
    parser.add_argument("--top", type=int, default=3, help="suggestions to show (default: 3)")
    parser.add_argument("--api-url", help="Plant.id v2 base URL (overrides PLANT_ID_API_URL)")
    parser.add_argument("--api-key", help="Plant.id API key (overrides PLANT_ID_API_KEY)")
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT,
        help="seconds each Plant.id request may take, retries included; "
        f"unreachable Plant.id fails after this (default: {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log retries and progress (-v), or every request too (-vv)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=120.0,
        help="seconds to keep asking for a result that is still being processed (default: 120)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=2.0,
        help="seconds between those requests (default: 2)",
    )


def _positive_seconds(text: str) -> float:
    """Parse a number of seconds greater than zero."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return seconds


def run_identify(args: argparse.Namespace) -> int:
    """Identify the photos named in `args`, print the result and return the exit code."""
    overrides: dict[str, Any] = {
        "plant_id_timeout": args.timeout,
        "plant_id_retry_deadline": args.timeout,
    }
    if args.api_url:
        overrides["plant_id_api_url"] = args.api_url
    if args.api_key:
        overrides["plant_id_api_key"] = args.api_key
    settings = load_settings(PlantIdSettings, **overrides)
    with _logging_to_stderr(args.verbose, settings.plant_id_api_key.get_secret_value()):
        try:
            images = [_read_photo(path, settings.max_image_side) for path in args.photos]
            result = asyncio.run(_identify(settings, args, images))
        except _Failure as failure:
            print(f"plantbot: {failure}", file=sys.stderr)
            return failure.code
    print(format_result(result, language=args.lang, top=args.top, health=args.health))
    return EXIT_OK


@contextmanager
def _logging_to_stderr(verbosity: int, secret: str) -> Iterator[None]:
    """Log to stderr while the command runs: warnings only, unless asked for more with -v."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets([secret]))
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; the command's output is the result, not the traffic.
    quiet = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    saved = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.DEBUG if verbosity >= 3 else logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)
        for logger, was in zip(quiet, saved, strict=True):
            logger.setLevel(was)


def _read_photo(path: Path, max_side: int) -> str:
    """Return the photo at `path` prepared for the API as Base64."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _Failure(f"cannot read {path}: {error.strerror or error}", EXIT_BAD_PHOTO) from None
    try:
        return prepare_image(data, max_side=max_side).base64
    except ImageError as error:
        raise _Failure(f"cannot use {path}: {error.message}", EXIT_BAD_PHOTO) from None


async def _identify(
    settings: PlantIdSettings, args: argparse.Namespace, images: Sequence[str]
) -> Identification:
    """Submit the photos, wait for the result and return it."""
    budget = settings.plant_id_timeout
    # The server must answer before our own deadline, or the paid call is lost to a timeout.
    wait_on_server = max(1, min(MAX_IDENTIFICATION_TIMEOUT, int(budget) - 5))
    view = ResultView.full(args.lang, health=args.health)
    async with open_plantid(settings) as client:
        try:
            # Retries stop starting at the deadline; this also cuts the last attempt short.
            async with _within(budget):
                result = await client.identify(
                    images,
                    latitude=args.lat,
                    longitude=args.lon,
                    health="all" if args.health else None,
                    view=view,
                    identification_timeout=wait_on_server,
                )
            deadline = time.monotonic() + args.wait
            while result.is_pending and time.monotonic() < deadline:
                await asyncio.sleep(args.poll_interval)
                async with _within(budget):
                    result = await client.get_identification_result(result.id, view=view)
        except BadCredentials as error:
            raise _Failure(f"Plant.id refused the API key: {error.detail}", EXIT_REFUSED) from None
        except OutOfCredits as error:
            raise _Failure(
                f"Plant.id credits exhausted: {error.detail}", EXIT_OUT_OF_CREDITS
            ) from None
        except PlantIdRefused as error:
            raise _Failure(f"Plant.id refused the request: {error}", EXIT_REFUSED) from None
        except PlantIdUnavailable as error:
            raise _Failure(f"Plant.id is unavailable: {error}", EXIT_UNAVAILABLE) from None
    if result.is_pending:
        raise _Failure(
            f"no result after {args.wait:g} s; identification {result.id} is still being "
            "processed, try again later",
            EXIT_UNAVAILABLE,
        )
    if result.is_failed:
        raise _Failure(f"Plant.id could not identify the photos: {result.fail_cause}", EXIT_REFUSED)
    return result


@asynccontextmanager
async def _within(seconds: float) -> AsyncIterator[None]:
    """Give the block `seconds` in all, then fail as "unavailable" in one line."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise PlantIdUnavailable(f"no answer within {seconds:g} s") from None


def _percent(probability: float | None) -> str:
    return "?" if probability is None else f"{probability * 100:.1f} %"


def format_result(result: Identification, *, language: str, top: int, health: bool) -> str:
    """Render an identification as plain text for a terminal."""
    lines = [f"Plant.id identification {result.id}"]
    if result.is_plant is False:
        chance = _percent(result.is_plant_probability)
        lines.append(f"This is probably not a plant (plant probability {chance}).")
    suggestions = (result.suggestions or [])[: max(top, 0)]
    if not suggestions and not result.is_health_only:
        lines.append("No suggestions.")
    for rank, suggestion in enumerate(suggestions, start=1):
        details = suggestion.plant_details
        common = ", ".join(details.common_names_for(language)) if details else ""
        name = suggestion.plant_name + (f" ({common})" if common else "")
        lines.append(f"{rank}. {name}: {_percent(suggestion.probability)}")
        url = details.url_for(language) if details else None
        if url:
            lines.append(f"   {url}")
    if health:
        lines.extend(_format_health(result, language))
    return "\n".join(lines)


def _format_health(result: Identification, language: str) -> list[str]:
    assessment = result.health_assessment
    if assessment is None:
        return ["Health: no assessment returned."]
    state = {True: "healthy", False: "not healthy", None: "unknown"}[assessment.is_healthy]
    lines = [f"Health: {state} (healthy {_percent(assessment.is_healthy_probability)})"]
    for disease in assessment.diseases or []:
        # Generic parent classes ("redundant") repeat what their children say.
        if disease.redundant or disease.probability < DISEASE_MIN_PROBABILITY:
            continue
        details = disease.disease_details
        name = (details.local_name_for(language) if details else None) or disease.name
        lines.append(f" - {name}: {_percent(disease.probability)}")
        treatment = details.treatment_for(language) if details else None
        if treatment and treatment.prevention:
            lines.append(f"   prevention: {treatment.prevention[0]}")
    return lines
