"""Options for the whole suite, and a guard that no test's output shows a secret."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Generator

import pytest
from pluggy import Result

from bench.stand import secrets as stand_secrets
from sandbox.telegram import FakeTelegram


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --chaos-long: run the chaos suite at full size (also CHAOS_LONG=1)."""
    parser.addoption(
        "--chaos-long",
        action="store_true",
        default=False,
        help="run the chaos suite with 200 photos from 50 people instead of the short version",
    )


@functools.cache
def suite_secrets() -> tuple[str, ...]:
    """Return the tokens and keys the suite starts bots with, and the tokens' secret halves."""
    from tests.flow.conftest import API_KEY as FLOW_KEY
    from tests.test_runner import API_KEY as RUNNER_KEY
    from tests.test_runner import WRONG_TOKEN

    token = str(inspect.signature(FakeTelegram).parameters["token"].default)
    tokens = (token, WRONG_TOKEN)
    return (*tokens, *(t.split(":", 1)[1] for t in tokens), FLOW_KEY, RUNNER_KEY, *stand_secrets())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Result[pytest.TestReport], None]:
    """Fail a test whose captured output, logs or failure report contains a secret."""
    outcome = yield
    report = outcome.get_result()
    # Sections accumulate over setup, call and teardown: each phase checks only its own.
    shown = [(title, text) for title, text in report.sections if title.endswith(report.when)]
    shown.append(("failure report", report.longreprtext))
    secrets = suite_secrets()
    leaks = [title for title, text in shown if any(secret in text for secret in secrets)]
    if leaks:
        report.outcome = "failed"
        report.longrepr = f"a bot token or Plant.id key appears in: {', '.join(leaks)}"
