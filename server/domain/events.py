"""Timeline events: what happened to an order, who did it, and when (two clocks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused a change: a user or token (kind 'user'), a device, or the system."""

    kind: str  # user | device | system
    id: str
    device_id: str | None = None


SYSTEM = Actor("system", "tally")


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One entry of an order's timeline. `at` is server time; `captured_at` the device's clock."""

    type: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    captured_at: datetime | None = None
