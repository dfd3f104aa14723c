"""Options for the whole suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --chaos-long: run the chaos suite at full size (also CHAOS_LONG=1)."""
    parser.addoption(
        "--chaos-long",
        action="store_true",
        default=False,
        help="run the chaos suite with 200 photos from 50 people instead of the short version",
    )
