"""Callback data: small, versioned, and rejected when it is anything else."""

from __future__ import annotations

import pytest

from bot.callbacks import ConfirmPress, confirm_data, parse_callback


def test_round_trip() -> None:
    assert parse_callback(confirm_data(123456789, 2)) == ConfirmPress(123456789, 2)


@pytest.mark.parametrize(
    "data",
    [None, "", "c1:", "c1:0:1", "c1:12", "c1:12:x", "c1:12:10", "c2:12:1", "c1:-1:0", "junk"],
)
def test_malformed_or_old_payloads_are_refused(data: str | None) -> None:
    assert parse_callback(data) is None


def test_payload_is_far_below_telegram_limit() -> None:
    assert len(confirm_data(10**17, 9).encode()) <= 32
