"""The server's clock, the one place that reads the time (the domain is always given `at`)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Current server time, UTC, millisecond precision (what both databases keep exactly)."""
    at = datetime.now(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)
