"""Query and form values read leniently: an empty or malformed filter means "no filter", never a crash."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date


def opt_int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def opt_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def opt_choice(value: str | None, choices: Iterable[str]) -> str | None:
    return value if value in set(choices) else None


def bounded_float(value: str | None, default: float, low: float, high: float) -> float:
    try:
        number = float(value) if value not in (None, "") else default
    except ValueError:
        return default
    return default if math.isnan(number) else min(max(number, low), high)


def opt_text(value: str | None, max_length: int = 100) -> str | None:
    value = (value or "").strip()
    return value[:max_length] or None
